import Stripe from 'stripe';

/**
 * Ends a subscription at Stripe, answering null; or, when Stripe had ended it already (in its
 * dashboard, or after renewals failed) and its event is not posted yet, when that was.
 */
export async function endAtStripe(stripe: Stripe, subscriptionId: string): Promise<Date | null> {
  try {
    await stripe.subscriptions.cancel(subscriptionId, {}, { idempotencyKey: `cancel-subscription:${subscriptionId}` });
    return null;
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw err;
    const sub = await stripe.subscriptions.retrieve(subscriptionId);
    if (sub.status !== 'canceled') throw err;
    return new Date((sub.ended_at ?? sub.canceled_at ?? Math.floor(Date.now() / 1000)) * 1000);
  }
}
