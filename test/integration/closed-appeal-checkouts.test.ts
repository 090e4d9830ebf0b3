import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appeals, donations } from '../../db/schema/index';
import { expireCheckoutsOfClosedAppeals } from '../../server/appeals/closed-appeal-checkouts';
import { RestingGifts } from '../../server/appeals/closed-appeal-gifts';
import { closeExpiredAppeals } from '../../server/appeals/manage-service';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// A Checkout Session stays payable for 24 hours. A donor who opened one before the appeal closed
// could pay it after the close: a closed appeal, whose page says so, went on taking gifts for a day.
// Closing now leads to the open checkouts being expired at Stripe; one paid meanwhile is left to
// Stripe's events, which book it as any gift.

let h: PaymentsHarness;
let stripe: Stripe;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});

afterAll(async () => {
  h?.emulator.controls.resume();
  await h?.close();
});

const expireJob = (resting = new RestingGifts()) =>
  expireCheckoutsOfClosedAppeals({ db: h.testDb.database.db, runAlone: h.testDb.database.runAlone, stripe, log: silent }, 50, resting);
const donation = async (id: string) => (await h.testDb.database.db.select().from(donations).where(eq(donations.id, id)))[0]!;

async function close(slug: string) {
  const res = await h.app.inject({ method: 'POST', url: `/api/appeals/${slug}/close`, headers: { cookie: await signIn(h.app, 'organizer@ue222.demo') } });
  expect(res.statusCode, res.body).toBe(200);
}

describe('closing an appeal expires its open checkouts at Stripe', () => {
  it('expires the open checkout of a closed appeal, and leaves its paid gift alone', async () => {
    const open = await h.donate('buck-a-brick', { amountMinor: '1500', frequency: 'one_off', donorEmail: 'open@example.org' });
    const paid = await h.donate('buck-a-brick', { amountMinor: '2000', frequency: 'one_off', donorEmail: 'paid@example.org' });
    h.emulator.controls.payCheckoutSession(paid.sessionId);
    await h.settle();
    const paidBefore = await donation(paid.donationId);
    expect(paidBefore.status).toBe('succeeded');

    await close('buck-a-brick');
    const raised = await h.appealBalance('buck-a-brick');
    expect(await expireJob()).toEqual({ seen: 1, expired: 1 });

    // Stripe says it is expired, and it takes no card any more.
    expect((await stripe.checkout.sessions.retrieve(open.sessionId)).status).toBe('expired');
    expect(() => h.emulator.controls.payCheckoutSession(open.sessionId)).toThrow(/no longer active/);
    await h.settle();
    expect((await donation(open.donationId)).status).toBe('canceled');
    expect(await donation(paid.donationId)).toEqual(paidBefore);
    expect(await h.appealBalance('buck-a-brick')).toBe(raised);
    // Nothing left to expire: a second run asks Stripe nothing.
    expect(await expireJob()).toEqual({ seen: 0, expired: 0 });

    // The donor coming back finds the gift not taken and the appeal closed, not an error.
    const gift = await h.app.inject({ url: `/api/donations/${open.donationId}` });
    expect(gift.statusCode).toBe(200);
    expect(gift.json()).toMatchObject({ status: 'canceled' });
    const appeal = await h.app.inject({ url: '/api/appeals/buck-a-brick' });
    expect(appeal.statusCode).toBe(200);
    expect(appeal.json()).toMatchObject({ status: 'closed' });
  });

  it('expires the open checkout of an appeal its deadline closed', async () => {
    const open = await h.donate('osaka-care-strike-fund', { amountMinor: '3000', frequency: 'one_off', donorEmail: 'late@example.org' });
    await h.testDb.database.db.update(appeals).set({ deadlineAt: sql`now() - interval '1 minute'` }).where(eq(appeals.slug, 'osaka-care-strike-fund'));
    expect(await closeExpiredAppeals(h.testDb.database.db)).toBe(1);
    expect(await expireJob()).toEqual({ seen: 1, expired: 1 });
    expect((await stripe.checkout.sessions.retrieve(open.sessionId)).status).toBe('expired');
    await h.settle();
    expect((await donation(open.donationId)).status).toBe('canceled');
  });

  // Stripe takes whichever of the payment and the expiry reaches it first. A donor who paid after the
  // close but before the job keeps the gift: it is booked from Stripe's events, once.
  it('leaves alone a session completed between the close and the job', async () => {
    const [brick] = await h.testDb.database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    await h.testDb.database.db.insert(appeals).values({ slug: 'paid-in-between', organizationId: brick!.organizationId, title: 'Paid in between', beneficiary: 'Local 222', currency: 'USD', goalMinor: 100_000n, status: 'live', publishedAt: new Date() });
    const gift = await h.donate('paid-in-between', { amountMinor: '2500', frequency: 'one_off', donorEmail: 'between@example.org' });
    await close('paid-in-between');
    // Stripe's word of the payment is on its way while the job runs.
    h.emulator.controls.pause();
    try {
      h.emulator.controls.payCheckoutSession(gift.sessionId);
      expect(await expireJob()).toEqual({ seen: 1, expired: 0 });
      expect((await stripe.checkout.sessions.retrieve(gift.sessionId)).status).toBe('complete');
      expect((await donation(gift.donationId)).status).toBe('pending');
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect((await donation(gift.donationId)).status).toBe('succeeded');
    // Booked once: the appeal's account (a liability, so credited: negative) holds the gift.
    expect(await h.appealBalance('paid-in-between')).toBe(-2500n);
    expect(await expireJob()).toEqual({ seen: 0, expired: 0 });
  });

  // Two workers polling at once: one run expires the checkouts, the other does nothing, and Stripe
  // is asked once per session.
  it('expires each checkout once when two runs start together', async () => {
    const [brick] = await h.testDb.database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    await h.testDb.database.db.insert(appeals).values({ slug: 'two-workers', organizationId: brick!.organizationId, title: 'Two workers', beneficiary: 'Local 222', currency: 'USD', goalMinor: 100_000n, status: 'live', publishedAt: new Date() });
    const gifts = [
      await h.donate('two-workers', { amountMinor: '1000', frequency: 'one_off', donorEmail: 'one@example.org' }),
      await h.donate('two-workers', { amountMinor: '1000', frequency: 'monthly', donorEmail: 'two@example.org' }),
    ];
    await close('two-workers');
    const runs = await Promise.all([expireJob(), expireJob()]);
    expect(runs.reduce((n, r) => n + r.expired, 0)).toBe(2);
    await h.settle();
    const expiredEvents = (await stripe.events.list({ type: 'checkout.session.expired', limit: 100 })).data;
    for (const gift of gifts) {
      expect(expiredEvents.filter((e) => (e.data.object as Stripe.Checkout.Session).id === gift.sessionId)).toHaveLength(1);
      expect((await donation(gift.donationId)).status).toBe('canceled');
    }
  });

  it('leaves a ledger that verifies and no event parked', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const [parked] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status NOT IN ('processed', 'ignored')`);
    expect(parked!.n).toBe(0);
  });
});
