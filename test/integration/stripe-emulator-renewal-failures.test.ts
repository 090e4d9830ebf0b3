import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import { submitCheckoutForm, type Receiver } from '../../server/stripe-emulator/testing';
import { paidSubscriptionOnClock, useEmulatorWithReceiver } from '../helpers/emulator-receiver';

// A monthly gift's renewal can fail, as a card expires or is blocked: Stripe leaves the invoice
// open, retries it on a schedule while the clock runs, cancels the subscription after the last
// failure, and lets the donor save a new card in the customer portal, which pays what is due.

const SECRET = 'whsec_emulator_renewal_secret';
const DAY = 86_400;
let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;
const deliveredEvents = useEmulatorWithReceiver(SECRET, (started) => ({ emu, stripe, receiver } = started));

/** A paid 10.00 USD monthly subscription on its own test clock, started at `start`. */
async function monthlyOnClock(start: number) {
  const { clock, customer, sub } = await paidSubscriptionOnClock(stripe, 'renewal@example.org', { start, currency: 'usd', unitAmount: 1000, product: 'Monthly' });
  return { clock, customer, subId: sub.id, sub, periodEnd: sub.items.data[0]!.current_period_end };
}

async function renewalInvoice(subId: string): Promise<Stripe.Invoice> {
  const list = await stripe.invoices.list({ subscription: subId });
  const renewal = list.data.find((i) => i.billing_reason === 'subscription_cycle');
  if (!renewal) throw new Error('no renewal invoice');
  return renewal;
}

const typesOf = (events: Stripe.Event[], objectId: string) => events.filter((e) => (e.data.object as { id?: string }).id === objectId).map((e) => e.type);

