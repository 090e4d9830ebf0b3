import { eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import type { DbOrTx } from '../../../db/client';
import { disputes, type Appeal } from '../../../db/schema/index';
import { fromStripeAmount } from '../../ledger/money';
import { announceDispute } from '../dispute-reminders';
import { awaitingAnswer, disputeStatusSteps } from '../dispute-status';
import { donationByCharge } from '../donations-store';
import { isStorableSeconds } from '../../storable-time';
import { idOf } from './amounts';
import type { Platform } from '../../auth/permissions';
import { isGiftPayment } from './gift-payment';
import { isPlan, NeedsTreasurer, requireObjectId, RetryLater, type DisputeHandler, type Handler, type Plan } from './types';

// Two reports of one second are told apart by how far along Stripe's path their status is. A
// status Stripe adds later ranks lowest, so a known one of the same second wins.
const rankCases = disputeStatusSteps.flatMap((step, i) => step.map((status) => `WHEN '${status}' THEN ${i + 1}`)).join(' ');
const rankOf = (table: string) => sql.raw(`CASE ${table}.status ${rankCases} ELSE 0 END`);

/**
 * Where the dispute stands as reported at `reportedAt` (an event's time, or when Stripe was asked);
 * an earlier report never replaces a later one.
 */
export async function recordDispute(tx: DbOrTx, dispute: Stripe.Dispute, donationId: string, reportedAt: Date): Promise<{ newlyAwaiting: typeof disputes.$inferSelect | null }> {
  const [before] = await tx.select({ status: disputes.status }).from(disputes).where(eq(disputes.id, dispute.id)).for('update');
  const currency = dispute.currency.toUpperCase();
  const row = {
    id: dispute.id,
    donationId,
    chargeId: idOf(dispute.charge)!,
    currency,
    amountMinor: fromStripeAmount(dispute.amount, currency),
    reason: dispute.reason,
    status: dispute.status,
    evidenceDueBy: dispute.evidence_details?.due_by ? new Date(dispute.evidence_details.due_by * 1000) : null,
    evidenceSubmitted: (dispute.evidence_details?.submission_count ?? 0) > 0,
    livemode: dispute.livemode,
    openedAt: new Date(dispute.created * 1000),
    reportedAt,
  };
  const written = await tx
    .insert(disputes)
    .values(row)
    .onConflictDoUpdate({
      target: disputes.id,
      set: {
        amountMinor: row.amountMinor,
        reason: row.reason,
        status: row.status,
        evidenceDueBy: row.evidenceDueBy,
        evidenceSubmitted: row.evidenceSubmitted,
        reportedAt: row.reportedAt,
      },
      setWhere: sql`${disputes.reportedAt} < excluded.reported_at OR (${disputes.reportedAt} = excluded.reported_at AND ${rankOf('disputes')} <= ${rankOf('excluded')})`,
    })
    .returning();
  const [after] = written;
  // Now waiting for an answer, and not already before this report: its treasurers are told.
  return { newlyAwaiting: after && awaitingAnswer.includes(after.status) && before?.status !== after.status ? after : null };
}

/** Records where a dispute stands and, when it now awaits an answer, tells its treasurers. */
export async function recordAndAnnounce(tx: DbOrTx, platform: Platform, dispute: Stripe.Dispute, donationId: string, reportedAt: Date, appeal: Appeal, publicUrl: string | undefined): Promise<void> {
  const { newlyAwaiting } = await recordDispute(tx, dispute, donationId, reportedAt);
  if (newlyAwaiting) await announceDispute(tx, platform, newlyAwaiting, appeal, publicUrl);
}

/** A text a column may take as a name (a reason, a status): present and not empty. */
const isSomeText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * The event's dispute with what it moves (its charge, amount and balance transactions) as Stripe
 * has it, not as the event's copy says: a dispute Stripe does not have withdrew nothing. Where it
 * stands (its status, its evidence) stays as the event reported it, at the event's time.
 */
async function moneyAsStripeHasIt(stripe: Stripe, sent: Stripe.Dispute): Promise<Stripe.Dispute> {
  let current: Stripe.Dispute;
  try {
    current = await stripe.disputes.retrieve(sent.id);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') throw new NeedsTreasurer(`dispute ${sent.id} is not one Stripe has: not posted`);
    throw err;
  }
  // When it was opened and in which mode never change, and a reason or a deadline the event's copy
  // cannot give (none, or no time at all) is Stripe's own: the row needs them, the money does not.
  const reason = isSomeText(sent.reason) ? sent.reason : current.reason;
  const dueBy = sent.evidence_details?.due_by;
  const evidence = dueBy == null || isStorableSeconds(dueBy) ? sent.evidence_details : current.evidence_details;
  return {
    ...sent,
    charge: current.charge,
    payment_intent: current.payment_intent,
    amount: current.amount,
    currency: current.currency,
    balance_transactions: current.balance_transactions,
    created: current.created,
    livemode: current.livemode,
    reason,
    evidence_details: evidence,
  };
}


/**
 * What the dispute's row takes, checked while planning: a value the row cannot hold (no reason, a
 * time out of range) would otherwise fail only at commit, and its batch with it.
 */
function assertRecordable(dispute: Stripe.Dispute): void {
  const unusable = [
    isSomeText(dispute.reason) ? null : 'reason',
    isSomeText(dispute.status) ? null : 'status',
    typeof dispute.livemode === 'boolean' ? null : 'livemode',
    isStorableSeconds(dispute.created) ? null : 'created',
    dispute.evidence_details?.due_by == null || isStorableSeconds(dispute.evidence_details.due_by) ? null : 'evidence_details.due_by',
  ].filter((field) => field !== null);
  if (unusable.length > 0) throw new NeedsTreasurer(`dispute ${dispute.id} came without a usable ${unusable.join(', ')}: not recorded`);
}

/**
 * A dispute event's handler that also keeps the dispute's row, whether or not the event moves
 * money (an inquiry moves none, yet needs an answer as much). The row belongs to the gift, so the
 * event waits, like the posting, until the gift is posted; a dispute of a payment that is not a
 * gift is ignored.
 */
export function withDisputeRecord(handler: DisputeHandler): Handler {
  return async (event, deps) => {
    requireObjectId(event, 'dispute');
    const dispute = await moneyAsStripeHasIt(deps.stripe, event.data.object as Stripe.Dispute);
    const read = { ...event, data: { ...(event.data as object), object: dispute } } as unknown as Stripe.Event;
    const donation = await donationByCharge(deps.db, idOf(dispute.charge));
    if (!donation) {
      if (!(await isGiftPayment(deps.stripe, idOf(dispute.payment_intent)))) return { ignore: `dispute ${dispute.id} of a payment that is not a gift` };
      throw new RetryLater(`gift for dispute ${dispute.id} not posted yet`);
    }
    assertRecordable(dispute);
    const result = await handler(read, deps, donation);
    const plan: Plan = isPlan(result) ? result : { postings: [] };
    // Read now, not inside the commit: on PGlite (one connection) a read beside it would wait for it.
    const appeal = await deps.appealOf(donation.appealId);
    return {
      ...plan,
      apply: async (tx, created, batch) => {
        await plan.apply?.(tx, created, batch);
        await recordAndAnnounce(tx, deps.platform, dispute, donation.id, new Date(event.created * 1000), appeal, deps.publicUrl);
      },
    };
  };
}
