import { and, eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { auditLog, donations, outboxEmails } from '../../db/schema/index';
import { pauseMonthlyGift } from '../../server/donors/monthly-pause';
import { holdRenewal } from '../../server/donors/renewal-under-way';
import { changeAmount, inDraftHour, yenMonthlyOnClock } from '../helpers/yen-monthly';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { withoutDeadlines } from '../helpers/no-deadlines';

// Stripe makes a renewal's invoice as a draft at the period's end and charges it about an hour
// later; a pause set in that hour does not stop it (docs.stripe.com/billing/subscriptions/
// pause-payment). A member who paused her ¥3,000 gift in that hour was charged once more, though
// her mail said nothing would be charged until the pause ended. The drafted renewal is the first
// payment her pause skips: held (finalized without auto-advance) and voided, nothing charged,
// nothing posted. A change of amount in that hour would not reach the payment under way: refused.

let h: PaymentsHarness;
let stripe: Stripe;
const HOUR = 3600;
const slug = 'osaka-care-strike-fund';

beforeAll(async () => {
  h = await startPaymentsHarness();
  await withoutDeadlines(h.testDb.database.db);
  stripe = h.emulator.client();
});
afterAll(async () => h?.close());
afterEach(() => h.emulator.controls.setRenewalDraftSeconds(0));

type Gift = Awaited<ReturnType<typeof yenMonthlyOnClock>>;
const post = (id: string, what: 'pause' | 'resume', cookie: string, payload: Record<string, unknown> = {}) =>
  h.app.inject({ method: 'POST', url: `/api/me/monthly/${id}/${what}`, headers: { cookie }, payload: { idempotencyKey: `k-${Math.random().toString(36).slice(2)}`, ...payload } });
const monthlyOf = async (cookie: string, id: string) => ((await h.app.inject({ url: '/api/me/monthly', headers: { cookie } })).json().monthly as Array<Record<string, unknown>>).find((g) => g.id === id)!;
const renewalsOf = (id: string) => h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, id));
const ledgerTransactions = async () => (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions`))[0]!.n;
const mailsTo = async (address: string) => (await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.toAddress, address))).map((m) => m.kind).filter((k) => k !== 'sign_in').sort();
const audits = (id: string, action: string) => h.testDb.database.db.select().from(auditLog).where(and(eq(auditLog.subjectId, id), eq(auditLog.action, action)));
const periodEnd = async (subId: string) => (await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
const latestInvoice = async (subId: string) => stripe.invoices.retrieve(String((await stripe.subscriptions.retrieve(subId)).latest_invoice));
const chargesOf = async (g: Gift) => (await stripe.charges.list({ customer: String((await stripe.subscriptions.retrieve(g.subId)).customer) })).data;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const advance = async (g: Gift, to: number) => {
  await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: to });
  await h.settle();
};

/** A ¥3,000 gift whose next renewal Stripe has just made as a draft, to be charged an hour after it was made. */
async function giftInDraftHour(email: string) {
  const g = await yenMonthlyOnClock(h, email);
  const { renewsAt, followingAt } = await inDraftHour(h, g);
  return { g, renewsAt, followingAt };
}

describe('a pause in the hour before a renewal is charged', () => {
  it('skips that renewal: voided, nothing charged or posted, no receipt; the gift charges again when the months chosen are over', async () => {
    const { g, followingAt } = await giftInDraftHour('kaede@example.jp');
    const [transactionsBefore, balanceBefore, mailsBefore] = [await ledgerTransactions(), await h.appealBalance(slug), await mailsTo(g.email)];

    const res = await post(g.donationId, 'pause', g.donor, { months: 1 });
    expect(res.statusCode, res.body).toBe(200);
    // One month skipped: the drafted one. The next charge is the period after it, as her mail says.
    expect(res.json()).toEqual({ pausedUntil: iso(followingAt - HOUR), nextChargeAt: iso(followingAt), changed: true });
    expect(await latestInvoice(g.subId)).toMatchObject({ status: 'void', amount_paid: 0 });

    await advance(g, followingAt - 2 * HOUR);
    expect((await chargesOf(g)).length, 'only the first payment was charged').toBe(1);
    expect(await renewalsOf(g.donationId)).toHaveLength(0);
    expect(await ledgerTransactions()).toBe(transactionsBefore);
    expect(await h.appealBalance(slug)).toBe(balanceBefore);
    // Her pause's mail and nothing else: no receipt, no "your payment failed".
    expect(await mailsTo(g.email)).toEqual([...mailsBefore, 'monthly_paused'].sort());
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, renewalFailedAt: null, pausedUntil: iso(followingAt - HOUR), nextChargeAt: iso(followingAt) });

    // The pause ends an hour before the next period; its renewal is drafted, then charged and posted.
    await advance(g, followingAt + HOUR + 60);
    const [renewal] = await renewalsOf(g.donationId);
    expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 3000n });
    expect(await chargesOf(g)).toHaveLength(2);
    expect(await mailsTo(g.email)).toEqual([...mailsBefore, 'monthly_paused', 'receipt'].sort());
  });

  it('counts the drafted renewal among the months chosen: 3 months skip it and the two after it', async () => {
    const { g, followingAt } = await giftInDraftHour('ren@example.jp');
    const third = new Date(followingAt * 1000);
    third.setUTCMonth(third.getUTCMonth() + 2);
    const res = await post(g.donationId, 'pause', g.donor, { months: 3 });
    expect(res.json()).toMatchObject({ nextChargeAt: third.toISOString() });
    expect((await stripe.subscriptions.retrieve(g.subId)).pause_collection).toEqual({ behavior: 'void', resumes_at: third.getTime() / 1000 - HOUR });
  });

  it('once Stripe has charged the renewal, a pause skips the ones after it, and says so', async () => {
    const { g, renewsAt, followingAt } = await giftInDraftHour('sora@example.jp');
    await advance(g, renewsAt + HOUR + 60);
    expect(await renewalsOf(g.donationId)).toHaveLength(1);
    const after = new Date(followingAt * 1000);
    after.setUTCMonth(after.getUTCMonth() + 1);
    const res = await post(g.donationId, 'pause', g.donor, { months: 1 });
    expect(res.json()).toEqual({ pausedUntil: iso(after.getTime() / 1000 - HOUR), nextChargeAt: after.toISOString(), changed: true });
    expect(await latestInvoice(g.subId)).toMatchObject({ status: 'paid', amount_paid: 3000 });
  });

  // Read as a draft, charged by Stripe before the pause holds it (its hour ran out in between):
  // refused, nothing paused, so nothing tells her a payment she is making will not be.
  it('refuses when Stripe finalized the renewal first, pausing nothing', async () => {
    const { g, renewsAt } = await giftInDraftHour('haru@example.jp');
    const readBefore = await latestInvoice(g.subId);
    await advance(g, renewsAt + HOUR + 60);
    await expect(holdRenewal(stripe, readBefore, 'monthly-pause:race-1')).rejects.toMatchObject({ statusCode: 409, code: 'monthly_gift_renewal_under_way' });
    expect(await latestInvoice(g.subId)).toMatchObject({ status: 'paid', amount_paid: 3000 });
    expect((await stripe.subscriptions.retrieve(g.subId)).pause_collection).toBeNull();
  });

  it('a change of amount in that hour is refused and changes nothing; after it, it applies', async () => {
    const { g, renewsAt } = await giftInDraftHour('nagi@example.jp');
    const refused = await changeAmount(h, g.donationId, g.donor, { amountMinor: '5000' });
    expect([refused.statusCode, refused.json().error?.code]).toEqual([409, 'monthly_gift_renewal_under_way']);
    expect((await stripe.subscriptions.retrieve(g.subId)).items.data[0]!.price.unit_amount).toBe(3000);
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '3000' });
    await advance(g, renewsAt + HOUR + 60);
    expect((await changeAmount(h, g.donationId, g.donor, { amountMinor: '5000' })).statusCode).toBe(200);
  });
});

describe('a pause sent again under its key after a period boundary (its answer lost)', () => {
  it('answers as the first did, asking Stripe nothing, auditing and mailing once', async () => {
    const g = await yenMonthlyOnClock(h, 'itsuki@example.jp');
    const same = { months: 1, idempotencyKey: 'pause-lost-answer-1' };
    const first = await post(g.donationId, 'pause', g.donor, same);
    expect(first.statusCode, first.body).toBe(200);
    await advance(g, (await periodEnd(g.subId)) + 60);
    const again = await post(g.donationId, 'pause', g.donor, same);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({ ...first.json(), changed: false });
    expect(await audits(g.donationId, 'donation.pause_monthly')).toHaveLength(1);
    expect((await mailsTo(g.email)).filter((k) => k === 'monthly_paused')).toHaveLength(1);
    // Another length under that key is still the client's conflict.
    const other = await post(g.donationId, 'pause', g.donor, { ...same, months: 2 });
    expect([other.statusCode, other.json().error?.code]).toEqual([409, 'monthly_gift_idempotency_conflict']);
  });
});

// Held first, then the pause asked: if Stripe refused the pause (or could not be reached), the held
// renewal was left open and never attempted — a month's gift silently lost, and the gift's next
// changes refused as "under way" until the month after.
describe('a pause that fails at Stripe after the renewal was held', () => {
  /** The SDK as it is, except that updating a subscription fails, as when Stripe answers 500. */
  const failingUpdates = (sdk: Stripe): Stripe => {
    const subscriptions = new Proxy(sdk.subscriptions, {
      get(subs, p) {
        if (p === 'update') return async () => Promise.reject(new Error('api_error: Stripe answered 500'));
        const v: unknown = Reflect.get(subs, p);
        return typeof v === 'function' ? v.bind(subs) : v;
      },
    });
    return new Proxy(sdk, { get: (target, prop) => (prop === 'subscriptions' ? subscriptions : Reflect.get(target, prop)) });
  };

  it('hands the renewal back to Stripe, which charges it; the gift can be changed again', async () => {
    const { g } = await giftInDraftHour('tsubasa@example.jp');
    const viewer = { userId: 'donor-tsubasa', email: g.email, name: 'Tsubasa' } as never;
    const deps = { db: h.testDb.database.db, stripe: failingUpdates(stripe), publicUrl: 'http://localhost:3000' };
    await expect(pauseMonthlyGift(deps, viewer, g.donationId, { months: 1, idempotencyKey: 'failing-pause-1' }, 'req-1')).rejects.toThrow(/500/);
    await h.settle();
    expect(await latestInvoice(g.subId)).toMatchObject({ status: 'paid', amount_paid: 3000 });
    expect((await stripe.subscriptions.retrieve(g.subId)).pause_collection).toBeNull();
    expect((await changeAmount(h, g.donationId, g.donor, { amountMinor: '5000' })).statusCode).toBe(200);
  });
});