describe('a renewal that fails', () => {
  // The common way a union loses a monthly donor: the card expired. Stripe must say so, keep the
  // invoice open with when it tries next, and mark the subscription past_due.
  it('leaves the invoice open with its next attempt, emits the failure events and makes the subscription past_due', async () => {
    const start = Math.floor(Date.UTC(2026, 0, 10, 12) / 1000);
    const { clock, subId, periodEnd } = await monthlyOnClock(start);
    emu.controls.declineSubscriptionPayments(subId, 'expired_card');
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: periodEnd + 60 });

    const invoice = await renewalInvoice(subId);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, attempted: true, amount_paid: 0, amount_remaining: 1000, next_payment_attempt: periodEnd + 3 * DAY });
    const sub = await stripe.subscriptions.retrieve(subId);
    expect(sub.status).toBe('past_due');
    // The invoice's one PaymentIntent is listed as an open payment of it, with the declined charge.
    const withPayments = await stripe.invoices.retrieve(invoice.id, { expand: ['payments'] });
    expect(withPayments.payments?.data).toEqual([expect.objectContaining({ status: 'open', amount_paid: null })]);
    const pi = await stripe.paymentIntents.retrieve(String(withPayments.payments!.data[0]!.payment.payment_intent));
    expect(pi).toMatchObject({ status: 'requires_payment_method', last_payment_error: expect.objectContaining({ code: 'expired_card' }) });

    const events = await deliveredEvents();
    const failed = events.find((e) => e.type === 'invoice.payment_failed')!;
    expect(failed.created).toBe(periodEnd);
    expect(failed.data.object).toMatchObject({ id: invoice.id, attempt_count: 1, next_payment_attempt: periodEnd + 3 * DAY, parent: { subscription_details: { subscription: subId, metadata: { donation_id: 'gift-1' } } } });
    expect(events.filter((e) => e.type === 'charge.failed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'payment_intent.payment_failed')).toHaveLength(1);
    const pastDue = events.find((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).status === 'past_due')!;
    expect(pastDue.data.previous_attributes).toEqual({ status: 'active' });
    expect(events.filter((e) => e.type === 'invoice.paid')).toHaveLength(1); // the first month only
  });

  // Stripe retries on its schedule (days after each attempt) as time passes, then gives up: the
  // subscription is canceled for payment_failed, and the last failure says there is no next try.
  it('retries on the schedule as the clock advances and cancels after the last attempt', async () => {
    const start = Math.floor(Date.UTC(2026, 1, 1, 12) / 1000);
    const { clock, subId, periodEnd } = await monthlyOnClock(start);
    emu.controls.declineSubscriptionPayments(subId, 'insufficient_funds');
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: periodEnd + 60 });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: periodEnd + 3 * DAY + 60 });
    let invoice = await renewalInvoice(subId);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 2, next_payment_attempt: periodEnd + 8 * DAY });
    expect((await stripe.subscriptions.retrieve(subId)).status).toBe('past_due');

    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: periodEnd + 20 * DAY });
    invoice = await renewalInvoice(subId);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 4, next_payment_attempt: null });
    const sub = await stripe.subscriptions.retrieve(subId);
    expect(sub).toMatchObject({ status: 'canceled', ended_at: periodEnd + 14 * DAY, cancellation_details: { reason: 'payment_failed' } });

    const events = await deliveredEvents();
    const failures = events.filter((e) => e.type === 'invoice.payment_failed').map((e) => e.data.object as Stripe.Invoice);
    expect(failures.map((i) => [i.attempt_count, i.next_payment_attempt])).toEqual([
      [1, periodEnd + 3 * DAY],
      [2, periodEnd + 8 * DAY],
      [3, periodEnd + 14 * DAY],
      [4, null],
    ]);
    expect(events.filter((e) => e.type === 'charge.failed')).toHaveLength(4);
    const deleted = events.filter((e) => e.type === 'customer.subscription.deleted');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]!.created).toBe(periodEnd + 14 * DAY);
    // Canceled: no more renewals as time goes on.
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: periodEnd + 50 * DAY });
    expect((await stripe.invoices.list({ subscription: subId })).data).toHaveLength(2);
  });

  // Stripe's card that attaches but never pays: the checkout's first payment fails on it.
  it('declines 4000 0000 0000 0341 at checkout', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'renewal@example.org',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Monthly' } }, quantity: 1 }],
    });
    expect((await submitCheckoutForm(session.url!, { card_number: '4000 0000 0000 0341' })).status).toBe(402);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'open', subscription: null });
  });

  it('takes a retry schedule of its own and refuses one Stripe cannot have', async () => {
    const quick = await startStripeEmulator({ logger: false, retryScheduleDays: [1] });
    try {
      const s = quick.client();
      const start = Math.floor(Date.UTC(2026, 3, 1) / 1000);
      const clock = await s.testHelpers.testClocks.create({ frozen_time: start });
      const customer = await s.customers.create({ test_clock: clock.id });
      const session = await s.checkout.sessions.create({ mode: 'subscription', customer: customer.id, line_items: [{ price_data: { currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'M' } }, quantity: 1 }] });
      const subId = String(quick.controls.payCheckoutSession(session.id).subscription);
      quick.controls.declineSubscriptionPayments(subId);
      const end = (await s.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
      await s.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 2 * DAY });
      expect(await s.subscriptions.retrieve(subId)).toMatchObject({ status: 'canceled', ended_at: end + DAY });
    } finally {
      await quick.close();
    }
    await expect(startStripeEmulator({ logger: false, retryScheduleDays: [1, 2, 3, 4] })).rejects.toThrow(/retryScheduleDays/);
  });
});

