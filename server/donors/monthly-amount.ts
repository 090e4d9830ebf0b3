import { eq } from 'drizzle-orm';
import Stripe from 'stripe';
import { z } from 'zod';
import type { Tx } from '../../db/client';
import { donations, outboxEmails, type Donation } from '../../db/schema/index';
import { recordAudit } from '../auth/audit';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { toStripeAmount } from '../ledger/money';
import { coverFeesMinor } from '../payments/charge-limits';
import { accountPageUrl, appealTitleIn } from '../payments/donations-store';
import { idOf } from '../payments/handlers/amounts';
import { chargedOf, renewalAmountOf, splitMetadata, type MonthlySplit } from '../payments/renewal-amount';
import { donationRequestSchema } from '../payments/schemas';
import { assertAmount } from '../payments/service';
import { monthlyAmountEmail } from './monthly-amount-mail';
import { monthlyAmountNeedsConfirm } from './amount-confirm';
import { donorChangeKey } from '../payments/donor-change-key';
import { stripeSaidAt } from '../payments/stripe-said-at';
import { renewalNotCharged, renewalUnderWay } from './renewal-under-way';
import { endsWithAppealOn, upcomingCharge, type AppealSchedule } from '../payments/upcoming-charge';
import { changedSince, lockedMonthlyGift, type MonthlyGiftDeps, replayedByStripe, updateSubscriptionAtStripe } from './monthly-change';

/** A monthly gift's new amount: as the giving form asks a gift's (the same rules), with the client's key for this attempt. */
export const monthlyAmountRequestSchema = z.strictObject({
  amountMinor: donationRequestSchema.shape.amountMinor.describe("the gift each month, in the currency's minor units, before any fees covered"),
  coverFees: z.boolean().describe('add what covers Stripe\'s fees, so the appeal receives the whole gift'),
  /** A retry of one change sends the same key: Stripe changes the price once, the donor gets one mail. */
  idempotencyKey: donationRequestSchema.shape.idempotencyKey,
  /** A change to many times the amount, and a large one (amount-confirm.ts), is made only once confirmed. */
  confirm: z
    .boolean()
    .optional()
    .describe('true once the donor confirmed a change to at least five times the amount and above about 100 USD; without it such a change is refused with 409 monthly_amount_needs_confirm and nothing changes'),
  /**
   * The gift's amount the confirmation showed as current ("from ¥3,000 to ¥30,000"): when the gift
   * no longer has it (changed in another tab, or at Stripe), the confirmation was of another change.
   * Optional: `confirm: true` alone is still taken, as before it existed (our page sends it whenever
   * its step showed an amount, but a page loaded before this field existed does not, and another
   * client that omits it keeps the behaviour it was written against).
   */
  confirmFromMinor: donationRequestSchema.shape.amountMinor
    .optional()
    .describe("with confirm: true, the gift's amount each month (giftAmountMinor, before fees) the donor was shown as current; if the gift has another now, 409 monthly_amount_needs_confirm again, with the current one in details.giftAmountMinor, and nothing changes"),
}).check((ctx) => {
  if (ctx.value.confirmFromMinor !== undefined && ctx.value.confirm !== true) {
    ctx.issues.push({ code: 'custom', path: ['confirmFromMinor'], input: ctx.value.confirmFromMinor, message: 'only with confirm: true' });
  }
});
type MonthlyAmountRequest = z.infer<typeof monthlyAmountRequestSchema>;

const answerOf = (split: MonthlySplit, changed: boolean) => ({
  amountMinor: chargedOf(split).toString(),
  giftAmountMinor: split.amountMinor.toString(),
  coversFees: split.coverFeesMinor > 0n,
  changed,
});

/**
 * Changes what one of the signed-in donor's monthly gifts charges from its next renewal on: the
 * subscription's item gets a new price at Stripe (no prorations: nothing is charged now, and the
 * ledger moves only when a renewal is paid, from what Stripe charged). The gift's row keeps the
 * new amount for the donor's page and the renewal's split; the change is audited and mailed.
 * Changes of one gift take turns (a lock on the gift's name, not its row), so two at once end as
 * one of them on both sides; the row itself is locked only to write it, after Stripe answered, so a
 * poster batch writing the same gift (its next charge) never waits on Stripe.
 */
