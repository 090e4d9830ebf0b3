import Stripe from 'stripe';
import { renewalNotCharged, tryHoldRenewal, voidHeldRenewal } from '../donors/renewal-under-way';
import type { MonthlyEnd } from './monthly-end-mail';

/** A subscription Stripe had ended before we asked: when, and whether for renewals left unpaid. */
export interface EndedBefore {
  at: Date;
  unpaid: boolean;
}

/** What ending a subscription at Stripe came to. */
export interface Ending {
  /** Null when this ended it; else when, and why, Stripe had ended it before (its event not posted yet). */
  endedBefore: EndedBefore | null;
  /**
   * A renewal Stripe made before the end was already being charged (finalized before it could be
   * held): that one payment is taken, and nothing after it. Whoever is told of the end is told so.
   */
  renewalUnderWay: boolean;
}

/*
 * Canceling a subscription "stops automatic collection of all finalized invoices"
 * (docs.stripe.com/api/subscriptions/cancel): a renewal still a draft in its hour before it is
 * charged (docs.stripe.com/invoicing/integration/automatic-advancement-collection) is no finalized
 * invoice, and Stripe finalizes and charges it after the end all the same. Neither of cancel's
 * parameters reaches it: `invoice_now` makes a final invoice of un-invoiced usage and pending
 * prorations, `prorate` credits the unused time; we send neither (a gift is charged upfront, no
 * usage, no credit). So the draft is held (finalized with auto_advance=false) before the cancel and
 * voided after it (renewal-under-way.ts), as a pause in that hour does: held first, so that a draft
 * Stripe finalized meanwhile is known to be charging before the end is told.
 */

/**
 * Ends a subscription at Stripe, so that nothing more is charged: a renewal it made and has not
 * charged yet is held and voided. Every call to Stripe has a key derived from the ending's own,
 * one per subscription (a subscription ends once): the donor's click, its retry, and the closing
 * appeal's job hold, end and void it once between them.
 */
export async function endAtStripe(stripe: Stripe, subscriptionId: string): Promise<Ending> {
  const keyBase = `cancel-subscription:${subscriptionId}`;
  const uncharged = await renewalNotCharged(stripe, await stripe.subscriptions.retrieve(subscriptionId));
  const renewalUnderWay = uncharged ? (await tryHoldRenewal(stripe, uncharged, keyBase)) === 'charging' : false;
  const endedBefore = await cancelAtStripe(stripe, subscriptionId, keyBase);
  if (uncharged && !renewalUnderWay) await voidHeldRenewal(stripe, uncharged.id!, keyBase);
  return { endedBefore, renewalUnderWay };
}

/**
 * Cancels a subscription at Stripe, answering null; or, when Stripe had ended it already (in its
 * dashboard, or after renewals failed) and its event is not posted yet, when and why that was.
 */
async function cancelAtStripe(stripe: Stripe, subscriptionId: string, key: string): Promise<EndedBefore | null> {
  try {
    await stripe.subscriptions.cancel(subscriptionId, {}, { idempotencyKey: key });
    return null;
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw err;
    const sub = await stripe.subscriptions.retrieve(subscriptionId);
    if (sub.status !== 'canceled') throw err;
    return {
      at: new Date((sub.ended_at ?? sub.canceled_at ?? Math.floor(Date.now() / 1000)) * 1000),
      unpaid: sub.cancellation_details?.reason === 'payment_failed',
    };
  }
}

/**
 * Which mail tells the donor their monthly gift ended, once we asked Stripe to end it for `ours`:
 * ours when this ended it; when Stripe had given up on failed renewals before its event was posted
 * here, the mail the poster would have sent for that (the same dedupe key, so it goes once); none
 * when someone else ended it before (the donor, a treasurer), whose ending says itself.
 */
export function endMailKind(endedBefore: EndedBefore | null, ours: MonthlyEnd): MonthlyEnd | null {
  if (!endedBefore) return ours;
  return endedBefore.unpaid ? 'renewal_ended' : null;
}
