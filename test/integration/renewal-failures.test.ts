import { and, eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { queryRows } from '../../db/client';
import { donations, outboxEmails } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { mailDate } from '../../server/mail/catalog';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { withoutDeadlines } from '../helpers/no-deadlines';
import { holdLock } from '../helpers/row-lock';
import { signIn } from '../helpers/sign-in';

// A monthly renewal the bank declines moves no money, but the donor must hear of it and be able to
// fix it, or Stripe ends the gift after its last retry without anyone knowing. The failure is kept
// on the gift (for /account) until a payment is taken after it; each failed invoice is told once.

const DAY = 86_400;
let h: PaymentsHarness;
let stripe: Stripe;

beforeAll(async () => {
  h = await startPaymentsHarness();
  await withoutDeadlines(h.testDb.database.db);
  stripe = h.emulator.client();
});

afterAll(async () => {
  await h?.close();
});

async function donation(id: string) {
  const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, id));
  return row!;
}

async function mailsOf(donationId: string) {
  const rows = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.kind, 'renewal_failed'));
  return rows.filter((m) => m.dedupeKey.startsWith(`renewal_failed:${donationId}:`));
}

async function eventStatuses(id: string): Promise<string[]> {
  const rows = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status FROM stripe_events WHERE id = ${id}`);
  return rows.map((r) => r.status);
}

/** A paid 10.00 USD monthly gift whose customer is on a test clock of its own, its card now declining (unless `decline` is false). */
async function failingMonthlyGift(donorEmail: string, body: Record<string, unknown> = {}, decline = true) {
  const { donationId, subId, clock } = await h.monthlyGiftOnClock(donorEmail, Math.floor(Date.now() / 1000), body);
  if (decline) h.emulator.controls.declineSubscriptionPayments(subId, 'expired_card');
  const periodEnd = (await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
  return { donationId, subId, clock, periodEnd, donor: await signIn(h.app, donorEmail) };
}

async function renewalInvoiceId(subId: string): Promise<string> {
  const invoice = (await stripe.invoices.list({ subscription: subId })).data.find((i) => i.billing_reason === 'subscription_cycle');
  return invoice!.id;
}

const monthlyOf = async (cookie: string) => (await h.app.inject({ url: '/api/me/monthly', headers: { cookie } })).json().monthly as Array<Record<string, unknown>>;

describe('a monthly renewal that fails', () => {
  // Stripe may deliver each event three times and in any order: still one record, one mail.
  it('is recorded on the gift and told to its donor once, even delivered 3 times shuffled', async () => {
    const g = await failingMonthlyGift('rosa@example.org', { donorName: 'Rosa', locale: 'es' });
    const before = await h.appealBalance('buck-a-brick');
    h.emulator.controls.setDelivery({ times: 3, shuffle: true });
    h.emulator.controls.pause();
    try {
      // Two attempts of the same invoice: at the period's end, and Stripe's first retry 3 days later.
      await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.periodEnd + 3 * DAY + 60 });
    } finally {
      h.emulator.controls.resume();
      await h.settle();
      h.emulator.controls.setDelivery({ times: 1, shuffle: false });
    }
    const invoiceId = await renewalInvoiceId(g.subId);
    expect(await donation(g.donationId)).toMatchObject({
      renewalFailedAt: new Date((g.periodEnd + 3 * DAY) * 1000),
      renewalFailedInvoiceId: invoiceId,
      renewalNextAttemptAt: new Date((g.periodEnd + 8 * DAY) * 1000),
      subscriptionCanceledAt: null,
    });
    // No money moved: nothing posted.
    expect(await h.appealBalance('buck-a-brick')).toBe(before);
    const mails = await mailsOf(g.donationId);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ toAddress: 'rosa@example.org', dedupeKey: `renewal_failed:${g.donationId}:${invoiceId}` });
    expect(mails[0]!.subject.replace(/\u00a0/g, ' ')).toBe('El pago de su donación mensual de 10,00 US$ no se ha realizado');
    const text = mails[0]!.textBody;
    expect(text).toContain('Buck-a-Brick');
    expect(text).toContain('http://localhost:3000/account');
    // Whichever attempt was posted first wrote it (shuffled delivery): it names that one's next try.
    const nextTries = [3, 8].map((d) => `lo intentará de nuevo el ${mailDate('es', new Date((g.periodEnd + d * DAY) * 1000))}.`);
    expect(nextTries.some((t) => text.includes(t)), text).toBe(true);
    expect(text).not.toMatch(/4242|expired_card/);
    // The first attempt's failure re-sent now is older than the one recorded: nothing changes.
    const attempts = (await stripe.events.list({ type: 'invoice.payment_failed', limit: 100 })).data.filter((e) => (e.data.object as Stripe.Invoice).id === invoiceId);
    const firstAttempt = attempts.find((e) => (e.data.object as Stripe.Invoice).attempt_count === 1)!;
    await h.deliver({ ...firstAttempt, id: `${firstAttempt.id}_again` });
    await h.drain();
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: new Date((g.periodEnd + 3 * DAY) * 1000), renewalNextAttemptAt: new Date((g.periodEnd + 8 * DAY) * 1000) });
    // The treasurer's view of the gift says so too, for a donor who calls.
    const detail = (await h.app.inject({ url: `/api/donations/${g.donationId}/detail`, headers: { cookie: h.treasurer } })).json();
    expect(detail.monthly).toEqual({ endedAt: null, endsAt: null, renewalFailedAt: new Date((g.periodEnd + 3 * DAY) * 1000).toISOString(), nextAttemptAt: new Date((g.periodEnd + 8 * DAY) * 1000).toISOString(), renewalAmountMinor: '1000', renewalCoverFeesMinor: '0', paused: false, pausedUntil: null, pausedNextChargeAt: null });
    // The donor's page data says so: Stripe's next try comes next, not a monthly charge.
    expect(await monthlyOf(g.donor)).toEqual([
      expect.objectContaining({ id: g.donationId, renewalFailedAt: new Date((g.periodEnd + 3 * DAY) * 1000).toISOString(), nextAttemptAt: new Date((g.periodEnd + 8 * DAY) * 1000).toISOString(), nextChargeAt: null }),
    ]);

    // The donor updates their card through the portal: the open invoice is paid, exactly as a
    // renewal, and the gift is healthy again.
    const opened = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/card-portal`, headers: { cookie: g.donor } });
    expect(opened.statusCode).toBe(200);
    const portal = await submitCheckoutForm(opened.json().url, { card_number: '4242 4242 4242 4242' });
    expect(portal.status).toBe(303);
    // Back marked, so the page can say the card was saved while Stripe's word is on its way.
    expect(portal.headers.get('location')).toBe(`http://localhost:3000/account?card_saved=${g.donationId}#monthly-title`);
    await h.settle();
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: null, renewalFailedInvoiceId: null, renewalNextAttemptAt: null });
    const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.invoiceId, invoiceId));
    // The renewal is a payment of its own: the monthly gift's failure was never its to carry.
    expect(renewal).toMatchObject({ status: 'succeeded', parentDonationId: g.donationId, amountMinor: 1000n, renewalFailedAt: null, renewalFailedInvoiceId: null });
    expect(await h.appealBalance('buck-a-brick')).toBe(before - 1000n);
    // Paid, the gift is charged next at the end of the month that payment was for.
    const periodNow = (await stripe.subscriptions.retrieve(g.subId)).items.data[0]!.current_period_end;
    expect(periodNow).toBeGreaterThan(g.periodEnd + 27 * DAY);
    expect(await monthlyOf(g.donor)).toEqual([expect.objectContaining({ renewalFailedAt: null, nextAttemptAt: null, nextChargeAt: new Date(periodNow * 1000).toISOString() })]);

    // Stripe re-sends an old failure of that invoice after it was paid: the gift stays healthy.
    const old = await h.emulatorEvent('invoice.payment_failed', invoiceId);
    await h.deliver({ ...old, id: `${old.id}_late` });
    await h.drain();
    expect(await eventStatuses(`${old.id}_late`)).toEqual(['processed']);
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: null, renewalNextAttemptAt: null });
    expect(await mailsOf(g.donationId)).toHaveLength(1);
  });

  // After Stripe's last try the subscription ends: the gift shows as ended, nothing is retried.
  it('ends with the subscription after the last attempt, with no next try', async () => {
    const g = await failingMonthlyGift('kofi@example.org');
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.periodEnd + 20 * DAY });
    await h.settle();
    const d = await donation(g.donationId);
    expect(d).toMatchObject({ renewalFailedAt: new Date((g.periodEnd + 14 * DAY) * 1000), renewalNextAttemptAt: null });
    expect(d.subscriptionCanceledAt?.getTime()).toBe((g.periodEnd + 14 * DAY) * 1000);
    const mails = await mailsOf(g.donationId);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Your monthly gift of $10.00 did not go through');
    // Stripe ended it for the failed payments: the donor is told so, once, with the way back.
    const ended = () => h.testDb.database.db.select().from(outboxEmails).where(and(eq(outboxEmails.dedupeKey, `monthly_ended:${g.donationId}`), eq(outboxEmails.kind, 'renewal_ended')));
    const [endedMail] = await ended();
    expect(endedMail).toMatchObject({ kind: 'renewal_ended', toAddress: 'kofi@example.org', subject: 'Your monthly gift of $10.00 has ended' });
    expect(endedMail!.textBody).toContain('http://localhost:3000/appeals/buck-a-brick');
    const deleted = await h.emulatorEvent('customer.subscription.deleted', g.subId);
    await h.deliver({ ...deleted, id: `${deleted.id}_again` });
    await h.drain();
    expect(await ended()).toHaveLength(1);
    // The portal is for a gift that still bills.
    const opened = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/card-portal`, headers: { cookie: g.donor } });
    expect(opened.statusCode).toBe(409);
    expect(opened.json().error.code).toBe('monthly_gift_ended');
  });

  // The account's Stripe setting may instead mark the subscription unpaid or leave it past due once
  // every retry failed: the gift has not ended, and the donor must not be told it has (nor that
  // nothing more will ever be charged, when next month's payment will be).
  it.each([
    ['unpaid', 'is on hold: nothing more will be taken until this payment is made.'],
    ['past_due', 'Your monthly gift has not ended: next month’s payment will be charged as usual.'],
  ] as const)('after the last attempt, with the subscription left %s, says the gift has not ended', async (afterLastRetry, said) => {
    h.emulator.controls.setAfterLastRetry(afterLastRetry);
    onTestFinished(() => void h.emulator.controls.setAfterLastRetry('cancel'));
    const g = await failingMonthlyGift(`last-try-${afterLastRetry}@example.org`);
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.periodEnd + 20 * DAY });
    await h.settle();
    expect((await stripe.subscriptions.retrieve(g.subId)).status).toBe(afterLastRetry);
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: new Date((g.periodEnd + 14 * DAY) * 1000), renewalNextAttemptAt: null, subscriptionCanceledAt: null });
    // The first attempt's mail said the gift may end, not that it ends: it has not.
    const [first] = await mailsOf(g.donationId);
    expect(first!.textBody).toContain('your monthly gift may end; we write to tell you what becomes of it.');
    // Stripe's last try is told too, once (it is news: the gift goes on), whatever the delivery.
    const lastTry = () => h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `renewal_failed_last:${g.donationId}:${first!.dedupeKey.split(':')[2]}`));
    const last = await lastTry();
    expect(last).toHaveLength(1);
    const text = last[0]!.textBody;
    expect(text).toContain(said);
    expect(text).toContain('http://localhost:3000/account');
    expect(text).not.toMatch(/has ended|nothing more will be taken for it/);
    // Not ended: no "ended" mail, and the donor's page does not list it as ended.
    const ended = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `monthly_ended:${g.donationId}`));
    expect(ended).toEqual([]);
    const failures = (await stripe.events.list({ type: 'invoice.payment_failed', limit: 100 })).data.filter((e) => (e.data.object as Stripe.Invoice).id === first!.dedupeKey.split(':')[2]);
    const lastEvent = failures.find((e) => (e.data.object as Stripe.Invoice).next_payment_attempt === null)!;
    await h.deliver({ ...lastEvent, id: `${lastEvent.id}_again` });
    await h.drain();
    expect(await lastTry()).toHaveLength(1);
    expect(await monthlyOf(g.donor)).toEqual([expect.objectContaining({ id: g.donationId, canceledAt: null, nextAttemptAt: null, renewalFailedAt: new Date((g.periodEnd + 14 * DAY) * 1000).toISOString() })]);
    // A new card pays what is due, and the gift is healthy again.
    const opened = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/card-portal`, headers: { cookie: g.donor } });
    expect(opened.statusCode).toBe(200);
    expect((await submitCheckoutForm(opened.json().url, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
    await h.settle();
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: null, subscriptionCanceledAt: null });
    expect((await stripe.subscriptions.retrieve(g.subId)).status).toBe('active');
  });

  // The subscription's state is read when the last try's event is posted: a donor who paid with a
  // new card before Stripe's delivery of it arrived must not be told that payment will not be taken.
  it('mails nothing about the last try when the gift was paid again before its event arrived', async () => {
    h.emulator.controls.setAfterLastRetry('unpaid');
    onTestFinished(() => void h.emulator.controls.setAfterLastRetry('cancel'));
    const g = await failingMonthlyGift('paid-before-told@example.org');
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.periodEnd + 20 * DAY });
    await h.emulator.controls.flush();
    const invoiceId = await renewalInvoiceId(g.subId);
    const failures = (await stripe.events.list({ type: 'invoice.payment_failed', limit: 100 })).data.filter((e) => (e.data.object as Stripe.Invoice).id === invoiceId);
    const lastEvent = failures.find((e) => (e.data.object as Stripe.Invoice).next_payment_attempt === null)!;
    // Stripe has not delivered the last try's event yet: it is not in the inbox.
    await h.testDb.database.rows(sql`DELETE FROM stripe_events WHERE id = ${lastEvent.id}`);
    await h.settle();
    // The donor pays with a new card; that payment's events arrive, and are posted, only later.
    const opened = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/card-portal`, headers: { cookie: g.donor } });
    expect((await submitCheckoutForm(opened.json().url, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
    await h.emulator.controls.flush();
    expect((await stripe.subscriptions.retrieve(g.subId)).status).toBe('active');
    const later = await h.testDb.database.rows<{ payload: string }>(sql`DELETE FROM stripe_events WHERE status = 'pending' RETURNING payload`);
    expect(later.length).toBeGreaterThan(0);
    await h.deliver(lastEvent);
    await h.drain();
    expect(await eventStatuses(lastEvent.id)).toEqual(['processed']);
    const lastTry = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `renewal_failed_last:${g.donationId}:${invoiceId}`));
    expect(lastTry).toEqual([]);
    for (const { payload } of later) await h.deliver(JSON.parse(payload) as object);
    await h.settle();
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: null, subscriptionCanceledAt: null });
  });

  // A donor who ends the gift while Stripe's failure is still on its way is not told that Stripe
  // will try again: there is nothing left to try.
  it('records no failure, and mails none, for a gift the donor has ended', async () => {
    const g = await failingMonthlyGift('noor@example.org');
    h.emulator.controls.pause();
    try {
      await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.periodEnd + 60 });
      const cancel = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/cancel`, headers: { cookie: g.donor } });
      expect(cancel.statusCode).toBe(200);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: null, subscriptionCanceledAt: expect.any(Date) });
    expect(await mailsOf(g.donationId)).toEqual([]);
    // The donor ended it: no "ended for failed payments" mail either.
    const ended = await h.testDb.database.db.select().from(outboxEmails).where(and(eq(outboxEmails.dedupeKey, `monthly_ended:${g.donationId}`), eq(outboxEmails.kind, 'renewal_ended')));
    expect(ended).toEqual([]);
  });

  // Two posters at once, one posting the renewal's payment, one its failure: the payment locks the
  // monthly gift's row as well as its own, so a failure being written waits for it and then sees it.
  it("locks the monthly gift's row while a renewal's payment is written", async () => {
    const g = await failingMonthlyGift('amal@example.org', {}, false);
    h.emulator.controls.pause();
    try {
      await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.periodEnd + 60 });
      await h.deliver(await h.emulatorEvent('invoice.paid', await renewalInvoiceId(g.subId)));
      const lock = await holdLock(h.testDb.url, 'SELECT 1 FROM donations WHERE id = $1 FOR UPDATE', [g.donationId]);
      try {
        const draining = h.drain();
        await lock.waitedOn();
        await lock.release();
        await draining;
      } finally {
        await lock.end();
      }
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.invoiceId, await renewalInvoiceId(g.subId)));
    expect(renewal).toMatchObject({ status: 'succeeded', renewalFailedAt: null, subscriptionCanceledAt: null });
  });

  // Events cross: the next month's failure is posted before the payment of the month before it.
  // That payment was taken before the failure and must not clear it.
  it('keeps a newer failure when an older payment is posted after it', async () => {
    const g = await failingMonthlyGift('lena@example.org', {}, false);
    h.emulator.controls.pause();
    let paidInvoice: string;
    let failedInvoice: string;
    try {
      await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.periodEnd + 60 });
      paidInvoice = await renewalInvoiceId(g.subId);
      h.emulator.controls.declineSubscriptionPayments(g.subId);
      const nextEnd = (await stripe.subscriptions.retrieve(g.subId)).items.data[0]!.current_period_end;
      await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: nextEnd + 60 });
      failedInvoice = (await stripe.invoices.list({ subscription: g.subId, status: 'open' })).data[0]!.id;
      await h.deliver(await h.emulatorEvent('invoice.payment_failed', failedInvoice));
      await h.drain();
      expect(await donation(g.donationId)).toMatchObject({ renewalFailedInvoiceId: failedInvoice });
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.invoiceId, paidInvoice));
    expect(renewal).toMatchObject({ status: 'succeeded' });
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedInvoiceId: failedInvoice, renewalNextAttemptAt: expect.any(Date) });
  });

  it('ignores a failed invoice that is not one of our monthly gifts', async () => {
    const g = await failingMonthlyGift('yuki@example.org');
    const invoice = JSON.parse(JSON.stringify((await stripe.invoices.list({ subscription: g.subId })).data[0]!)) as Stripe.Invoice;
    const oneOff = await h.donate('buck-a-brick', { amountMinor: '500' });
    const withGift = (donationId: string, subscription = g.subId) => ({
      ...invoice,
      billing_reason: 'subscription_cycle',
      parent: { ...invoice.parent, subscription_details: { subscription, metadata: { donation_id: donationId } } },
    });
    const cases = {
      evt_failed_unknown_gift: withGift('00000000-0000-4000-8000-000000000000'),
      evt_failed_one_off: withGift(oneOff.donationId),
      evt_failed_other_subscription: withGift(g.donationId, 'sub_someone_elses'),
      evt_failed_first_payment: { ...withGift(g.donationId), billing_reason: 'subscription_create' },
    };
    for (const [id, object] of Object.entries(cases)) {
      await h.deliver({ id, object: 'event', type: 'invoice.payment_failed', created: g.periodEnd, data: { object } });
    }
    await h.drain();
    for (const id of Object.keys(cases)) expect(await eventStatuses(id), id).toEqual(['ignored']);
    expect(await donation(g.donationId)).toMatchObject({ renewalFailedAt: null });
    expect(await donation(oneOff.donationId)).toMatchObject({ renewalFailedAt: null });
    expect(await mailsOf(g.donationId)).toEqual([]);
  });

  it('leaves a ledger that verifies and no event parked', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const [parked] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status = 'parked'`);
    expect(parked!.n).toBe(0);
  });
});

describe('opening the card portal', () => {
  // Only the donor of a monthly gift may open a portal on its Stripe customer: the card, and what
  // the portal shows, are theirs.
  it("refuses someone else's gift, a bad id, extra input and a signed-out request", async () => {
    const g = await failingMonthlyGift('ines@example.org');
    const other = await signIn(h.app, 'someone.else@example.org');
    const url = `/api/me/monthly/${g.donationId}/card-portal`;
    const theirs = await h.app.inject({ method: 'POST', url, headers: { cookie: other } });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe('monthly_gift_not_found');
    const signedOut = await h.app.inject({ method: 'POST', url });
    expect(signedOut.statusCode).toBe(401);
    const badId = await h.app.inject({ method: 'POST', url: '/api/me/monthly/not-a-uuid/card-portal', headers: { cookie: g.donor } });
    expect(badId.statusCode).toBe(400);
    const extra = await h.app.inject({ method: 'POST', url, headers: { cookie: g.donor }, payload: { customer: 'cus_someone' } });
    expect(extra.statusCode).toBe(400);
    // A one-off gift has no card on file to update.
    const oneOff = await h.donate('buck-a-brick', { amountMinor: '700', donorEmail: 'ines@example.org' });
    const notMonthly = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${oneOff.donationId}/card-portal`, headers: { cookie: g.donor } });
    expect(notMonthly.statusCode).toBe(404);
    const mine = await h.app.inject({ method: 'POST', url, headers: { cookie: g.donor } });
    expect(mine.statusCode).toBe(200);
    // The portal is this gift's customer's: it shows this subscription and its card.
    const page = (await (await fetch(mine.json().url)).text()).replace(/\u00a0/g, ' ');
    expect(page).toContain('$10.00 per month · card ending 4242');
  });
});
