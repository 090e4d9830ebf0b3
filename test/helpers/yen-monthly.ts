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
