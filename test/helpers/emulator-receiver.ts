import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import { startReceiver, submitCheckoutForm, type Receiver } from '../../server/stripe-emulator/testing';

export interface EmulatorWithReceiver {
  emu: StripeEmulator;
  stripe: Stripe;
  receiver: Receiver;
}

/**
 * The emulator alone, delivering its signed webhooks to a receiver of its own: started once for
 * the file (`started` is given both, and a client), emptied before each test. Answers what reached
 * the receiver so far, as events whose signature holds.
 */
export function useEmulatorWithReceiver(secret: string, started: (s: EmulatorWithReceiver) => void): () => Promise<Stripe.Event[]> {
  let s: EmulatorWithReceiver | undefined;
  beforeAll(async () => {
    const receiver = await startReceiver();
    const emu = await startStripeEmulator({ webhook: { url: receiver.url, secret, baseDelayMs: 10, maxAttempts: 4 }, disputeAfterMs: null });
    s = { emu, receiver, stripe: emu.client() };
    started(s);
  });
  afterAll(async () => {
    await s?.emu.close();
    await s?.receiver.close();
  });
  beforeEach(async () => {
    await s!.emu.controls.flush();
    s!.emu.controls.reset();
    s!.receiver.reset();
  });
  return async () => {
    await s!.emu.controls.flush();
    return s!.receiver.received.map((r) => s!.stripe.webhooks.constructEvent(r.body, r.signature, secret));
  };
}

/** A paid monthly subscription on its own test clock, started at `start` (by default ¥3,000 from 5 March 2026, renewing on the 5th). */
export async function paidSubscriptionOnClock(stripe: Stripe, email: string, opts: { start?: number; currency?: string; unitAmount?: number; product?: string } = {}) {
  const start = opts.start ?? Math.floor(Date.UTC(2026, 2, 5, 12) / 1000);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
  const customer = await stripe.customers.create({ email, test_clock: clock.id });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [
      { price_data: { currency: opts.currency ?? 'jpy', unit_amount: opts.unitAmount ?? 3000, recurring: { interval: 'month' }, product_data: { name: opts.product ?? 'Strike fund' } }, quantity: 1 },
    ],
    subscription_data: { metadata: { donation_id: 'gift-1' } },
    success_url: 'https://give.example.org/thanks',
  });
  expect((await submitCheckoutForm(session.url!, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
  const sub = await stripe.subscriptions.retrieve(String((await stripe.checkout.sessions.retrieve(session.id)).subscription));
  return { clock: clock.id, sub, customer: customer.id };
}
