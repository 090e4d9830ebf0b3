import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations } from '../../db/schema/index';
import { coverFeesMinor } from '../../server/payments/charge-limits';
import { drainOnce } from '../../server/payments/poster';
import { changeAmount, yenMonthlyOnClock } from '../helpers/yen-monthly';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { holdLock } from '../helpers/row-lock';
import { testPlatform } from '../helpers/config';

// Stripe charges a monthly gift what its subscription's price says, whoever set it: the donor on
// /account, or a treasurer in Stripe's Dashboard. The donor's page, her mails, the treasurer's
// gift page and each renewal's split into gift and covered fees must say the same.

let h: PaymentsHarness;
let stripe: Stripe;
const DAY = 86_400;
const slug = 'osaka-care-strike-fund';

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});
afterAll(async () => h?.close());

const yenMonthly = (donorEmail: string, body: Record<string, unknown> = {}) => yenMonthlyOnClock(h, donorEmail, body);

const change = (id: string, cookie: string, payload: Record<string, unknown>) => changeAmount(h, id, cookie, payload);

const renewalsOf = (id: string) => h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, id));
const monthlyOf = async (cookie: string, id: string) => ((await h.app.inject({ url: '/api/me/monthly', headers: { cookie } })).json().monthly as Array<Record<string, unknown>>).find((g) => g.id === id)!;
const raised = async () => BigInt((await h.app.inject({ url: `/api/appeals/${slug}` })).json().progress.raisedGrossMinor);
/** What the treasurer's gift page says each renewal charges from now on: the gift, and the fees it covers. */
const treasurersView = async (id: string) => ((await h.app.inject({ url: `/api/donations/${id}/detail`, headers: { cookie: h.treasurer } })).json().monthly as Record<string, unknown> | null | undefined);
const eventStatus = async (id: string) => (await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status FROM stripe_events WHERE id = ${id}`))[0]?.status;

/** The subscription's one item at a new price, as a treasurer sets it in Stripe's Dashboard: no prorations, nothing charged now. */
async function priceInDashboard(subId: string, unitAmount: number) {
  const [item] = (await stripe.subscriptions.retrieve(subId)).items.data;
  const price_data = { currency: item!.price.currency, product: String(item!.price.product), unit_amount: unitAmount, recurring: { interval: 'month' as const } };
  await stripe.subscriptions.update(subId, { items: [{ id: item!.id, price_data }], proration_behavior: 'none' });
}

/** The emulator's updates of this subscription, oldest first. */
async function updatesOf(subId: string): Promise<Stripe.Event[]> {
  await h.emulator.controls.flush();
  const events = await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 });
  return events.data.filter((e) => (e.data.object as Stripe.Subscription).id === subId).reverse();
}

/**
 * Runs `step` while every write of this gift's renewal amount fails, as a database that went away
 * between Stripe's answer and our commit would fail it.
 */
async function losingAmountWrites<T>(donationId: string, step: () => Promise<T>): Promise<T> {
  const db = h.testDb.database.db;
  await db.execute(sql`CREATE OR REPLACE FUNCTION test_lose_amount_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the write was lost'; END $$`);
  await db.execute(sql.raw(`CREATE TRIGGER test_lose_amount_write BEFORE UPDATE OF renewal_amount_minor ON donations FOR EACH ROW WHEN (NEW.id = '${donationId}') EXECUTE FUNCTION test_lose_amount_write()`));
  try {
    return await step();
  } finally {
    await db.execute(sql`DROP TRIGGER test_lose_amount_write ON donations`);
  }
}

