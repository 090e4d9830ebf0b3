import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { queryRows, type Db } from '../../db/client';
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
    const postings: PostingInput[] = moving.map((f) => {
      const [available, pending] = accounts.get(f.currency!)!;
      const net = BigInt(f.net_minor!);
      return {
        idempotencyKey: `stripe:${f.balance_transaction_id}:available`,
        kind: 'funds_available',
        description: `Funds of ${f.charge_id} available at Stripe`,
        occurredAt: new Date(f.available_on),
        metadata: { balanceTransactionId: f.balance_transaction_id, donationId: f.donation_id },
        entries: [
          { accountId: available!, amountMinor: net },
          { accountId: pending!, amountMinor: -net },
        ],
      };
    });
    const staged = await stagePostings(tx, postings);
    const ids = JSON.stringify(due.map((f) => f.donation_id));
    await tx.execute(sql`UPDATE donations SET pending_balance_transaction_id = NULL, funds_available_on = NULL
                          WHERE id IN (SELECT json_array_elements_text(${ids}::json)::uuid)`);
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
