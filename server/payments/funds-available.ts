import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { queryRows, type Db } from '../../db/client';
import { post, type PostingInput } from '../ledger/service';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { accountIds, chart } from './chart';

/** Gifts moved per database transaction; the job goes on at once while there are more. */
export const fundsBatchSize = 1000;

interface DueFunds extends Record<string, unknown> {
  donation_id: string;
  charge_id: string;
  balance_transaction_id: string;
  currency: string;
  net_minor: string;
}

/**
 * Moves the net of gifts whose money Stripe has made available (its balance transaction's
 * `available_on` has come) from stripe:pending to stripe:available: debit stripe:available,
 * credit stripe:pending, the amount the gift's own posting put in stripe:pending. The
 * balance.available event does the same for the newest balance transactions it can list, under
 * the same key (`stripe:<bt>:available`), so whichever comes second is a no-op; this job is what
 * keeps up when more gifts come in a day than that listing reaches. Returns how many gifts it
 * moved (or found moved already).
 */
export async function postDueFunds(db: Db, now = new Date(), limit = fundsBatchSize): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await queryRows<DueFunds>(
      tx,
      sql`SELECT d.id::text AS donation_id, d.charge_id, d.pending_balance_transaction_id AS balance_transaction_id,
                 a.currency, e.amount_minor::text AS net_minor
            FROM donations d
            JOIN ledger_transactions t ON t.idempotency_key = 'stripe:' || d.charge_id || ':gift'
            JOIN ledger_entries e ON e.transaction_id = t.id
            JOIN ledger_accounts a ON a.id = e.account_id AND a.code = 'stripe:pending'
           WHERE d.funds_available_on IS NOT NULL AND d.funds_available_on <= ${now.toISOString()}::timestamptz
           ORDER BY d.funds_available_on
           LIMIT ${limit}
             FOR UPDATE OF d SKIP LOCKED`,
    );
    if (due.length === 0) return 0;
    const accounts = new Map<string, bigint[]>();
    for (const currency of new Set(due.map((f) => f.currency))) {
      accounts.set(currency, await accountIds(tx, [chart.stripeAvailable(currency), chart.stripePending(currency)]));
    }
    const postings: PostingInput[] = [];
    for (const f of due) {
      const [available, pending] = accounts.get(f.currency)!;
      const net = BigInt(f.net_minor);
      postings.push({
        idempotencyKey: `stripe:${f.balance_transaction_id}:available`,
        kind: 'funds_available',
        description: `Funds of ${f.charge_id} available at Stripe`,
        metadata: { balanceTransactionId: f.balance_transaction_id },
        entries: [
          { accountId: available!, amountMinor: net },
          { accountId: pending!, amountMinor: -net },
        ],
      });
    }
    await post(tx, postings);
    const ids = JSON.stringify(due.map((f) => f.donation_id));
    await tx.execute(sql`UPDATE donations SET pending_balance_transaction_id = NULL, funds_available_on = NULL
                          WHERE id IN (SELECT json_array_elements_text(${ids}::json)::uuid)`);
    return due.length;
  });
}

/** The job: every minute, and at once again while a batch was full. */
export function startFundsAvailable(deps: { db: Db; log: FastifyBaseLogger }): PollLoop {
  return startPollLoop({
    name: 'funds available',
    pollMs: 60_000,
    log: deps.log,
    work: async () => ({ more: (await postDueFunds(deps.db)) === fundsBatchSize }),
  });
}
