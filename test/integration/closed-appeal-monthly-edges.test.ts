import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appeals, donations, outboxEmails } from '../../db/schema/index';
import { endMonthlyGiftsOfClosedAppeals, RestingGifts } from '../../server/appeals/closed-appeal-gifts';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// The closing's job meets what Stripe and a crash can do: a subscription Stripe will not end, one
// Stripe ended for failed renewals before its event was posted, a first payment not posted yet, and
// a job that ended a gift at Stripe and died before recording it.

let h: PaymentsHarness;
let stripe: Stripe;
const DAY = 86_400;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});

afterAll(async () => {
  h?.emulator.controls.resume();
  await h?.close();
});

const endJob = (limit: number, resting: RestingGifts) => endMonthlyGiftsOfClosedAppeals({ db: h.testDb.database.db, runAlone: h.testDb.database.runAlone, stripe, publicUrl: 'http://localhost:3000', log: silent }, limit, resting);
const donation = async (id: string) => (await h.testDb.database.db.select().from(donations).where(eq(donations.id, id)))[0]!;
/** The kinds of the mails that told the donor the gift ended (one at most: a gift ends once). */
const mailKinds = async (id: string) => (await h.testDb.database.db.select({ kind: outboxEmails.kind }).from(outboxEmails).where(eq(outboxEmails.dedupeKey, `monthly_ended:${id}`))).map((m) => m.kind);

async function close(slug: string, organizer: string) {
  const res = await h.app.inject({ method: 'POST', url: `/api/appeals/${slug}/close`, headers: { cookie: await signIn(h.app, organizer) } });
  expect(res.statusCode, res.body).toBe(200);
}

describe('ending the monthly gifts of a closed appeal, when things go wrong', () => {
  it('tells the donor even when the job died after ending the gift at Stripe', async () => {
    const gift = await h.donate('osaka-care-strike-fund', { amountMinor: '3000', frequency: 'monthly', donorEmail: 'kei@example.org' });
    h.emulator.controls.payCheckoutSession(gift.sessionId, '4242424242424242');
    await h.settle();
    const subscriptionId = (await donation(gift.donationId)).subscriptionId!;
    await close('osaka-care-strike-fund', 'organizer@osaka.demo');
    // The job's own call to Stripe, then nothing: the process died before its transaction.
    await stripe.subscriptions.cancel(subscriptionId, {}, { idempotencyKey: `cancel-subscription:${subscriptionId}` });
    // Stripe's event is posted first, and records the end: the job will never see this gift again.
    await h.settle();
    expect((await donation(gift.donationId)).subscriptionCanceledAt).not.toBeNull();
    expect(await mailKinds(gift.donationId)).toEqual(['appeal_closed_ended']);
  });

  it('goes past a gift Stripe will not end, and sends the mail Stripe\'s own ending owed', async () => {
    const start = Math.floor(Date.now() / 1000);
    // Oldest: a gift whose subscription is gone from the Stripe account.
    const gone = await h.monthlyGiftOnClock('gone@example.org', start);
    await h.testDb.database.db.execute(sql`UPDATE donations SET subscription_id = 'sub_gone_from_the_account' WHERE id = ${gone.donationId}`);
    const next = await h.monthlyGiftOnClock('next@example.org', start);
    // Its card declines, and Stripe ends it after its last try; that event waits, undelivered.
    const unpaid = await h.monthlyGiftOnClock('unpaid@example.org', start);
    h.emulator.controls.declineSubscriptionPayments(unpaid.subId, 'expired_card');
    const periodEnd = (await stripe.subscriptions.retrieve(unpaid.subId)).items.data[0]!.current_period_end;
    h.emulator.controls.pause();
    await stripe.testHelpers.testClocks.advance(unpaid.clock, { frozen_time: periodEnd + 20 * DAY });
    expect((await stripe.subscriptions.retrieve(unpaid.subId)).status).toBe('canceled');
    // Paid at Checkout, its first payment not posted yet: pending, with its subscription running.
    const pending = await h.donate('buck-a-brick', { amountMinor: '700', frequency: 'monthly', donorEmail: 'pending@example.org' });
    h.emulator.controls.payCheckoutSession(pending.sessionId, '4242424242424242');
    await h.deliver(await h.emulatorEvent('checkout.session.completed', pending.sessionId));
    await h.drain();
    expect(await donation(pending.donationId)).toMatchObject({ status: 'pending', subscriptionCanceledAt: null });
    const pendingSub = (await donation(pending.donationId)).subscriptionId!;
    expect(pendingSub).not.toBeNull();

    await close('buck-a-brick', 'organizer@ue222.demo');
    const resting = new RestingGifts();
    // One gift a round: the gone one fails first; it rests, and the rounds after go on to the others.
    expect(await endJob(1, resting)).toEqual({ seen: 1, ended: 0 });
    expect(await endJob(1, resting)).toEqual({ seen: 1, ended: 1 });
    expect((await stripe.subscriptions.retrieve(next.subId)).status).toBe('canceled');
    expect(await endJob(50, resting)).toEqual({ seen: 2, ended: 2 });
    expect(resting.ids()).toEqual([gone.donationId]);

    // Stripe had given up on the unpaid one: its donor hears that, not that the appeal closed.
    expect(await mailKinds(unpaid.donationId)).toEqual(['renewal_ended']);
    // The pending one's subscription ends, and its donor is told why.
    expect((await stripe.subscriptions.retrieve(pendingSub)).status).toBe('canceled');
    expect(await mailKinds(pending.donationId)).toEqual(['appeal_closed_ended']);

    h.emulator.controls.resume();
    await h.settle();
    // Stripe's held events change nothing: one mail each, and the pending gift's payment is posted.
    expect(await mailKinds(unpaid.donationId)).toEqual(['renewal_ended']);
    expect(await mailKinds(pending.donationId)).toEqual(['appeal_closed_ended']);
    expect((await donation(pending.donationId)).status).toBe('succeeded');
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });

  // Closing only marks the appeal; the job ends its gifts at Stripe a moment later. A first payment
  // posted in between must not promise the donor a next charge the closing has already called off.
  it('names no next charge for a gift whose appeal closed before its first payment was posted', async () => {
    const [brick] = await h.testDb.database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    await h.testDb.database.db.insert(appeals).values({ slug: 'closing-soon', organizationId: brick!.organizationId, title: 'Closing soon', beneficiary: 'Local 222', currency: 'USD', goalMinor: 100_000n, status: 'live', publishedAt: new Date() });
    const gift = await h.donate('closing-soon', { amountMinor: '1000', frequency: 'monthly', donorEmail: 'late@example.org' });
    h.emulator.controls.pause();
    try {
      h.emulator.controls.payCheckoutSession(gift.sessionId, '4242424242424242');
      await close('closing-soon', 'organizer@ue222.demo');
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    const paid = await donation(gift.donationId);
    expect(paid).toMatchObject({ status: 'succeeded', subscriptionCanceledAt: null });
    const [receipt] = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `receipt:${paid.id}:${paid.chargeId}`));
    expect(receipt!.textBody).toContain('every month');
    expect(receipt!.textBody).not.toContain('Next charge');
    const monthly = (await h.app.inject({ url: '/api/me/monthly', headers: { cookie: await signIn(h.app, 'late@example.org') } })).json().monthly;
    expect(monthly).toEqual([expect.objectContaining({ id: gift.donationId, appealClosed: true, nextChargeAt: null })]);
  });
});
