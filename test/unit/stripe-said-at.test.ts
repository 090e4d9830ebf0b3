import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { stripeSaidAt } from '../../server/payments/stripe-said-at';

// A donor's own change stamps the gift's row with when Stripe answered, so that an event Stripe
// made before it cannot undo it (the said-at guard). Live subscriptions have no test clock: the
// stamp is then the answer's Date header, Stripe's clock, as its events' `created` reads it. (A
// subscription on a test clock is stamped with the clock's time: the integration tests, on clocks.)

const answer = (testClock: string | null, headers: Record<string, string>) =>
  ({ id: 'sub_1', test_clock: testClock, lastResponse: { headers, requestId: 'req_1', statusCode: 200 } }) as unknown as Stripe.Response<Stripe.Subscription>;
const noStripe = {} as Stripe;

describe('stripeSaidAt', () => {
  it("is the Date header of a subscription without a test clock, to the second", async () => {
    expect(await stripeSaidAt(noStripe, answer(null, { date: 'Thu, 05 Mar 2026 12:00:07 GMT' }))).toEqual(new Date('2026-03-05T12:00:07Z'));
  });

  it('is none when the answer names no time, or one that is no date', async () => {
    expect(await stripeSaidAt(noStripe, answer(null, {}))).toBeNull();
    expect(await stripeSaidAt(noStripe, answer(null, { date: 'soon' }))).toBeNull();
  });
});
