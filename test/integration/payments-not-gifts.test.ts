import { sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// The Stripe account may also take payments that are not gifts (a shop, dues). Every refund Stripe
// makes of a payment made through a PaymentIntent names it (docs.stripe.com/api/refunds/object:
// `payment_intent`), so "it names a payment" cannot mean "it is a gift not posted yet": the refund
// of a T-shirt must be ignored at once, not wait three days for a gift and then be parked.

let h: PaymentsHarness;
let stripe: Stripe;

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});

afterAll(async () => {
  await h?.close();
});

async function stored(eventIds: string[]) {
  return queryRows<{ id: string; status: string; last_error: string | null }>(
    h.testDb.database.db,
    sql`SELECT id, status::text, last_error FROM stripe_events WHERE id IN (${sql.join(eventIds.map((id) => sql`${id}`), sql`, `)}) ORDER BY id`,
  );
}

/** The refund's events as Stripe sent them, delivered and drained while the emulator holds its own deliveries. */
async function deliverRefundEvents(refundId: string): Promise<string[]> {
  const created = await h.emulatorEvent('refund.created', refundId);
  await h.deliver(created);
  await h.drain();
  return [created.id];
}

describe('refunds of payments that are not gifts', () => {
  it('ignores the refund of a shop payment at once', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 2000, product_data: { name: 'Union T-shirt' } }, quantity: 1 }],
      success_url: 'https://shop.example.org/thanks',
      cancel_url: 'https://shop.example.org/',
    });
    h.emulator.controls.pause();
    let eventIds: string[] = [];
    try {
      const paid = h.emulator.controls.payCheckoutSession(session.id, '4242424242424242');
      // Refunded in Stripe's Dashboard: no metadata of ours, but the payment it refunds is named.
      const refund = await stripe.refunds.create({ payment_intent: String(paid.payment_intent) });
      expect(refund.payment_intent).toBe(paid.payment_intent);
      eventIds = await deliverRefundEvents(refund.id);
    } finally {
      h.emulator.controls.resume();
    }
    expect(await stored(eventIds)).toEqual(eventIds.map((id) => ({ id, status: 'ignored', last_error: null })));
  });

  // A gift's own refund delivered before the gift is posted (Stripe's events come in any order)
  // still waits for it, whether refunded here (our metadata) or in the Dashboard (none): a one-off
  // gift's PaymentIntent, and a monthly gift's customer, carry the donation id the app gave them.
  /**
   * Pays the checkout and refunds it in the Dashboard with Stripe's events held back, delivers
   * the refund's events first (they wait, "not posted yet"), then the rest: all are posted.
   */
  async function refundedBeforeItsGift(sessionId: string, refund: (paid: ReturnType<typeof h.emulator.controls.payCheckoutSession>) => Promise<{ id: string }>): Promise<void> {
    h.emulator.controls.pause();
    let eventIds: string[] = [];
    try {
      const made = await refund(h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242'));
      eventIds = await deliverRefundEvents(made.id);
      expect(await stored(eventIds)).toEqual(eventIds.map((id) => ({ id, status: 'pending', last_error: expect.stringContaining('not posted yet') })));
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect((await stored(eventIds)).map((e) => e.status)).toEqual(eventIds.map(() => 'processed'));
  }

  it("waits for a one-off gift's refund made in the Dashboard until the gift is posted", async () => {
    const before = await h.appealBalance('buck-a-brick');
    const { sessionId } = await h.donate('buck-a-brick', { amountMinor: '1500' });
    await refundedBeforeItsGift(sessionId, (paid) => stripe.refunds.create({ payment_intent: String(paid.payment_intent), amount: 500 }));
    expect(await h.appealBalance('buck-a-brick')).toBe(before - 1000n);
  });

  it("waits for a monthly gift's refund made in the Dashboard until the gift is posted", async () => {
    const { sessionId } = await h.donate('buck-a-brick', { amountMinor: '1000', frequency: 'monthly', donorEmail: 'refund-early@example.org' });
    await refundedBeforeItsGift(sessionId, async (session) => {
      const invoice = await stripe.invoices.retrieve(String((await stripe.subscriptions.retrieve(String(session.subscription))).latest_invoice), { expand: ['payments'] });
      return stripe.refunds.create({ payment_intent: String(invoice.payments?.data[0]?.payment.payment_intent) });
    });
  });
});
