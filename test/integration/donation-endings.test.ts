import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations, outboxEmails } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// Gifts that end without money moving: each must reach its end state from Stripe's own event,
// instead of staying "pending" (or a monthly gift "active") for good, and post nothing.

let h: PaymentsHarness;
let stripe: Stripe;

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});

afterAll(async () => {
  await h?.close();
});

type Json = Record<string, unknown>;
type EventJson = Json & { id: string; type: string; data: { object: Json } };

async function donation(id: string) {
  const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, id));
  return row!;
}

/** The emulator's own event as plain JSON, to alter into what the emulator's cards never send. */
async function emulatorEvent(type: string, objectId: string): Promise<EventJson> {
  return JSON.parse(JSON.stringify(await h.emulatorEvent(type, objectId))) as EventJson;
}

async function eventStatus(type: string, objectId: string): Promise<string[]> {
  const rows = await queryRows<{ status: string }>(
    h.testDb.database.db,
    sql`SELECT status FROM stripe_events WHERE type = ${type} AND payload::json->'data'->'object'->>'id' = ${objectId}`,
  );
  return rows.map((r) => r.status);
}

describe('gifts that end without money moving', () => {
  // A donor's card is declined and they walk away: when the checkout expires, the gift is over.
  it('a checkout that expires unpaid cancels its gift and posts nothing', async () => {
    const before = await h.appealBalance('buck-a-brick');
    const { donationId, sessionId, checkoutUrl } = await h.donate('buck-a-brick', { amountMinor: '1000' });
    expect((await submitCheckoutForm(checkoutUrl, { card_number: '4000 0000 0000 0002' })).status).toBe(402);
    await h.settle();
    expect((await donation(donationId)).status).toBe('pending');

    await stripe.checkout.sessions.expire(sessionId);
    await h.settle();
    expect(await donation(donationId)).toMatchObject({ status: 'canceled', chargeId: null, succeededAt: null });
    expect(await eventStatus('checkout.session.expired', sessionId)).toEqual(['processed']);
    expect(await h.appealBalance('buck-a-brick')).toBe(before);
    // The thank-you page reads this: the gift did not go through. The donor walked away: no mail.
    expect((await h.app.inject(`/api/donations/${donationId}`)).json().status).toBe('canceled');
    expect(await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `gift_failed:${donationId}`))).toEqual([]);
  });

  // SEPA or ACH: Checkout completes unpaid, and days later Stripe says the money arrived.
  it('a delayed payment posts when Stripe says it is paid, not when its checkout completes, and once', async () => {
    const before = await h.appealBalance('buck-a-brick');
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '1200' });
    h.emulator.controls.pause();
    try {
      h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
      const completed = await emulatorEvent('checkout.session.completed', sessionId);
      await h.deliver({ ...completed, id: `${completed.id}_unpaid`, data: { ...completed.data, object: { ...completed.data.object, payment_status: 'unpaid' } } });
      await h.drain();
      expect((await donation(donationId)).status).toBe('pending');
      expect(await h.appealBalance('buck-a-brick')).toBe(before);

      await h.deliver({ ...completed, id: `${completed.id}_async`, type: 'checkout.session.async_payment_succeeded' });
      await h.drain();
      expect((await donation(donationId)).status).toBe('succeeded');
      expect(await h.appealBalance('buck-a-brick')).toBe(before - 1200n);
    } finally {
      h.emulator.controls.resume();
    }
    // Stripe's own paid checkout event arrives as well: still one gift.
    await h.settle();
    expect(await h.appealBalance('buck-a-brick')).toBe(before - 1200n);
  });

  it('a delayed payment that fails marks its gift failed and posts nothing', async () => {
    const before = await h.appealBalance('buck-a-brick');
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '1300' });
    const session = JSON.parse(JSON.stringify(await stripe.checkout.sessions.retrieve(sessionId))) as Json;
    await h.deliver({ id: `evt_async_failed_${sessionId}`, object: 'event', type: 'checkout.session.async_payment_failed', created: Math.floor(Date.now() / 1000), data: { object: { ...session, status: 'complete', payment_status: 'unpaid' } } });
    await h.drain();
    expect((await donation(donationId)).status).toBe('failed');
    expect(await h.appealBalance('buck-a-brick')).toBe(before);
    // Days after checkout the donor would believe they gave: they are told, once.
    const told = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `gift_failed:${donationId}`));
    expect(told).toEqual([expect.objectContaining({ toAddress: 'member@example.org', kind: 'gift_failed', subject: 'Your gift of $13.00 could not be completed' })]);
    expect(told[0]!.textBody).toContain('nothing was taken');
    // Another gift's id in this session's metadata (a session made elsewhere): that gift is untouched.
    const other = await h.donate('buck-a-brick', { amountMinor: '1400' });
    const metadata = { ...(session.metadata as Json), donation_id: other.donationId };
    await h.deliver({ id: 'evt_async_failed_not_its_own', object: 'event', type: 'checkout.session.async_payment_failed', created: Math.floor(Date.now() / 1000), data: { object: { ...session, metadata } } });
    await h.drain();
    expect((await donation(other.donationId)).status).toBe('pending');
    const [row] = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status FROM stripe_events WHERE id = 'evt_async_failed_not_its_own'`);
    expect(row!.status).toBe('ignored');
  });

  // A treasurer ends a monthly gift in Stripe's dashboard (or Stripe does, after failed renewals):
  // the donor's page must say it has ended. Usually its checkout was posted long before; Stripe may
  // also deliver the end first, before the checkout that tells us the subscription's id.
  it.each([
    ['long after its checkout was posted', false],
    ['when the end is posted before its checkout', true],
  ])("a monthly gift ended at Stripe shows as ended on the donor's page, %s", async (_case, endFirst) => {
    const donorEmail = `kei-${endFirst ? 'early' : 'late'}@example.org`;
    const { donationId, sessionId } = await h.donate('osaka-care-strike-fund', { amountMinor: '3000', frequency: 'monthly', donorEmail });
    // Held back, the checkout's events wait while the end is delivered alone.
    if (endFirst) h.emulator.controls.pause();
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    const subscriptionId = (await stripe.checkout.sessions.retrieve(sessionId)).subscription as string;
    if (endFirst) {
      try {
        await stripe.subscriptions.cancel(subscriptionId);
        await h.deliver(await h.emulatorEvent('customer.subscription.deleted', subscriptionId));
        await h.drain();
        expect((await donation(donationId)).subscriptionId).toBeNull();
        expect(await eventStatus('customer.subscription.deleted', subscriptionId)).toEqual(['processed']);
      } finally {
        h.emulator.controls.resume();
      }
    } else {
      await h.settle();
      expect(await donation(donationId)).toMatchObject({ status: 'succeeded', subscriptionId, subscriptionCanceledAt: null });
      await stripe.subscriptions.cancel(subscriptionId);
    }
    await h.settle();
    const sub = await stripe.subscriptions.retrieve(subscriptionId);
    const d = await donation(donationId);
    expect(d).toMatchObject({ status: 'succeeded', subscriptionId });
    expect(d.subscriptionCanceledAt?.getTime()).toBe(sub.ended_at! * 1000);
    const donor = await signIn(h.app, donorEmail);
    const monthly = (await h.app.inject({ url: '/api/me/monthly', headers: { cookie: donor } })).json().monthly;
    // Ended, it is charged no more, whichever was posted first: its end or its first payment.
    expect(d.nextChargeAt).not.toBeNull();
    expect(monthly).toEqual([expect.objectContaining({ id: donationId, canceledAt: d.subscriptionCanceledAt!.toISOString(), nextChargeAt: null })]);
  });

  it('leaves a ledger that verifies and no event parked', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const [parked] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status <> 'processed' AND status <> 'ignored'`);
    expect(parked!.n).toBe(0);
  });
});
