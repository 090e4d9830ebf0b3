import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { changesCharge, monthlyChargeOf } from '../../server/payments/handlers/subscription-amount';
import { NeedsTreasurer } from '../../server/payments/handlers/types';

// What a subscription charges each month, as the poster writes it on the gift: Stripe's own amounts
// (ISK in hundredths, JPY whole), items a Dashboard may add, and what a monthly gift cannot be.
// The emulator makes only one-item subscriptions, so these shapes are tested here.

interface ItemSpec {
  id?: string;
  priceId?: string;
  unitAmount?: number | null;
  currency?: string;
  quantity?: number;
  interval?: Stripe.Price.Recurring.Interval;
  intervalCount?: number;
  usage?: Stripe.Price.Recurring.UsageType;
  scheme?: Stripe.Price.BillingScheme;
  periodEnd?: number;
}

function item(s: ItemSpec = {}): Stripe.SubscriptionItem {
  return {
    id: s.id ?? 'si_1',
    quantity: s.quantity ?? 1,
    current_period_end: s.periodEnd ?? 1_800_000_000,
    price: {
      id: s.priceId ?? 'price_1',
      currency: s.currency ?? 'jpy',
      unit_amount: s.unitAmount === undefined ? 3000 : s.unitAmount,
      billing_scheme: s.scheme ?? 'per_unit',
      recurring: { interval: s.interval ?? 'month', interval_count: s.intervalCount ?? 1, usage_type: s.usage ?? 'licensed' },
    },
  } as unknown as Stripe.SubscriptionItem;
}

const subscription = (items: Stripe.SubscriptionItem[], hasMore = false) => ({ id: 'sub_1', items: { object: 'list', data: items, has_more: hasMore } }) as unknown as Stripe.Subscription;

const parked = (sub: Stripe.Subscription, currency: string, reason: RegExp) => {
  expect(() => monthlyChargeOf(sub, currency)).toThrow(NeedsTreasurer);
  expect(() => monthlyChargeOf(sub, currency)).toThrow(reason);
};

describe('what a subscription charges each month', () => {
  it('is the unit price times the quantity, in ISO minor units', () => {
    expect(monthlyChargeOf(subscription([item({ unitAmount: 4500 })]), 'JPY')).toBe(4500n);
    expect(monthlyChargeOf(subscription([item({ unitAmount: 4500, quantity: 2 })]), 'JPY')).toBe(9000n);
    // Stripe writes krónur in hundredths, ISO in whole ones.
    expect(monthlyChargeOf(subscription([item({ currency: 'isk', unitAmount: 150000 })]), 'ISK')).toBe(1500n);
    expect(monthlyChargeOf(subscription([item({ currency: 'kwd', unitAmount: 5250 })]), 'KWD')).toBe(5250n);
  });

  // Another item added in the Dashboard is charged on the same invoice: the renewal posts the sum.
  it('adds up several monthly items', () => {
    expect(monthlyChargeOf(subscription([item({ unitAmount: 3000 }), item({ id: 'si_2', priceId: 'price_2', unitAmount: 500, quantity: 3 })]), 'JPY')).toBe(4500n);
  });

  it('is for a treasurer when a monthly gift cannot be it', () => {
    parked(subscription([item({ currency: 'usd' })]), 'JPY', /charges USD, but its monthly gift is in JPY/);
    parked(subscription([item({ interval: 'year' })]), 'JPY', /not charged once a month/);
    parked(subscription([item({ intervalCount: 3 })]), 'JPY', /not charged once a month/);
    parked(subscription([item(), item({ id: 'si_2', usage: 'metered' })]), 'JPY', /item si_2 is not charged once a month/);
    parked(subscription([item({ scheme: 'tiered', unitAmount: null })]), 'JPY', /has no unit price/);
    parked(subscription([item({ quantity: 0 })]), 'JPY', /charges nothing/);
    parked(subscription([]), 'JPY', /lists no items/);
    parked(subscription([item()], true), 'JPY', /lists more items/);
  });
});

describe('whether an update changed what a subscription charges', () => {
  const now = subscription([item({ unitAmount: 4500, periodEnd: 1_802_000_000 })]);

  it('a new price, a new quantity, an item more: yes', () => {
    expect(changesCharge({ items: { data: [item({ unitAmount: 3000, priceId: 'price_0' })] } }, now)).toBe(true);
    expect(changesCharge({ items: { data: [item({ unitAmount: 4500, quantity: 2 })] } }, now)).toBe(true);
    expect(changesCharge({ items: { data: [item({ unitAmount: 4500 }), item({ id: 'si_2' })] } }, now)).toBe(true);
  });

  // A renewal names `items` with the period before: the same price and quantity.
  it('a renewal, a new card, a status: no', () => {
    expect(changesCharge({ items: { data: [item({ unitAmount: 4500, periodEnd: 1_800_000_000 })] }, latest_invoice: 'in_1' }, now)).toBe(false);
    expect(changesCharge({ default_payment_method: null }, now)).toBe(false);
    expect(changesCharge({ status: 'past_due' }, now)).toBe(false);
  });

  // Stripe is asked rather than a change missed.
  it('items of a shape it cannot compare: yes', () => {
    for (const items of [null, 'x', {}, { data: null }, { data: [null] }, { data: [{ quantity: 1 }] }]) expect(changesCharge({ items }, now), JSON.stringify(items)).toBe(true);
  });
});
