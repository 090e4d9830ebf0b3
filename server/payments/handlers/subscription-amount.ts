import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Tx } from '../../../db/client';
import { notOlderThanKept } from './said-at';
import { donations, type Donation } from '../../../db/schema/index';
import { fromStripeAmount } from '../../ledger/money';
import { splitOfCharge } from '../renewal-amount';
import { NeedsTreasurer, type HandlerDeps } from './types';

/*
 * Stripe is the truth for what a monthly gift charges: the donor's change here (whose own write
 * of the row may have been lost after Stripe took it), or a treasurer's new price or quantity in
 * Stripe's Dashboard. The gift's first donation follows it, so that /account, the mails and the
 * treasurer's gift page say what the next renewal charges. Nothing is charged by an update, so
 * the ledger does not move: each renewal posts what its invoice charged (gift.ts).
 */

/** What an item charges, of what an update can change; its billing period is not among it. */
const chargeOfItem = (item: Partial<Stripe.SubscriptionItem>) =>
  JSON.stringify([item.price?.id, item.price?.unit_amount, item.price?.currency, item.price?.recurring?.interval, item.price?.recurring?.interval_count, item.quantity]);

const itemsIn = (list: unknown): Partial<Stripe.SubscriptionItem>[] | null => {
  const data = (list as { data?: unknown } | null | undefined)?.data;
  return Array.isArray(data) && data.every((item) => typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string') ? data : null;
};

/**
 * Whether a subscription update changed what it charges, from the event alone: its previous items
 * against its items then, item by item. A renewal names `items` too (since 2025-03-31.basil the
 * period is the item's), with the same prices and quantities, and asks nothing of Stripe. Items
 * of a shape this cannot compare count as changed: Stripe is then asked what it charges.
 */
export function changesCharge(previous: Record<string, unknown>, sub: Stripe.Subscription): boolean {
  if (!('items' in previous)) return false;
  const before = itemsIn(previous.items);
  const after = itemsIn(sub.items);
  if (!before || !after) return true;
  const was = new Map(before.map((item) => [item.id, chargeOfItem(item)]));
  return before.length !== after.length || after.some((item) => was.get(item.id) !== chargeOfItem(item));
}

/**
 * What a subscription charges each month in the gift's currency (ISO minor units): each item's
 * unit price times its quantity. What a monthly gift cannot be (another currency, another
 * interval, a price by usage or tiers, nothing at all) is for a treasurer to settle.
 */
export function monthlyChargeOf(sub: Stripe.Subscription, currency: string): bigint {
  const items = sub.items.data;
  if (items.length === 0 || sub.items.has_more) throw new NeedsTreasurer(`subscription ${sub.id} lists ${items.length === 0 ? 'no' : 'more'} items than a monthly gift can have: its amount was not followed`);
  let totalMinor = 0n;
  for (const { id, price, quantity } of items) {
    const priceCurrency = price.currency.toUpperCase();
    if (priceCurrency !== currency) throw new NeedsTreasurer(`subscription ${sub.id} charges ${priceCurrency}, but its monthly gift is in ${currency}: its amount was not followed`);
    const { recurring } = price;
    if (recurring?.interval !== 'month' || recurring.interval_count !== 1 || recurring.usage_type !== 'licensed') {
      throw new NeedsTreasurer(`subscription ${sub.id}'s item ${id} is not charged once a month: its amount was not followed`);
    }
    if (price.billing_scheme !== 'per_unit' || price.unit_amount === null) throw new NeedsTreasurer(`subscription ${sub.id}'s item ${id} has no unit price: its amount was not followed`);
    totalMinor += fromStripeAmount(price.unit_amount, currency) * BigInt(quantity ?? 1);
  }
  if (totalMinor <= 0n) throw new NeedsTreasurer(`subscription ${sub.id} charges nothing: its amount was not followed`);
  return totalMinor;
}

/**
 * The gift's amount from now on as Stripe charges it now: read from Stripe rather than from the
 * event, which may be older than another already posted, or a copy delivered twice. Split as
 * chosen here when a split adds up to it (renewal-amount.ts): first the one our own change put
 * beside the price; a total nobody here chose is all gift. Written only when no update
 * made later was written already: another poster may have read Stripe after this one and
 * committed first. Null when the subscription has ended: it renews no more.
 */
export async function amountAsStripeCharges(event: Stripe.Event, deps: HandlerDeps, donation: Donation): Promise<((tx: Tx) => Promise<void>) | null> {
  const sub = await deps.stripe.subscriptions.retrieve((event.data.object as Stripe.Subscription).id);
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') return null;
  const split = splitOfCharge(monthlyChargeOf(sub, donation.currency), donation, sub.metadata);
  const saidAt = new Date(event.created * 1000);
  return async (tx) => {
    await tx
      .update(donations)
      .set({ renewalAmountMinor: split.amountMinor, renewalCoverFeesMinor: split.coverFeesMinor, renewalAmountSaidAt: saidAt })
      .where(and(eq(donations.id, donation.id), notOlderThanKept(donations.renewalAmountSaidAt, saidAt)));
  };
}
