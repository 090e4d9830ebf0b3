import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donations } from '../../db/schema/index';
import { coverFeesMinor } from '../../server/payments/charge-limits';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

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

/** A paid ¥3,000 monthly gift to the Osaka strike fund, on a test clock; its donor signed in. */
async function yenMonthly(donorEmail: string, body: Record<string, unknown> = {}) {
  const start = Math.floor(Date.now() / 1000);
  const g = await h.monthlyGiftOnClock(donorEmail, start, { amountMinor: '3000', locale: 'ja', timeZone: 'Asia/Tokyo', ...body }, slug);
  return { ...g, start, donor: await signIn(h.app, donorEmail) };
}

const change = (id: string, cookie: string, payload: Record<string, unknown>) =>
  h.app.inject({ method: 'POST', url: `/api/me/monthly/${id}/amount`, headers: { cookie }, payload: { coverFees: false, idempotencyKey: `k-${Math.random().toString(36).slice(2)}`, ...payload } });

const renewalsOf = (id: string) => h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, id));

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
  // Stripe took the donor's new amount and our commit then failed: the price at Stripe is the gift
  // and the fees she chose to cover, which only she knows how to split.
  it("our own change whose write was lost: the next renewal still splits as the donor chose", async () => {
    const g = await yenMonthly('natsuki@example.jp');
    const fees = coverFeesMinor(5000n, 'JPY');
    const lost = await losingAmountWrites(g.donationId, () => change(g.donationId, g.donor, { amountMinor: '5000', coverFees: true }));
    expect(lost.statusCode).toBe(500);
    expect((await stripe.subscriptions.retrieve(g.subId)).items.data[0]!.price.unit_amount).toBe(Number(5000n + fees));
    await h.settle();

    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + 31 * DAY });
    await h.settle();
    const [renewal] = await renewalsOf(g.donationId);
    expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 5000n, coverFeesMinor: fees });
  });
});
