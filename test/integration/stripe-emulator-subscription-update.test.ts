import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import { startReceiver, submitCheckoutForm, type Receiver } from '../../server/stripe-emulator/testing';

// A donor changes the amount of a monthly gift: the app gives the subscription's one item a new
// price (price_data of the same product, no prorations). Stripe charges nothing then; the next
// renewal charges the new amount. The emulator must do the same, once per Idempotency-Key.

const SECRET = 'whsec_emulator_sub_update_secret';
let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  emu = await startStripeEmulator({ webhook: { url: receiver.url, secret: SECRET, baseDelayMs: 10, maxAttempts: 4 }, disputeAfterMs: null });
  stripe = emu.client();
});

afterAll(async () => {
  await emu.close();
  await receiver.close();
});

beforeEach(async () => {
  await emu.controls.flush();
  emu.controls.reset();
  receiver.reset();
});

async function deliveredEvents(): Promise<Stripe.Event[]> {
  await emu.controls.flush();
  return receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, SECRET));
}

/** A paid ¥3,000 monthly subscription on its own test clock. */
async function yenMonthlyOnClock() {
  const start = Math.floor(Date.UTC(2026, 2, 5, 12) / 1000);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
  const customer = await stripe.customers.create({ email: 'change@example.org', test_clock: clock.id });
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    line_items: [{ price_data: { currency: 'jpy', unit_amount: 3000, recurring: { interval: 'month' }, product_data: { name: 'Strike fund' } }, quantity: 1 }],
    subscription_data: { metadata: { donation_id: 'gift-1' } },
    success_url: 'https://give.example.org/thanks',
  });
  expect((await submitCheckoutForm(session.url!, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
  const sub = await stripe.subscriptions.retrieve(String((await stripe.checkout.sessions.retrieve(session.id)).subscription));
  const item = sub.items.data[0]!;
  return { clock: clock.id, sub, item, product: String(item.price.product) };
}

const newPrice = (item: Stripe.SubscriptionItem, product: string, unitAmount: number): Stripe.SubscriptionUpdateParams => ({
  items: [{ id: item.id, price_data: { currency: 'jpy', product, unit_amount: unitAmount, recurring: { interval: 'month' } } }],
  proration_behavior: 'none',
});

describe("a subscription item's new price", () => {
  it('charges nothing now, says customer.subscription.updated, and the next renewal charges the new amount', async () => {
    const { clock, sub, item, product } = await yenMonthlyOnClock();
    const updated = await stripe.subscriptions.update(sub.id, newPrice(item, product, 5000), { idempotencyKey: 'change-1' });
    expect(updated.items.data[0]).toMatchObject({ id: item.id, quantity: 1, price: { unit_amount: 5000, currency: 'jpy', product, recurring: { interval: 'month', interval_count: 1 } } });
    expect(updated.items.data[0]!.price.id).not.toBe(item.price.id);
    expect((await stripe.invoices.list({ subscription: sub.id })).data).toHaveLength(1);
    const events = (await deliveredEvents()).filter((e) => e.type === 'customer.subscription.updated');
    expect(events).toHaveLength(1);
    const previous = events[0]!.data.previous_attributes as Partial<Stripe.Subscription>;
    expect(previous.items?.data[0]?.price.unit_amount).toBe(3000);

    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: item.current_period_end + 60 });
    const renewal = (await stripe.invoices.list({ subscription: sub.id })).data.find((i) => i.billing_reason === 'subscription_cycle');
    expect(renewal).toMatchObject({ status: 'paid', amount_paid: 5000, total: 5000 });
    expect(renewal!.lines.data[0]!.amount).toBe(5000);
  });

  // Since 2025-03-31.basil the billing period is the item's, so a renewal's update names `items`
  // in previous_attributes too (docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-
  // current-period-start-and-end): a handler that took any `items` for a new price would read
  // Stripe again every month. The previous items differ from the new ones by the period alone.
  it("a renewal's update names the items' previous period, with the price and quantity unchanged", async () => {
    const { clock, sub, item } = await yenMonthlyOnClock();
    await deliveredEvents();
    receiver.reset();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: item.current_period_end + 60 });
    const [renewed] = (await deliveredEvents()).filter((e) => e.type === 'customer.subscription.updated');
    const previous = renewed!.data.previous_attributes as Partial<Stripe.Subscription>;
    expect(Object.keys(previous).sort()).toEqual(['items', 'latest_invoice']);
    const [was] = previous.items!.data;
    const [now] = (renewed!.data.object as Stripe.Subscription).items.data;
    expect(was).toMatchObject({ id: item.id, quantity: 1, current_period_start: item.current_period_start, current_period_end: item.current_period_end, price: { id: item.price.id, unit_amount: 3000 } });
    expect(now).toMatchObject({ id: item.id, quantity: 1, current_period_start: item.current_period_end, price: { id: item.price.id, unit_amount: 3000 } });
  });

  it('honours Idempotency-Key: the same request replays, another under the same key is refused', async () => {
    const { sub, item, product } = await yenMonthlyOnClock();
    await stripe.subscriptions.update(sub.id, newPrice(item, product, 5000), { idempotencyKey: 'change-2' });
    const replay = await stripe.subscriptions.update(sub.id, newPrice(item, product, 5000), { idempotencyKey: 'change-2' });
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await deliveredEvents()).filter((e) => e.type === 'customer.subscription.updated')).toHaveLength(1);
    await expect(stripe.subscriptions.update(sub.id, newPrice(item, product, 4000), { idempotencyKey: 'change-2' })).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.unit_amount).toBe(5000);
  });

  it('refuses what Stripe refuses, naming the param, and changes nothing', async () => {
    const { sub, item, product } = await yenMonthlyOnClock();
    const refused = async (params: Stripe.SubscriptionUpdateParams, param: string, code?: string) => {
      const err = await stripe.subscriptions.update(sub.id, params).then(() => null, (e: unknown) => e);
      expect(err, param).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err, param).toMatchObject({ statusCode: 400, param, ...(code ? { code } : {}) });
    };
    const withPrice = (pd: Record<string, unknown>) => ({ items: [{ id: item.id, price_data: { currency: 'jpy', product, unit_amount: 5000, recurring: { interval: 'month' }, ...pd } }], proration_behavior: 'none' }) as Stripe.SubscriptionUpdateParams;
    await refused(withPrice({ product: 'prod_not_ours' }), 'items[0][price_data][product]', 'resource_missing');
    await refused(withPrice({ currency: 'usd' }), 'items[0][price_data][currency]', 'currency_mismatch');
    await refused(withPrice({ recurring: undefined }), 'items[0][price_data][recurring]', 'parameter_missing');
    await refused(withPrice({ unit_amount: 0 }), 'items[0][price_data][unit_amount]');
    await refused(withPrice({ unit_amount: 100_000_000 }), 'items[0]', 'amount_too_large');
    await refused({ items: [{ id: 'si_other', price_data: { currency: 'jpy', product, unit_amount: 5000, recurring: { interval: 'month' } } }], proration_behavior: 'none' }, 'items[0][id]', 'resource_missing');
    await refused({ ...newPrice(item, product, 5000), proration_behavior: 'create_prorations' }, 'proration_behavior');
    expect((await stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.unit_amount).toBe(3000);
    await stripe.subscriptions.cancel(sub.id);
    await refused(newPrice(item, product, 5000), 'cancel_at_period_end');
  });
});