export async function changeMonthlyAmount(deps: MonthlyGiftDeps, viewer: Viewer, donationId: string, req: MonthlyAmountRequest, requestId: string) {
  return deps.db.transaction(async (tx) => {
    const { d, appeal, organizationId, subscriptionId } = await lockedMonthlyGift(tx, viewer, donationId);
    assertRunning(d, appeal.status);
    const amountMinor = BigInt(req.amountMinor);
    const asked: MonthlySplit = { amountMinor, coverFeesMinor: req.coverFees ? coverFeesMinor(amountMinor, d.currency) : 0n };
    assertAmount(amountMinor, chargedOf(asked), d.currency, appeal.unitPriceMinor);
    const before = renewalAmountOf(d);
    // Already so (a resent form, a second tab): nothing to ask Stripe, nothing to tell.
    if (before.amountMinor === asked.amountMinor && before.coverFeesMinor === asked.coverFeesMinor) return answerOf(before, false);
    // $10 → $1,500 is as often a slip as a wish: asked first, before Stripe, a row or a mail.
    if (req.confirm !== true && monthlyAmountNeedsConfirm(before.amountMinor, asked.amountMinor, d.currency)) throw needsConfirm(before);
    // Confirmed from another amount than the gift's now (another tab, Stripe's Dashboard): the
    // donor confirmed another change, so it is asked again from this one, even one that would not
    // be asked about (nothing is made that the page did not show).
    if (req.confirm === true && req.confirmFromMinor !== undefined && BigInt(req.confirmFromMinor) !== before.amountMinor) throw confirmedFromElse(before);
    const saidAt = await priceAtStripe(deps.stripe, subscriptionId, asked, donorChangeKey('monthly-amount', donationId, req.idempotencyKey));
    // Stamped as the poster stamps an event's amount: a Dashboard price Stripe had before this
    // change, read by a poster and committed after it, must not bring the old amount back.
    await tx
      .update(donations)
      .set({ renewalAmountMinor: asked.amountMinor, renewalCoverFeesMinor: asked.coverFeesMinor, ...(saidAt ? { renewalAmountSaidAt: saidAt } : {}) })
      .where(eq(donations.id, donationId));
    await recordAudit(tx, {
      actorUserId: viewer.userId,
      action: 'donation.change_monthly_amount',
      organizationId,
      subjectType: 'donation',
      subjectId: donationId,
      before,
      after: { ...asked, subscriptionId, idempotencyKey: req.idempotencyKey },
      requestId,
    });
    await tellDonor(tx, d, { before, asked, appeal, appealTitle: appealTitleIn(appeal, d.locale), accountUrl: accountPageUrl(deps.publicUrl), requestKey: req.idempotencyKey });
    return answerOf(asked, true);
  });
}

/** The gift's amount now, for the page's "from": what a confirmation sends back as confirmFromMinor. */
const currentOf = (before: MonthlySplit) => ({ giftAmountMinor: before.amountMinor.toString() });

const needsConfirm = (before: MonthlySplit) =>
  new AppError(409, 'monthly_amount_needs_confirm', 'This new amount is at least five times the current one: send it again with confirm: true to change it.', currentOf(before));

const confirmedFromElse = (before: MonthlySplit) =>
  new AppError(409, 'monthly_amount_needs_confirm', "The gift's amount changed since this change was shown to be confirmed: confirm it again from the current amount.", currentOf(before));

/** Only a gift that will renew can renew at another amount, or be paused. */
export function assertRunning(d: Donation, appealStatus: string): void {
  if (d.subscriptionCanceledAt) throw new AppError(409, 'monthly_gift_ended', 'This monthly gift has ended: it renews no more.');
  if (appealStatus === 'closed') throw new AppError(409, 'monthly_gift_appeal_closed', "This gift's appeal has closed: its monthly gifts end with it.");
  if (d.subscriptionEndsAt) throw new AppError(409, 'monthly_gift_ending', 'This monthly gift is set to end: it renews no more.');
  if (d.renewalFailedAt) throw new AppError(409, 'monthly_gift_failing', "This monthly gift's last payment failed: update the card first.");
}

