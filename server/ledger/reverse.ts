import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { ledgerEntries, ledgerTransactions } from '../../db/schema/index';
import { LedgerError } from './errors';
import { post } from './post';
import type { PostingInput, PostingResult } from './types';

const keyLengthMax = 255;

// The original's key when it fits, else its id: two originals never share a reversal key.
function reversalKey(original: { id: bigint; idempotencyKey: string }): string {
  const readable = `reverse:${original.idempotencyKey}`;
  return readable.length <= keyLengthMax ? readable : `reverse:id:${original.id}`;
}

/**
 * Corrects a posting the only way the ledger allows: a new transaction with every entry negated,
 * linked to the original. Reversing twice returns the first reversal.
 */
export async function reverse(db: DbOrTx, transactionId: bigint, opts: { reason: string; occurredAt?: Date }): Promise<PostingResult> {
  const [original] = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.id, transactionId));
  if (!original) throw new LedgerError('ledger.unknown_transaction', `No ledger transaction ${transactionId}.`);
  const [existing] = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.reversesId, transactionId));
  if (existing) return { idempotencyKey: existing.idempotencyKey, transactionId: existing.id, created: false };
  const entries = await db
    .select({ accountId: ledgerEntries.accountId, amountMinor: ledgerEntries.amountMinor })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.transactionId, transactionId));
  const [result] = await postOrExisting(db, transactionId, [
    {
      idempotencyKey: reversalKey(original),
      kind: `reversal:${original.kind}`,
      description: opts.reason,
      occurredAt: opts.occurredAt,
      reversesId: transactionId,
      metadata: { reason: opts.reason },
      entries: entries.map((e) => ({ accountId: e.accountId, amountMinor: -e.amountMinor })),
    },
  ]);
  return result!;
}

/** Two racing reversals of one transaction: the loser gets the winner's reversal, not an error. */
async function postOrExisting(db: DbOrTx, transactionId: bigint, batch: PostingInput[]): Promise<PostingResult[]> {
  try {
    return await post(db, batch);
  } catch (err) {
    if (!(err instanceof LedgerError) || err.code !== 'ledger.already_reversed') throw err;
    const [winner] = await db.select().from(ledgerTransactions).where(eq(ledgerTransactions.reversesId, transactionId));
    if (!winner || winner.idempotencyKey !== batch[0]!.idempotencyKey) throw err;
    return [{ idempotencyKey: winner.idempotencyKey, transactionId: winner.id, created: false }];
  }
}
