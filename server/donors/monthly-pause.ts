import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import { z } from 'zod';
import type { Tx } from '../../db/client';
import { donations, outboxEmails, type Donation } from '../../db/schema/index';
import { recordAudit } from '../auth/audit';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { pauseFieldsOf, pauseOf, periodEndOf } from '../payments/collection-pause';
import { accountPageUrl, appealTitleIn } from '../payments/donations-store';
import { chargedOf, renewalAmountOf } from '../payments/renewal-amount';
import { donationRequestSchema } from '../payments/schemas';
import { donorChangeKey } from '../payments/donor-change-key';
import { stripeSaidAt } from '../payments/stripe-said-at';
import { endsWithAppealOn, upcomingCharge, type AppealSchedule } from '../payments/upcoming-charge';
import { assertRunning, assertRunningAtStripe } from './monthly-amount';
import { monthlyPauseEmail } from './monthly-pause-mail';
import { answerAgain, pauseMadeUnder } from './pause-retry';
import { holdRenewal, releaseUnlessMade, renewalNotCharged, voidHeldRenewal } from './renewal-under-way';
import { changedSince, lockedMonthlyGift, type MonthlyGiftDeps, replayedByStripe, updateSubscriptionAtStripe } from './monthly-change';

/** A pause of a monthly gift: how many of its monthly payments to skip, with the client's key for this attempt. */
export const monthlyPauseRequestSchema = z.strictObject({
  months: z.union([z.literal(1), z.literal(2), z.literal(3)]).describe('how many monthly payments to skip, from the next one on'),
  /** A retry of one pause sends the same key: Stripe pauses once, the donor gets one mail. */
  idempotencyKey: donationRequestSchema.shape.idempotencyKey,
});
export const monthlyResumeRequestSchema = z.strictObject({ idempotencyKey: donationRequestSchema.shape.idempotencyKey });

/**
 * Stripe clears the pause this long before the first period that is charged again begins: it
 * voids the invoices made before resumes_at, and one made at resumes_at itself is on a boundary
 * its docs leave unsaid. An hour is well clear of it, and no invoice is made in between.
 */
const resumeAheadSeconds = 3600;

/**
 * Pauses one of the signed-in donor's monthly gifts for `months` payments: Stripe's
 * pause_collection with `void`, so the renewals in between are made and voided, charging nothing
 * (docs.stripe.com/billing/subscriptions/pause-payment). The payments skipped are the next
 * `months` (at the current period's end and the ones after it); the pause ends an hour before the
 * period after them begins, whose payment is charged as before. A renewal Stripe made before the
 * pause and has not charged yet (its draft hour) would still be charged: it is the first payment
 * skipped, held and voided here (renewal-under-way.ts); one Stripe is charging already refuses the
 * pause (409 monthly_gift_renewal_under_way), asking nothing of Stripe. A gift already paused is paused
 * anew, counted from now. The row keeps the pause as Stripe answered it; nothing moves in the
 * ledger (nothing is charged or refunded). Audited and mailed. Changes of one gift (pause, resume,
 * amount) take turns, on the lock the amount change takes.
 */
export async function pauseMonthlyGift(deps: MonthlyGiftDeps, viewer: Viewer, donationId: string, req: z.infer<typeof monthlyPauseRequestSchema>, requestId: string) {
  return deps.db.transaction(async (tx) => {
    const { d, appeal, organizationId, subscriptionId } = await lockedMonthlyGift(tx, viewer, donationId);
    assertRunning(d, appeal.status);
    // Made before under this key (its answer lost): answered as then, Stripe not asked again.
    const made = await pauseMadeUnder(tx, donationId, req.idempotencyKey);
    if (made) return answerAgain(d, appeal, made, req.months);
    const sub = await deps.stripe.subscriptions.retrieve(subscriptionId);
    assertRunningAtStripe(sub);
    // A renewal Stripe made in the last hour and has not charged is the first payment skipped.
    const uncharged = await renewalNotCharged(deps.stripe, sub);
    const chargesAgainAt = periodEndOf(sub, { after: uncharged ? req.months - 1 : req.months });
    if (chargesAgainAt === null) throw new AppError(409, 'monthly_gift_not_changeable', "This monthly gift was changed at Stripe and cannot be paused here; ask the appeal's treasurer.");
    const pauseCollection = { behavior: 'void' as const, resumes_at: chargesAgainAt - resumeAheadSeconds };
    const keyBase = donorChangeKey('monthly-pause', donationId, req.idempotencyKey);
    // Held before the pause is asked: should Stripe be charging it already, nothing is paused.
    if (uncharged) await holdRenewal(deps.stripe, uncharged, keyBase);
    const answered = await updateSubscriptionAtStripe(deps.stripe, subscriptionId, { pause_collection: pauseCollection }, keyBase).catch(async (err: unknown) => {
      const paused = async () => JSON.stringify((await deps.stripe.subscriptions.retrieve(subscriptionId)).pause_collection) === JSON.stringify(pauseCollection);
      if (uncharged) await releaseUnlessMade(deps.stripe, uncharged.id!, keyBase, paused);
      throw err;
    });
    const replayed = replayedByStripe(answered);
    // Stripe answers a key it has seen with its first answer and changes nothing: an old pause
    // sent again after a later change (a resume) must not be recorded while Stripe collects.
    const sayStripe = replayed ? await deps.stripe.subscriptions.retrieve(subscriptionId) : answered;
    if (replayed && JSON.stringify(sayStripe.pause_collection) !== JSON.stringify(pauseCollection)) throw changedSince();
    if (uncharged) await voidHeldRenewal(deps.stripe, uncharged.id!, keyBase);
    const pause = pauseOf(sayStripe);
    const row = await writePause(tx, donationId, sayStripe, await stripeSaidAt(deps.stripe, sayStripe));
    if (!replayed) {
      await recordAudit(tx, { actorUserId: viewer.userId, action: 'donation.pause_monthly', organizationId, subjectType: 'donation', subjectId: donationId, after: { months: req.months, resumesAt: pause.pausedUntil?.toISOString() ?? null, subscriptionId, idempotencyKey: req.idempotencyKey }, requestId });
      await tellDonor(tx, row, 'paused', { appeal, appealTitle: appealTitleIn(appeal, d.locale), accountUrl: accountPageUrl(deps.publicUrl), requestKey: req.idempotencyKey });
    }
    return { pausedUntil: pause.pausedUntil?.toISOString() ?? null, nextChargeAt: upcomingCharge(row, appeal, new Date())?.toISOString() ?? null, changed: !replayed };
  });
}