describe('the customer portal', () => {
  // The donor's way back: a new card in the portal becomes the default and pays the open invoice
  // at once, exactly as a renewal is paid, and the subscription is active again.
  it('saves a new card, pays the past-due invoice and returns to return_url', async () => {
    const start = Math.floor(Date.UTC(2026, 4, 5, 12) / 1000);
    const { clock, customer, subId, periodEnd } = await monthlyOnClock(start);
    emu.controls.declineSubscriptionPayments(subId);
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: periodEnd + DAY });
    const portal = await stripe.billingPortal.sessions.create({ customer, return_url: 'https://give.example.org/account' });
    expect(portal).toMatchObject({ object: 'billing_portal.session', customer, return_url: 'https://give.example.org/account', livemode: false });
    expect(portal.id).toMatch(/^bps_/);
    const page = await (await fetch(portal.url)).text();
    expect(page).toContain('Payment past due: $10.00');

    // A card the bank refuses outright is not saved: nothing changes.
    const refused = await submitCheckoutForm(portal.url, { card_number: '4000 0000 0000 0002' });
    expect(refused.status).toBe(402);
    expect((await stripe.subscriptions.retrieve(subId)).default_payment_method).toBeNull();
    // 0341 is saved, but its charge fails: still past due, the schedule unchanged.
    const saved = await submitCheckoutForm(portal.url, { card_number: '4000 0000 0000 0341' });
    expect(saved.status).toBe(402);
    expect(await saved.text()).toContain('Your card was saved, but the payment');
    expect(await renewalInvoice(subId)).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: periodEnd + 3 * DAY });

    await emu.controls.flush();
    receiver.reset();
    const res = await submitCheckoutForm(portal.url, { card_number: '4242 4242 4242 4242' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://give.example.org/account');
    const invoice = await renewalInvoice(subId);
    expect(invoice).toMatchObject({ status: 'paid', attempt_count: 1, amount_paid: 1000, amount_remaining: 0, next_payment_attempt: null });
    const sub = await stripe.subscriptions.retrieve(subId);
    expect(sub.status).toBe('active');
    expect(sub.default_payment_method).toMatch(/^pm_/);
    expect((await stripe.customers.retrieve(customer) as Stripe.Customer).invoice_settings.default_payment_method).toBe(sub.default_payment_method);
    const withPayments = await stripe.invoices.retrieve(invoice.id, { expand: ['payments'] });
    expect(withPayments.payments?.data).toEqual([expect.objectContaining({ status: 'paid', amount_paid: 1000 })]);
    const charge = await stripe.charges.retrieve(String(withPayments.payments!.data[0]!.payment.charge));
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, balance_transaction: expect.stringMatching(/^txn_/) });

    const events = await deliveredEvents();
    expect(typesOf(events, invoice.id)).toEqual(['invoice.paid', 'invoice.payment_succeeded']);
    const active = events.find((e) => e.type === 'customer.subscription.updated' && (e.data.object as Stripe.Subscription).status === 'active')!;
    expect(active.data.previous_attributes).toEqual({ status: 'past_due' });
    // The next renewal is charged to the new card.
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: sub.items.data[0]!.current_period_end + 60 });
    expect((await stripe.invoices.list({ subscription: subId, status: 'paid' })).data).toHaveLength(3);
  });

  // Stripe's way to tell a saved card from a customer who left: a payment_method_update flow sends
  // the browser to its own redirect once a card is saved; the "return" link keeps return_url.
  it('after a saved card in a payment_method_update flow, goes to the flow\'s redirect', async () => {
    const start = Math.floor(Date.UTC(2026, 4, 5, 12) / 1000);
    const { clock, customer, subId, periodEnd } = await monthlyOnClock(start);
    emu.controls.declineSubscriptionPayments(subId);
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: periodEnd + DAY });
    const portal = await stripe.billingPortal.sessions.create({
      customer,
      return_url: 'https://give.example.org/account',
      flow_data: { type: 'payment_method_update', after_completion: { type: 'redirect', redirect: { return_url: 'https://give.example.org/account?card_saved=1' } } },
    });
    expect(portal.flow).toMatchObject({ type: 'payment_method_update', after_completion: { type: 'redirect', redirect: { return_url: 'https://give.example.org/account?card_saved=1' } } });
    expect(await (await fetch(portal.url)).text()).toContain('href="https://give.example.org/account">Return without changes');
    const res = await submitCheckoutForm(portal.url, { card_number: '4242 4242 4242 4242' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://give.example.org/account?card_saved=1');
    await emu.controls.flush();
    await expect(
      stripe.billingPortal.sessions.create({ customer, flow_data: { type: 'payment_method_update', after_completion: { type: 'redirect', redirect: { return_url: 'javascript:alert(1)' } } } }),
    ).rejects.toMatchObject({ param: 'flow_data[after_completion][redirect][return_url]' });
    await expect(stripe.billingPortal.sessions.create({ customer, flow_data: { type: 'subscription_cancel', subscription_cancel: { subscription: subId } } })).rejects.toMatchObject({ type: 'StripeInvalidRequestError' });
  });

  it('refuses a session for a customer that does not exist, or a return_url that is not a URL', async () => {
    await expect(stripe.billingPortal.sessions.create({ customer: 'cus_nope', return_url: 'https://give.example.org/account' })).rejects.toMatchObject({ code: 'resource_missing' });
    const customer = await stripe.customers.create({});
    await expect(stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'javascript:alert(1)' })).rejects.toMatchObject({ param: 'return_url' });
    expect((await fetch(`${emu.url}/p/session/bps_unknown`)).status).toBe(404);
  });
});
