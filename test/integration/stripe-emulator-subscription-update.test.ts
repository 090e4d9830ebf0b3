import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../server/stripe-emulator/index';
import type { Receiver } from '../../server/stripe-emulator/testing';
import { paidSubscriptionOnClock, useEmulatorWithReceiver } from '../helpers/emulator-receiver';

// A donor changes the amount of a monthly gift: the app gives the subscription's one item a new
// price (price_data of the same product, no prorations). Stripe charges nothing then; the next
// renewal charges the new amount. The emulator must do the same, once per Idempotency-Key.

const SECRET = 'whsec_emulator_sub_update_secret';
let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;
const deliveredEvents = useEmulatorWithReceiver(SECRET, (started) => ({ emu, stripe, receiver } = started));

/** A paid ¥3,000 monthly subscription on its own test clock. */
async function yenMonthlyOnClock() {
  const { clock, sub } = await paidSubscriptionOnClock(stripe, 'change@example.org');
  const item = sub.items.data[0]!;
  return { clock, sub, item, product: String(item.price.product) };
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