/**
 * Resumes a paused monthly gift now: its next renewal is charged (Stripe's pause_collection
 * unset). One already collecting (a resent form; or Stripe ended the pause on its day, and that
 * event is not posted yet) asks nothing of Stripe and mails nothing; its row says so. An ended
 * gift, or one whose appeal closed, has nothing to resume.
 */
export async function resumeMonthlyGift(deps: MonthlyGiftDeps, viewer: Viewer, donationId: string, req: z.infer<typeof monthlyResumeRequestSchema>, requestId: string) {
  return deps.db.transaction(async (tx) => {
    const { d, appeal, organizationId, subscriptionId } = await lockedMonthlyGift(tx, viewer, donationId);
    if (d.subscriptionCanceledAt) throw new AppError(409, 'monthly_gift_ended', 'This monthly gift has ended: it renews no more.');
    if (appeal.status === 'closed') throw new AppError(409, 'monthly_gift_appeal_closed', "This gift's appeal has closed: its monthly gifts end with it.");
    const sub = await deps.stripe.subscriptions.retrieve(subscriptionId);
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') throw new AppError(409, 'monthly_gift_ended', 'This monthly gift has ended: it renews no more.');
    const changed = sub.pause_collection !== null;
    let sayStripe = sub;
    if (changed) {
      const answered = await updateSubscriptionAtStripe(deps.stripe, subscriptionId, { pause_collection: '' }, donorChangeKey('monthly-resume', donationId, req.idempotencyKey));
      sayStripe = replayedByStripe(answered) ? await deps.stripe.subscriptions.retrieve(subscriptionId) : answered;
      if (sayStripe.pause_collection !== null) throw changedSince();
    }
    const row = await writePause(tx, donationId, sayStripe, await stripeSaidAt(deps.stripe, sayStripe));
    if (changed) {
      await recordAudit(tx, { actorUserId: viewer.userId, action: 'donation.resume_monthly', organizationId, subjectType: 'donation', subjectId: donationId, after: { subscriptionId, idempotencyKey: req.idempotencyKey }, requestId });
      await tellDonor(tx, row, 'resumed', { appeal, appealTitle: appealTitleIn(appeal, d.locale), accountUrl: accountPageUrl(deps.publicUrl), requestKey: req.idempotencyKey });
    }
    return { nextChargeAt: upcomingCharge(row, appeal, new Date())?.toISOString() ?? null, changed };
  });
}

/**
 * The gift's pause as Stripe answered it. Once collecting again, the next charge moves on to the
 * subscription's current period end, only ever forward (as a paid invoice moves it). Stamped with
 * when Stripe answered, as the poster stamps an event's: an update Stripe made before this change
 * (a treasurer's in the Dashboard), posted after it, must not undo it until Stripe's word of this
 * change is posted too.
 */
async function writePause(tx: Tx, donationId: string, sayStripe: Stripe.Subscription, saidAt: Date | null): Promise<Donation> {
  const [row] = await tx
    .update(donations)
    .set({ ...pauseFieldsOf(sayStripe), ...(saidAt ? { pauseSaidAt: saidAt } : {}) })
    .where(eq(donations.id, donationId))
    .returning();
  return row!;
}

async function tellDonor(tx: Tx, d: Donation, kind: 'paused' | 'resumed', c: { appeal: AppealSchedule; appealTitle: string; accountUrl: string; requestKey: string }): Promise<void> {
  const mail = monthlyPauseEmail(d, kind, {
    amountMinor: chargedOf(renewalAmountOf(d)),
    nextChargeAt: upcomingCharge(d, c.appeal, new Date()),
    endsWithAppealOn: endsWithAppealOn(d, c.appeal, new Date()),
    appealTitle: c.appealTitle,
    accountUrl: c.accountUrl,
    requestKey: c.requestKey,
  });
  if (mail) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
}
