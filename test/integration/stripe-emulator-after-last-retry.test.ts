import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startStripeEmulator } from '../../server/stripe-emulator/index';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';

// What happens once every retry of a renewal failed is the account's choice in Stripe's Billing
// settings ("Manage failed payments"): cancel the subscription, mark it unpaid, or leave it past
// due. The app must be tested against each, so the emulator makes each, as Stripe does: the last
// invoice.payment_failed has next_payment_attempt null and the subscription's status says which.
const DAY = 86_400;

async function lastRetryFails(afterLastRetry?: 'cancel' | 'unpaid' | 'past_due') {
  const emu = await startStripeEmulator({ logger: false, retryScheduleDays: [1], ...(afterLastRetry ? { afterLastRetry } : {}) });
  const s = emu.client();
  const start = Math.floor(Date.UTC(2026, 3, 1) / 1000);
  const clock = await s.testHelpers.testClocks.create({ frozen_time: start });
  const customer = await s.customers.create({ test_clock: clock.id });
  const session = await s.checkout.sessions.create({ mode: 'subscription', customer: customer.id, line_items: [{ price_data: { currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'M' } }, quantity: 1 }] });
  const subId = String(emu.controls.payCheckoutSession(session.id).subscription);
  emu.controls.declineSubscriptionPayments(subId);
  const end = (await s.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
  await s.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 2 * DAY });
  const failures = (await s.events.list({ type: 'invoice.payment_failed', limit: 100 })).data;
  const last = failures.find((e) => (e.data.object as { attempt_count: number }).attempt_count === 2);
  const invoice = (await s.invoices.list({ subscription: subId })).data.find((i) => i.billing_reason === 'subscription_cycle')!;
  return { emu, s, subId, end, clock: clock.id, customer: customer.id, last, invoice };
}

describe('after the last retry of a renewal fails', () => {
  it('cancels the subscription by default', async () => {
    const r = await lastRetryFails();
    try {
      expect(r.last?.data.object).toMatchObject({ next_payment_attempt: null });
      expect(await r.s.subscriptions.retrieve(r.subId)).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'payment_failed' } });
    } finally {
      await r.emu.close();
    }
  });

  it('marks it unpaid: it stays, nothing more is tried, and a new card in the portal pays it', async () => {
    const r = await lastRetryFails('unpaid');
    try {
      expect(r.last?.data.object).toMatchObject({ next_payment_attempt: null });
      expect(await r.s.subscriptions.retrieve(r.subId)).toMatchObject({ status: 'unpaid', canceled_at: null });
      const updated = (await r.s.events.list({ type: 'customer.subscription.updated', limit: 100 })).data.find((e) => (e.data.object as { status: string }).status === 'unpaid');
      expect(updated?.data.previous_attributes).toEqual({ status: 'past_due' });
      expect(r.invoice).toMatchObject({ status: 'open', next_payment_attempt: null });
      // Nothing more is charged: a month on, no new renewal was tried.
      await r.s.testHelpers.testClocks.advance(r.clock, { frozen_time: r.end + 35 * DAY });
      expect((await r.s.invoices.list({ subscription: r.subId })).data.filter((i) => i.billing_reason === 'subscription_cycle' && i.attempted)).toHaveLength(1);
      const portal = await r.s.billingPortal.sessions.create({ customer: r.customer, return_url: 'http://localhost/back' });
      expect((await submitCheckoutForm(portal.url, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
      expect(await r.s.invoices.retrieve(r.invoice.id)).toMatchObject({ status: 'paid' });
      expect(await r.s.subscriptions.retrieve(r.subId)).toMatchObject({ status: 'active' });
      // Paid again, it bills from the period it is in: the month it missed is not charged now, back-dated.
      const charged = async () => (await r.s.invoices.list({ subscription: r.subId, limit: 100 })).data.filter((i) => i.billing_reason === 'subscription_cycle' && i.status === 'paid');
      await r.s.testHelpers.testClocks.advance(r.clock, { frozen_time: r.end + 36 * DAY });
      expect(await charged()).toHaveLength(1);
      const nextEnd = Math.floor(Date.UTC(2026, 6, 1) / 1000);
      const june = Math.floor(Date.UTC(2026, 5, 1) / 1000);
      expect((await r.s.subscriptions.retrieve(r.subId)).items.data[0]).toMatchObject({ current_period_start: june, current_period_end: nextEnd });
      // Its update says what the period was before, as Stripe's previous_attributes do.
      const reactivated = (await r.s.events.list({ type: 'customer.subscription.updated', limit: 100 })).data.find((e) => (e.data.previous_attributes as { status?: string } | undefined)?.status === 'unpaid');
      expect((reactivated?.data.previous_attributes as { items?: Stripe.ApiList<Stripe.SubscriptionItem> } | undefined)?.items?.data[0]).toMatchObject({ current_period_start: r.end, current_period_end: june });
      // And the month after is charged as usual, once, on its day.
      await r.s.testHelpers.testClocks.advance(r.clock, { frozen_time: nextEnd + DAY });
      expect((await charged()).map((i) => i.period_end)).toEqual([nextEnd, r.end]);
    } finally {
      await r.emu.close();
    }
  });

  it('leaves it past due: it stays, its invoice open, and the next month is charged as usual', async () => {
    const r = await lastRetryFails('past_due');
    try {
      expect(r.last?.data.object).toMatchObject({ next_payment_attempt: null });
      expect(await r.s.subscriptions.retrieve(r.subId)).toMatchObject({ status: 'past_due', canceled_at: null });
      expect(r.invoice).toMatchObject({ status: 'open', next_payment_attempt: null });
      await r.s.testHelpers.testClocks.advance(r.clock, { frozen_time: r.end + 32 * DAY });
      expect((await r.s.invoices.list({ subscription: r.subId })).data.filter((i) => i.billing_reason === 'subscription_cycle' && i.attempted)).toHaveLength(2);
    } finally {
      await r.emu.close();
    }
  });

  it('refuses a choice Stripe does not offer', async () => {
    await expect(startStripeEmulator({ logger: false, afterLastRetry: 'pause' as never })).rejects.toThrow(/afterLastRetry/);
  });
});
