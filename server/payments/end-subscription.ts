import Stripe from 'stripe';
import type { MonthlyEnd } from './monthly-end-mail';

/** A subscription Stripe had ended before we asked: when, and whether for renewals left unpaid. */
export interface EndedBefore {
  at: Date;
  unpaid: boolean;
}

/**
 * Ends a subscription at Stripe, answering null; or, when Stripe had ended it already (in its
 * dashboard, or after renewals failed) and its event is not posted yet, when and why that was.
 */
export async function endAtStripe(stripe: Stripe, subscriptionId: string): Promise<EndedBefore | null> {
  try {
    await stripe.subscriptions.cancel(subscriptionId, {}, { idempotencyKey: `cancel-subscription:${subscriptionId}` });
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
