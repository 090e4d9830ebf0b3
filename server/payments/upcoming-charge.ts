import type { Appeal, Donation } from '../../db/schema/index';
import { pausedNow } from './collection-pause';

/** What of a monthly gift (its first donation) says whether, and when, its card is charged next. */
export type ChargeSchedule = Pick<Donation, 'subscriptionCanceledAt' | 'subscriptionEndsAt' | 'renewalFailedAt' | 'nextChargeAt' | 'collectionPaused' | 'pausedUntil' | 'pausedNextChargeAt'>;

/**
 * When the donor's card is charged next, while that is known and still ahead. None once the gift
 * ended or is set to end, or its appeal closed, or the charge would fall at or after the appeal's
 * deadline (the closing's job ends it at Stripe a moment later: a receipt posted in between must
 * not promise a charge that will not come); none while a renewal is unpaid (Stripe's next attempt
 * at it is what comes next, and is shown); none for a day already past, whose renewal is not
 * posted yet (or was paid outside Stripe): better no date than one that is wrong. While collection
 * is paused, the renewals before the pause ends are voided: the next charge is the first period
 * end at or after it (none for a pause with no end).
 */
export function upcomingCharge(d: ChargeSchedule, appeal: AppealSchedule, now: Date): Date | null {
  if (appeal.status === 'closed') return null;
  if (d.subscriptionCanceledAt || d.subscriptionEndsAt || d.renewalFailedAt) return null;
  const next = pausedNow(d, now) ? d.pausedNextChargeAt : d.nextChargeAt;
  if (!next || next <= now) return null;
  return chargedBeforeDeadline(next, appeal) ? next : null;
}

/** What of a gift's appeal says whether its monthly gifts still charge: closed, or a deadline to come. */
export type AppealSchedule = Pick<Appeal, 'status' | 'deadlineAt'>;

/**
 * Whether a renewal due at `at` comes before its appeal's deadline closes the appeal. At the
 * deadline the appeal closes (the deadline job, within its 30 s poll) and the closed appeal's job
 * ends each of its gifts at Stripe, holding and voiding a renewal still a draft: a renewal due at
 * or after the deadline is never charged, so none is named. Stripe drafts a renewal at the period
 * end and charges it about an hour later (up to 72 h while its invoice.created webhook fails): one
 * due in that last hour or so before the deadline is named, yet the close may still void it. Named
 * rather than not, that errs towards a charge that does not come, never one that was not told.
 */
export function chargedBeforeDeadline(at: Date, appeal: AppealSchedule): boolean {
  return !appeal.deadlineAt || at < appeal.deadlineAt;
}

/**
 * How long after a monthly gift is paid its thank-you page names its next charge. The page's link
 * is all it takes to read the gift's status (GET /api/donations/:id), and the page is read just
 * after paying; named later, the next charge would tell whoever holds the link, month after month,
 * that the gift goes on, or that it ended.
 */
const thanksNextChargeMsMax = 3_600_000;

/**
 * The next charge a gift's thank-you page names, in the hour after it was paid (else null, and
 * false): its upcoming charge, or that the appeal's deadline ends it first (endsWithAppealFirst).
 */
export function thanksNextCharge(d: ChargeSchedule & Pick<Donation, 'succeededAt'>, appeal: AppealSchedule, now: Date): { at: Date | null; endsWithAppealFirst: boolean } {
  if (!d.succeededAt || now.getTime() - d.succeededAt.getTime() > thanksNextChargeMsMax) return { at: null, endsWithAppealFirst: false };
  return { at: upcomingCharge(d, appeal, now), endsWithAppealFirst: endsWithAppealFirst(d, appeal, now) };
}

/** The deadline of a gift's appeal while the appeal is open and the deadline ahead: the gift ends then. Else null. */
export function appealClosesAt(appeal: AppealSchedule, now: Date): Date | null {
  return appeal.status !== 'closed' && appeal.deadlineAt && appeal.deadlineAt > now ? appeal.deadlineAt : null;
}

/** The day the appeal closes when that ends the gift before its next charge (endsWithAppealFirst); else null. */
export function endsWithAppealOn(d: ChargeSchedule, appeal: AppealSchedule, now: Date): Date | null {
  return endsWithAppealFirst(d, appeal, now) ? appealClosesAt(appeal, now) : null;
}

/**
 * Whether the appeal's deadline ends the gift before its next charge: the charge it would have
 * without the deadline (a period's end, or the first after a pause) falls at or after it. Then no
 * further charge comes, and the donor is told so. False when that charge is not known (ended, a
 * renewal unpaid that Stripe may still try, a day past): nothing is promised either way.
 */
export function endsWithAppealFirst(d: ChargeSchedule, appeal: AppealSchedule, now: Date): boolean {
  const closesAt = appealClosesAt(appeal, now);
  if (!closesAt) return false;
  // Paused with no end (Stripe's Dashboard): nothing is charged before the appeal closes.
  if (pausedNow(d, now) && !d.pausedUntil && !d.subscriptionCanceledAt && !d.subscriptionEndsAt && !d.renewalFailedAt) return true;
  const next = upcomingCharge(d, { status: appeal.status, deadlineAt: null }, now);
  return next !== null && next >= closesAt;
}
