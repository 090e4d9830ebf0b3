import type Stripe from 'stripe';

/**
 * When Stripe gave `answer` about a subscription, by the clock its events' `created` reads, so that
 * a row written from our own change's answer and one written from an event are ordered alike by
 * the said-at guard (handlers/said-at.ts): an event Stripe made before the answer, posted after
 * it, must not undo it. That clock is the subscription's test clock while it has one (its objects
 * live at the clock's frozen time; only in test mode), else Stripe's own, which the answer's Date
 * header gives to the second. Null when the answer names no time: the row's said-at is then left
 * as it was.
 */
export async function stripeSaidAt(stripe: Stripe, answer: Stripe.Response<Stripe.Subscription>): Promise<Date | null> {
  const clock = answer.test_clock;
  if (clock) return new Date((typeof clock === 'string' ? await stripe.testHelpers.testClocks.retrieve(clock) : clock).frozen_time * 1000);
  const dateHeader = answer.lastResponse.headers['date'];
  const at = typeof dateHeader === 'string' ? Date.parse(dateHeader) : Number.NaN;
  return Number.isFinite(at) ? new Date(at) : null;
}