describe('a monthly gift charges what Stripe says', () => {
  // A treasurer sets a member's ¥3,000 a month to ¥4,500 in Stripe's Dashboard (she asked them
  // to): Stripe charges ¥4,500 from the next renewal on, and every page here must say so.
  it("a price set in Stripe's Dashboard: the donor's and the treasurer's pages say it, and the next renewal posts it", async () => {
    const g = await yenMonthly('haruka@example.jp');
    const [balanceBefore, raisedBefore] = [await h.appealBalance(slug), await raised()];
    await priceInDashboard(g.subId, 4500);
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '4500', giftAmountMinor: '4500', coversFees: false });
    expect(await treasurersView(g.donationId)).toMatchObject({ renewalAmountMinor: '4500', renewalCoverFeesMinor: '0' });
    // Nothing was charged: the ledger does not move until a renewal is paid.
    expect(await h.appealBalance(slug)).toBe(balanceBefore);
    const [update] = await updatesOf(g.subId);
    expect(await eventStatus(update!.id)).toBe('processed');

    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + 31 * DAY });
    await h.settle();
    const [renewal] = await renewalsOf(g.donationId);
    expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 4500n, coverFeesMinor: 0n });
    expect(await h.appealBalance(slug)).toBe(balanceBefore - 4500n);
    expect(await raised()).toBe(raisedBefore + 4500n);
  });

  // Stripe multiplies a price by its quantity: a donor who covers the fees, set to two in the
  // Dashboard, is charged twice the lot, and nobody here chose how that splits. Set back to one,
  // it is her own gift and fees again.
  it("a quantity set in Stripe's Dashboard: twice the charge, all of it gift; back to one, her own split again", async () => {
    const g = await yenMonthly('shun@example.jp', { coverFees: true });
    const fees = coverFeesMinor(3000n, 'JPY');
    const [item] = (await stripe.subscriptions.retrieve(g.subId)).items.data;
    await stripe.subscriptions.update(g.subId, { items: [{ id: item!.id, quantity: 2 }], proration_behavior: 'none' });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: String(2n * (3000n + fees)), giftAmountMinor: String(2n * (3000n + fees)), coversFees: false });
    await stripe.subscriptions.update(g.subId, { items: [{ id: item!.id, quantity: 1 }], proration_behavior: 'none' });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: String(3000n + fees), giftAmountMinor: '3000', coversFees: true });
  });

  // Stripe took the donor's new amount and our commit then failed: the price at Stripe is the gift
  // and the fees she chose to cover, which only she knows how to split.
  it("our own change whose write was lost: the poster follows Stripe with the donor's split, and so does the next renewal", async () => {
    const g = await yenMonthly('natsuki@example.jp');
    const fees = coverFeesMinor(5000n, 'JPY');
    const lost = await losingAmountWrites(g.donationId, () => change(g.donationId, g.donor, { amountMinor: '5000', coverFees: true }));
    expect(lost.statusCode).toBe(500);
    expect((await stripe.subscriptions.retrieve(g.subId)).items.data[0]!.price.unit_amount).toBe(Number(5000n + fees));
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '3000' });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: String(5000n + fees), giftAmountMinor: '5000', coversFees: true });
    expect(await treasurersView(g.donationId)).toMatchObject({ renewalAmountMinor: '5000', renewalCoverFeesMinor: String(fees) });

    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + 31 * DAY });
    await h.settle();
    const [renewal] = await renewalsOf(g.donationId);
    expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 5000n, coverFeesMinor: fees });
  });

  // Stripe delivers an event more than once and in any order: the copy of the subscription an
  // event carries may be older than what was posted already.
  it("an update delivered twice, and an older one after a newer: the gift's amount is Stripe's", async () => {
    const g = await yenMonthly('riko@example.jp');
    await priceInDashboard(g.subId, 4000);
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + DAY });
    await priceInDashboard(g.subId, 4500);
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '4500' });
    const [older, newer] = await updatesOf(g.subId);
    expect((older!.data.object as Stripe.Subscription).items.data[0]!.price.unit_amount).toBe(4000);
    await h.deliver(newer!);
    await h.deliver({ ...older!, id: `${older!.id}_late` });
    await h.settle();
    expect(await eventStatus(`${older!.id}_late`)).toBe('processed');
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '4500', giftAmountMinor: '4500' });
  });

  // Two posters at once: one reads Stripe for the older update, then waits on a row its batch also
  // writes, while the other reads the newer price and commits. The older read must not win.
  it('an older update read from Stripe first and committed last changes nothing', async () => {
    const { g, other } = await monthlyWithPendingGiftBefore('yuto');
    await priceInDashboard(g.subId, 4000);
    await h.emulator.controls.flush();
    await stripe.checkout.sessions.expire(other.sessionId);
    await h.emulator.controls.flush();
    // The first poster's batch (the older update, and the other gift's expiry) waits on the other gift's row.
    const held = await holdLock(h.testDb.url, 'SELECT 1 FROM donations WHERE id = $1 FOR UPDATE', [other.donationId]);
    try {
      const first = h.drain();
      await held.waitedOn();
      await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + DAY });
      await priceInDashboard(g.subId, 4500);
      await h.emulator.controls.flush();
      expect((await h.drain()).processed).toBeGreaterThan(0);
      expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '4500' });
      await held.release();
      await first;
    } finally {
      await held.end();
    }
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '4500' });
  });

  // A treasurer's price in the Dashboard is read from Stripe by a poster whose batch then waits on
  // a row; meanwhile, a day later, the donor changes the amount herself. The price read before her
  // change, committed after it, must not bring back what she changed, not even until Stripe's word
  // of her change is posted.
  it("the donor's Change amount outlives a Dashboard price read before it and committed after", async () => {
    const { g, other } = await monthlyWithPendingGiftBefore('kanon');
    await priceInDashboard(g.subId, 4000);
    await h.emulator.controls.flush();
    await stripe.checkout.sessions.expire(other.sessionId);
    await h.emulator.controls.flush();
    const held = await holdLock(h.testDb.url, 'SELECT 1 FROM donations WHERE id = $1 FOR UPDATE', [other.donationId]);
    try {
      const first = h.drain();
      await held.waitedOn();
      await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + DAY });
      h.emulator.controls.pause();
      const changed = await change(g.donationId, g.donor, { amountMinor: '5000' });
      expect(changed.statusCode, changed.body).toBe(200);
      await held.release();
      await first;
      expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '5000' });
    } finally {
      h.emulator.controls.resume();
      await held.end();
    }
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '5000' });
  });

  // Stripe updates every subscription on every renewal, and names `items` then too (their new
  // period): a gift must not cost a Stripe read a month for an amount that did not change.
  it('a renewal asks Stripe nothing about the subscription and changes no amount', async () => {
    const g = await yenMonthly('mao@example.jp');
    const counted = h.emulator.client();
    const subscriptionReads: string[] = [];
    counted.on('request', (e: { method: string; path: string }) => {
      if (e.method === 'GET' && e.path.startsWith('/v1/subscriptions/')) subscriptionReads.push(e.path);
    });
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + 31 * DAY });
    await h.emulator.controls.flush();
    const [renewed] = await updatesOf(g.subId);
    expect(Object.keys(renewed!.data.previous_attributes ?? {})).toContain('items');
    for (let i = 0; i < 5 && (await drainOnce({ db: h.testDb.database.db, stripe: counted, log: pino({ level: 'silent' }), platform: testPlatform }, { backoffBaseMs: 0 })).claimed > 0; i++);
    expect(await eventStatus(renewed!.id)).toBe('ignored');
    expect(subscriptionReads).toEqual([]);
    const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, g.donationId));
    expect(row).toMatchObject({ renewalAmountMinor: null, renewalAmountSaidAt: null });
    expect((await renewalsOf(g.donationId))[0]).toMatchObject({ status: 'succeeded', amountMinor: 3000n });
  });
});

/**
 * A paid yen monthly gift, and a gift not paid yet whose row sorts before it, so that a batch locks
 * that one first. Ids are random: one sorting near the start has few below it (1 in 41 monthly
 * gifts found none among 40 tries), so such a monthly gift is made again, by another donor.
 */
async function monthlyWithPendingGiftBefore(name: string) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const g = await yenMonthly(`${name}${attempt}@example.jp`);
    for (let i = 0; i < 40; i++) {
      const other = await h.donate(slug, { amountMinor: '1000', donorEmail: 'someone@example.jp' });
      if (other.donationId < g.donationId) return { g, other };
    }
  }
  throw new Error('no gift sorted before any of 5 monthly gifts');
}
