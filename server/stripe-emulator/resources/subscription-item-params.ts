import type Stripe from 'stripe';
import { invalidRequest } from '../errors';
import type { FormObject } from '../form';
import { optArray, optObject, optString, reqInt, reqString, rejectUnknown } from '../params';
import type { LineSpec, State } from '../store';
import { CURRENCIES, MAX_AMOUNT, recurringParam, unitAmountParam } from './checkout-params';

/** What one subscription update asks of its one item: a new quantity, a new price, or both. */
export interface ItemChange {
  quantity?: number;
  price?: { product: string; line: LineSpec };
}

/**
 * `items[0]` of a subscription update (`id`, and `quantity` and/or `price_data`), as Stripe takes
 * it, for a subscription of one item: a treasurer's new quantity in the Dashboard, a donor's new
 * amount (`price_data` with the item's `product`). Only without prorations (`proration_behavior:
 * none`): the next invoice charges what it says, and nothing is charged now.
 */
export function parseItemChange(state: State, sub: Stripe.Subscription, item: Stripe.SubscriptionItem, p: FormObject): ItemChange | undefined {
  const items = optArray(p, 'items');
  if (items === undefined) return undefined;
  if (optString(p, 'proration_behavior') !== 'none') throw invalidRequest("The emulator changes a subscription's items only with proration_behavior=none.", 'proration_behavior');
  const [raw] = items;
  if (items.length !== 1 || typeof raw !== 'object' || Array.isArray(raw)) throw invalidRequest('The emulator changes exactly one item.', 'items');
  rejectUnknown(raw, ['id', 'quantity', 'price_data']);
  if (optString(raw, 'id', 'items[0][id]') !== item.id) throw invalidRequest('No such subscription item on this subscription.', 'items[0][id]', 'resource_missing');
  const change: ItemChange = {};
  if (raw.quantity !== undefined) {
    change.quantity = reqInt(raw, 'quantity', 'items[0][quantity]');
    if (change.quantity < 1) throw invalidRequest('Quantity must be at least 1.', 'items[0][quantity]');
  }
  const pd = optObject(raw, 'price_data', 'items[0][price_data]');
  if (pd) change.price = priceData(state, sub, pd);
  if (change.quantity === undefined && !change.price) throw invalidRequest('Give the item a new quantity or price_data.', 'items[0]');
  const amount = (change.price?.line.unitAmount ?? item.price.unit_amount ?? 0) * (change.quantity ?? item.quantity ?? 1);
  if (amount > MAX_AMOUNT) throw invalidRequest(`Amount must be no more than ${MAX_AMOUNT}.`, 'items[0]', 'amount_too_large');
  return change;
}

// Stripe's subscription price_data names an existing product (no product_data) and must recur.
// The emulator keeps products only as its prices name them.
function priceData(state: State, sub: Stripe.Subscription, pd: FormObject): { product: string; line: LineSpec } {
  const path = 'items[0][price_data]';
  rejectUnknown(pd, ['currency', 'product', 'recurring', 'unit_amount']);
  const currency = reqString(pd, 'currency', `${path}[currency]`).toLowerCase();
  if (!CURRENCIES.has(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, `${path}[currency]`);
  if (currency !== sub.currency) throw invalidRequest(`The price's currency (${currency}) must be the subscription's (${sub.currency}).`, `${path}[currency]`, 'currency_mismatch');
  const product = reqString(pd, 'product', `${path}[product]`);
  if (!knownProduct(state, product)) throw invalidRequest(`No such product: '${product}'`, `${path}[product]`, 'resource_missing');
  const rec = optObject(pd, 'recurring', `${path}[recurring]`);
  if (!rec) throw invalidRequest('Missing required param: items[0][price_data][recurring].', `${path}[recurring]`, 'parameter_missing');
  const recurring = recurringParam(rec, `${path}[recurring]`);
  const unitAmount = unitAmountParam(pd, path, currency);
  return { product, line: { name: product, currency, unitAmount, quantity: 1, recurring } };
}

function knownProduct(state: State, product: string): boolean {
  for (const sub of state.subscriptions.values()) if (sub.items.data.some((i) => i.price.product === product)) return true;
  return false;
}