/**
 * The subscription's one item at its new price (same product and interval), from its next invoice
 * on, and the split in its metadata in the same call: should our own write of the row be lost,
 * the poster finds the split beside the price (renewal-amount.ts). What our row does not know yet
 * (Stripe ended it, set it to end, or a renewal failed, and its event is not posted) is refused as
 * the row would refuse it. So is a change while a renewal's draft waits to be charged (Stripe's
 * hour): that payment charges the amount it was made with. Answers when Stripe said the
 * subscription charges it (stripe-said-at.ts).
 */
async function priceAtStripe(stripe: Stripe, subscriptionId: string, asked: MonthlySplit, idempotencyKey: string): Promise<Date | null> {
  const sub = await stripe.subscriptions.retrieve(subscriptionId);
  assertRunningAtStripe(sub);
  // A renewal Stripe made and charges within the hour keeps the amount it was made with (its
  // invoice is already written): a new amount said now to apply "from the next payment" would not.
  if (await renewalNotCharged(stripe, sub)) throw renewalUnderWay();
  const [item, ...more] = sub.items.data;
  const product = idOf(item?.price.product);
  // One item, as Checkout made it; a subscription reshaped in Stripe's Dashboard is a treasurer's to change.
  if (!item || more.length > 0 || !product || !item.price.recurring) throw new AppError(409, 'monthly_gift_not_changeable', 'This monthly gift was changed at Stripe and cannot be changed here; ask the appeal\'s treasurer.');
  const { interval, interval_count } = item.price.recurring;
  const unitAmount = toStripeAmount(chargedOf(asked), item.price.currency.toUpperCase());
  const updated = await updateSubscriptionAtStripe(
    stripe,
    subscriptionId,
    {
      // Quantity 1: a quantity set in the Dashboard would multiply the amount the donor chose.
      items: [{ id: item.id, quantity: 1, price_data: { currency: item.price.currency, product, unit_amount: unitAmount, recurring: { interval, interval_count } } }],
      proration_behavior: 'none',
      metadata: splitMetadata(asked),
    },
    idempotencyKey,
  );
  // Stripe answers a key it has seen with its first answer and changes nothing: an old request
  // sent again (a page brought back, a late retry) after a later change must not be recorded as
  // the amount, while Stripe keeps the later one.
  if (!replayedByStripe(updated)) return stripeSaidAt(stripe, updated);
  const current = await stripe.subscriptions.retrieve(subscriptionId);
  const [now] = current.items.data;
  if (now?.price.unit_amount !== unitAmount || now.quantity !== 1) throw changedSince();
  return stripeSaidAt(stripe, current);
}

/** What a gift's row may not know yet (Stripe ended it, set it to end, or a renewal failed, and its event is not posted), refused as the row would refuse it. */
export function assertRunningAtStripe(sub: Stripe.Subscription): void {
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') throw new AppError(409, 'monthly_gift_ended', 'This monthly gift has ended: it renews no more.');
  if (sub.cancel_at !== null || sub.cancel_at_period_end) throw new AppError(409, 'monthly_gift_ending', 'This monthly gift is set to end: it renews no more.');
  if (sub.status !== 'active') throw new AppError(409, 'monthly_gift_failing', "This monthly gift's last payment failed: update the card first.");
}

async function tellDonor(tx: Tx, d: Donation, c: { before: MonthlySplit; asked: MonthlySplit; appeal: AppealSchedule; appealTitle: string; accountUrl: string; requestKey: string }): Promise<void> {
  const mail = monthlyAmountEmail(d, {
    previousMinor: chargedOf(c.before),
    amountMinor: chargedOf(c.asked),
    nextChargeAt: upcomingCharge(d, c.appeal, new Date()),
    endsWithAppealOn: endsWithAppealOn(d, c.appeal, new Date()),
    appealTitle: c.appealTitle,
    accountUrl: c.accountUrl,
    requestKey: c.requestKey,
  });
  if (mail) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
}
