import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { ledgerEntries, ledgerTransactions } from '../../db/schema/index';
import { LedgerError } from './errors';
import { post } from './post';
import type { PostingResult } from './types';

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
  const [result] = await post(db, [
    {
      idempotencyKey: `reverse:${original.idempotencyKey}`.slice(0, 255),
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
