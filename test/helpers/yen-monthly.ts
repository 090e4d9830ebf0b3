import { expect } from 'vitest';
import type { PaymentsHarness } from './payments-harness';
import { signIn } from './sign-in';

/** A paid ¥3,000 monthly gift to the Osaka strike fund, given in Japanese from Tokyo, on a test clock; its donor signed in. */
export async function yenMonthlyOnClock(h: PaymentsHarness, donorEmail: string, body: Record<string, unknown> = {}) {
  const start = Math.floor(Date.now() / 1000);
  const g = await h.monthlyGiftOnClock(donorEmail, start, { amountMinor: '3000', locale: 'ja', timeZone: 'Asia/Tokyo', ...body }, 'osaka-care-strike-fund');
  return { ...g, start, email: donorEmail, donor: await signIn(h.app, donorEmail) };
}

/** The donor's "Change amount" through the API, each call with a key of its own unless `payload` gives one. */
export const changeAmount = (h: PaymentsHarness, id: string, cookie: string, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: `/api/me/monthly/${id}/amount`, headers: { cookie }, payload: { coverFees: false, idempotencyKey: `k-${Math.random().toString(36).slice(2)}`, ...payload } });

/**
 * The gift's next renewal made by Stripe a minute ago as a draft, which the emulator (as Stripe)
 * finalizes and charges an hour after making it; the tests after set renewalDraftSeconds back to 0.
 */
export async function inDraftHour(h: PaymentsHarness, g: { subId: string; clock: string }) {
  const stripe = h.emulator.client();
  const hour = 3600;
  const periodEnd = async () => (await stripe.subscriptions.retrieve(g.subId)).items.data[0]!.current_period_end;
  h.emulator.controls.setRenewalDraftSeconds(hour);
  const renewsAt = await periodEnd();
  await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: renewsAt + 60 });
  await h.settle();
  const draft = await stripe.invoices.retrieve(String((await stripe.subscriptions.retrieve(g.subId)).latest_invoice));
  expect(draft).toMatchObject({ status: 'draft', billing_reason: 'subscription_cycle', automatically_finalizes_at: renewsAt + hour });
  return { renewsAt, draft, followingAt: await periodEnd() };
}
