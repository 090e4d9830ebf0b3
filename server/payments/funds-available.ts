import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { queryRows, type Db } from '../../db/client';
import { inIdList } from '../../db/id-list';
import { donations } from '../../db/schema/index';
import { stagePostings, type PostingInput } from '../ledger/service';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { safeErrorMessage } from '../safe-error';
import { accountIds, chart } from './chart';

/** Gifts moved per database transaction; the job goes on at once while there are more. */
export const fundsBatchSize = 1000;
/** A gift whose move failed is tried again this much later, so that it holds up no other. */
const retryAfterMs = 86_400_000;

interface DueFunds extends Record<string, unknown> {
  donation_id: string;
  charge_id: string;
  balance_transaction_id: string;
  available_on: string;
  /** Null when the gift's posting put nothing in stripe:pending (a zero net): nothing to move. */
  currency: string | null;
  net_minor: string | null;
}

/**
 * Funds available at Stripe: debit stripe:available, credit stripe:pending, a balance
 * transaction's net. One builder for the balance.available event and this job, whose postings of
 * the same balance transaction must be the same posting (key and content).
 */
export function fundsAvailablePosting(f: { balanceTransactionId: string; source: string; netMinor: bigint; available: bigint; pending: bigint }): PostingInput {
  return {
    idempotencyKey: `stripe:${f.balanceTransactionId}:available`,
    kind: 'funds_available',
    description: `Funds of ${f.source} available at Stripe`,
    metadata: { balanceTransactionId: f.balanceTransactionId },
    entries: [
      { accountId: f.available, amountMinor: f.netMinor },
      { accountId: f.pending, amountMinor: -f.netMinor },
    ],
  };
}

/**
 * Moves the net of gifts whose money Stripe has made available (its balance transaction's
 * `available_on` has come) from stripe:pending to stripe:available: debit stripe:available,
 * credit stripe:pending, the amount the gift's own posting put in stripe:pending. The
 * balance.available event does the same for the newest balance transactions it can list, under
 * the same key (`stripe:<bt>:available`), so whichever comes second is a no-op; this job is what
 * keeps up when more gifts come in a day than that listing reaches. Returns how many gifts it
 * dealt with (moved, found moved already, or set aside after a failure).
 */
export async function postDueFunds(db: Db, log?: FastifyBaseLogger, now = new Date(), limit = fundsBatchSize): Promise<number> {
  const due = await queryRows<DueFunds>(
    db,
    sql`SELECT d.id::text AS donation_id, d.charge_id, d.pending_balance_transaction_id AS balance_transaction_id,
               d.funds_available_on::text AS available_on, p.currency, p.amount_minor::text AS net_minor
          FROM donations d
          LEFT JOIN LATERAL (
                SELECT a.currency, e.amount_minor
                  FROM ledger_transactions t
                  JOIN ledger_entries e ON e.transaction_id = t.id
                  JOIN ledger_accounts a ON a.id = e.account_id AND a.code = 'stripe:pending'
                 WHERE t.idempotency_key = 'stripe:' || d.charge_id || ':gift') p ON true
         WHERE d.funds_available_on IS NOT NULL AND d.funds_available_on <= ${now.toISOString()}::timestamptz
         ORDER BY d.funds_available_on, d.id
         LIMIT ${limit}`,
  );
  if (due.length === 0) return 0;
  try {
    await moveFunds(db, due);
  } catch (err) {
    // One gift the ledger refuses must not hold up the others, today or on any later run.
    for (const one of due) {
      await moveFunds(db, [one]).catch(async (error: unknown) => {
        log?.error({ donationId: one.donation_id, err: safeErrorMessage(error) }, 'funds available: gift set aside for a day');
        await db.execute(sql`UPDATE donations SET funds_available_on = ${new Date(now.getTime() + retryAfterMs).toISOString()}::timestamptz WHERE id = ${one.donation_id}::uuid`);
      });
    }
    log?.warn({ err: safeErrorMessage(err), gifts: due.length }, 'funds available: batch failed; moved gift by gift');
  }
  return due.length;
}

/**
 * One database transaction, in the poster's lock order: the postings' keys, then the donations,
 * then the hot balance rows, held only for their entries and the commit. A second job instance
 * that read the same gifts waits on the keys, then finds them posted.
 */
async function moveFunds(db: Db, due: DueFunds[]): Promise<void> {
  await db.transaction(async (tx) => {
    const moving = due.filter((f) => f.net_minor !== null && f.net_minor !== '0');
    const accounts = new Map<string, bigint[]>();
    for (const currency of new Set(moving.map((f) => f.currency!))) {
      accounts.set(currency, await accountIds(tx, [chart.stripeAvailable(currency), chart.stripePending(currency)]));
    }
    const postings = moving.map((f) => {
      const [available, pending] = accounts.get(f.currency!)!;
      return {
        ...fundsAvailablePosting({ balanceTransactionId: f.balance_transaction_id, source: f.charge_id, netMinor: BigInt(f.net_minor!), available: available!, pending: pending! }),
        occurredAt: new Date(f.available_on),
        metadata: { balanceTransactionId: f.balance_transaction_id, donationId: f.donation_id },
      };
    });
    const staged = await stagePostings(tx, postings);
    await tx
      .update(donations)
      .set({ pendingBalanceTransactionId: null, fundsAvailableOn: null })
      .where(inIdList(donations.id, due.map((f) => f.donation_id)));
    await staged.writeEntries();
  });
}

/** The job: every minute, and at once again while a batch was full. */
export function startFundsAvailable(deps: { db: Db; log: FastifyBaseLogger }): PollLoop {
  return startPollLoop({
    name: 'funds available',
    pollMs: 60_000,
    log: deps.log,
    work: async () => ({ more: (await postDueFunds(deps.db, deps.log)) === fundsBatchSize }),
  });
}
