import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client';
import { storedEventObject } from './handlers/posted';

/** A refund Stripe made that the card's bank sent back: the appeal has the money, the donor has not. */
export interface RefundSentBack {
  refundId: string;
  amountMinor: string;
  failedAt: string;
  /** Stripe's failure_reason; 'canceled' for a canceled refund; 'unknown' when Stripe gave none. */
  reason: string;
}

const text = (v: unknown, otherwise: string) => (typeof v === 'string' && v !== '' ? v : otherwise);

/**
 * A gift's refunds sent back by the bank: each reversal of kind refund_failed among its postings,
 * with what it gave back to the appeal (its entry on the appeal's account); then the refunds asked
 * here that had already failed when their refund.created was read, so were never posted (nor
 * reversed) but did leave Stripe's balance and come back.
 */
export async function refundsSentBack(
  db: DbOrTx,
  donationId: string,
  txs: { id: bigint; kind: string; occurredAt: Date; metadata: Record<string, unknown> }[],
  entries: { transactionId: bigint; code: string; amountMinor: bigint }[],
): Promise<RefundSentBack[]> {
  const reversed = txs
    .filter((t) => t.kind === 'refund_failed')
    .map((t) => {
      const toAppeal = entries.find((e) => e.transactionId === t.id && e.code.startsWith('appeal:'));
      return { refundId: text(t.metadata.refundId, '—'), amountMinor: (-(toAppeal?.amountMinor ?? 0n)).toString(), failedAt: t.occurredAt.toISOString(), reason: text(t.metadata.failureReason, 'unknown') };
    });
  return [...reversed, ...(await sentBackBeforePosted(db, donationId))];
}

/**
 * The gift's asks whose refund was never posted and that Stripe reported failed after taking the
 * money (a failure balance transaction): rare, so the events are read only when such asks exist,
 * and only those received since the oldest of them (as refundsAwaiting reads them).
 */
async function sentBackBeforePosted(db: DbOrTx, donationId: string): Promise<RefundSentBack[]> {
  const unposted = await queryRows<{ refund_id: string; amount_minor: string; asked_at: Date | string }>(
    db,
    sql`SELECT a.refund_id, a.amount_minor::text AS amount_minor, a.asked_at
          FROM refund_asks a
         WHERE a.donation_id = ${donationId} AND a.refund_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.idempotency_key = 'stripe:' || a.refund_id || ':refund')
         ORDER BY a.asked_at, a.id
         LIMIT 50`,
  );
  if (unposted.length === 0) return [];
  const since = new Date(unposted[0]!.asked_at).toISOString();
  const failed = await queryRows<{ id: string; reason: string | null; failed_at: Date | string }>(
    db,
    sql`SELECT DISTINCT ON (o->>'id') o->>'id' AS id, o->>'failure_reason' AS reason, e.stripe_created_at AS failed_at
          FROM stripe_events e, LATERAL (SELECT ${storedEventObject} AS o) x
         WHERE e.status = 'ignored' AND e.type IN ('refund.failed', 'refund.updated') AND e.received_at >= ${since}::timestamptz
           AND o->>'status' = 'failed' AND coalesce(o->>'failure_balance_transaction', '') <> ''
           AND o->>'id' IN (${sql.join(unposted.map((u) => sql`${u.refund_id}`), sql`, `)})
         ORDER BY o->>'id', e.stripe_created_at`,
  );
  const byId = new Map(failed.map((f) => [f.id, f]));
  return unposted.flatMap((u) => {
    const f = byId.get(u.refund_id);
    return f ? [{ refundId: u.refund_id, amountMinor: u.amount_minor, failedAt: new Date(f.failed_at).toISOString(), reason: text(f.reason, 'unknown') }] : [];
  });
}
