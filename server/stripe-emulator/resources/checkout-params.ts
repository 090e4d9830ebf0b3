import { invalidRequest, parameterMissing, resourceMissing } from '../errors';
import { checkoutLocales } from '../checkout-locales';
import { isThreeDecimal, stripeExponent } from '../fees';
import { stripeChargeFloorMinorOf } from '../../ledger/stripe-minimum';
import type { FormObject } from '../form';
import { metadataParam, optArray, optObject, optString, rejectUnknown, reqInt, reqString } from '../params';
import type { LineSpec, SessionSpec, State } from '../store';

const ALLOWED = [
  'mode', 'line_items', 'customer', 'customer_email', 'metadata', 'payment_intent_data', 'subscription_data',
  'success_url', 'cancel_url', 'client_reference_id', 'expires_at', 'expand', 'locale', 'submit_type',
  'payment_method_types', 'billing_address_collection', 'allow_promotion_codes', 'customer_creation', 'ui_mode',
] as const;
const INTERVALS = ['day', 'week', 'month', 'year'] as const;
/** Stripe's largest amount of one charge, in any currency's minor units (8 digits). */
export const MAX_AMOUNT = 99_999_999;
export const CURRENCIES = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));

export interface SessionInput {
  mode: 'payment' | 'subscription';
  spec: SessionSpec;
  customer: string | null;
  customerEmail: string | null;
  successUrl: string | null;
  cancelUrl: string | null;
  clientReferenceId: string | null;
  locale: string | null;
  metadata: Record<string, string>;
}

// Validates a Checkout Session create request the way Stripe does, naming the offending param.
export function parseSessionInput(state: State, p: FormObject): SessionInput {
  rejectUnknown(p, ALLOWED);
  const mode = reqString(p, 'mode');
  if (mode !== 'payment' && mode !== 'subscription') {
    throw invalidRequest(`Invalid mode: the emulator supports payment and subscription, not ${mode}.`, 'mode');
  }
  const locale = optString(p, 'locale');
  if (locale !== undefined && !checkoutLocales.has(locale)) {
    throw invalidRequest(`Invalid locale: must be one of ${[...checkoutLocales].join(', ')}`, 'locale');
  }
  const lines = parseLines(p, mode);
  const customer = optString(p, 'customer') ?? null;
  const customerEmail = optString(p, 'customer_email', 'customer_email', 800) ?? null;
  if (customer && customerEmail) throw invalidRequest('You may only specify one of these parameters: customer, customer_email.');
  if (customer && !state.customers.has(customer)) throw resourceMissing('customer', customer, 'customer');
  return {
    mode,
    spec: { lines, ...modeData(p, mode) },
    customer,
    customerEmail,
    successUrl: urlParam(p, 'success_url'),
    cancelUrl: urlParam(p, 'cancel_url'),
    clientReferenceId: optString(p, 'client_reference_id', 'client_reference_id', 200) ?? null,
    locale: locale ?? null,
    metadata: metadataParam(p),
  };
}

function modeData(p: FormObject, mode: 'payment' | 'subscription'): Omit<SessionSpec, 'lines'> {
  const pid = optObject(p, 'payment_intent_data');
  const sd = optObject(p, 'subscription_data');
  if (pid && mode !== 'payment') throw invalidRequest('payment_intent_data can only be used in payment mode.', 'payment_intent_data');
  if (sd && mode !== 'subscription') throw invalidRequest('subscription_data can only be used in subscription mode.', 'subscription_data');
  if (pid) rejectUnknown(pid, ['metadata', 'description', 'receipt_email', 'statement_descriptor']);
  if (sd) rejectUnknown(sd, ['metadata', 'description']);
  return {
    paymentIntentMetadata: pid ? metadataParam(pid, 'metadata', 'payment_intent_data[metadata]') : {},
    paymentIntentDescription: (pid && optString(pid, 'description', 'payment_intent_data[description]', 1000)) ?? null,
    subscriptionMetadata: sd ? metadataParam(sd, 'metadata', 'subscription_data[metadata]') : {},
  };
}

function urlParam(p: FormObject, key: string): string | null {
  const v = optString(p, key, key, 5000);
  if (v === undefined) return null;
  if (!/^https?:\/\//i.test(v) || !URL.canParse(v.replace('{CHECKOUT_SESSION_ID}', 'x'))) {
    throw invalidRequest(`Not a valid URL`, key, 'url_invalid');
  }
  return v;
}

function parseLines(p: FormObject, mode: 'payment' | 'subscription'): LineSpec[] {
  const raw = optArray(p, 'line_items');
  if (!raw || raw.length === 0) throw parameterMissing('line_items');
  if (raw.length > 20) throw invalidRequest('line_items can have at most 20 items in the emulator.', 'line_items');
  const lines = raw.map((item, i) => parseLine(item, i, mode));
  const currency = lines[0]?.currency;
  if (lines.some((l) => l.currency !== currency)) {
    throw invalidRequest('All line_items must use the same currency.', 'line_items', 'currency_mismatch');
  }
  if (mode === 'subscription' && lines.length !== 1) {
    throw invalidRequest('The emulator supports exactly one recurring line item in subscription mode.', 'line_items');
  }
  const total = lines.reduce((s, l) => s + l.unitAmount * l.quantity, 0);
  if (total > MAX_AMOUNT) throw invalidRequest('Amount must be no more than 99999999.', 'line_items', 'amount_too_large');
  // Stripe refuses a charge under its minimum for the currency ("the equivalent of 0.50 USD" where
  // it publishes none), when the session is created.
  const floor = stripeChargeFloorMinorOf(currency!.toUpperCase(), stripeExponent(currency!));
  if (floor !== undefined && BigInt(total) < floor) {
    throw invalidRequest("The Checkout Session's total amount due must add up to at least $0.50 usd", 'line_items', 'amount_too_small');
  }
  return lines;
}

function parseLine(item: unknown, i: number, mode: string): LineSpec {
  const path = `line_items[${i}]`;
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidRequest(`Invalid object: ${path}`, path);
  const li = item as FormObject;
  if (li.price !== undefined) throw invalidRequest('The emulator supports price_data only, not price ids.', `${path}[price]`);
  rejectUnknown(li, ['price_data', 'quantity']);
  const pd = optObject(li, 'price_data', `${path}[price_data]`);
  if (!pd) throw parameterMissing(`${path}[price_data]`);
  const currency = reqString(pd, 'currency', `${path}[price_data][currency]`).toLowerCase();
  if (!CURRENCIES.has(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, `${path}[price_data][currency]`);
  const unitAmount = unitAmountParam(pd, `${path}[price_data]`, currency);
  const product = optObject(pd, 'product_data', `${path}[price_data][product_data]`);
  if (!product) throw parameterMissing(`${path}[price_data][product_data]`);
  const name = reqString(product, 'name', `${path}[price_data][product_data][name]`, 250);
  const quantity = reqInt(li, 'quantity', `${path}[quantity]`);
  if (quantity < 1 || quantity > 999_999) throw invalidRequest('quantity must be between 1 and 999999.', `${path}[quantity]`);
  return { name, currency, unitAmount, quantity, recurring: parseRecurring(pd, path, mode) };
}

function parseRecurring(pd: FormObject, path: string, mode: string): LineSpec['recurring'] {
  const rec = optObject(pd, 'recurring', `${path}[price_data][recurring]`);
  if (mode === 'payment' && rec) {
    throw invalidRequest('You specified `payment` mode but passed a recurring price.', `${path}[price_data][recurring]`);
  }
  if (mode === 'subscription' && !rec) {
    throw invalidRequest('You must provide at least one recurring price in `subscription` mode.', `${path}[price_data][recurring]`);
  }
  return rec ? recurringParam(rec, `${path}[price_data][recurring]`) : null;
}

/** A price's `unit_amount` (under `path`, e.g. `line_items[0][price_data]`), as Stripe takes it in `currency`. */
export function unitAmountParam(pd: FormObject, path: string, currency: string): number {
  const unitAmount = reqInt(pd, 'unit_amount', `${path}[unit_amount]`);
  if (unitAmount < 1) throw invalidRequest('unit_amount must be at least 1.', `${path}[unit_amount]`);
  if (isThreeDecimal(currency) && unitAmount % 10 !== 0) {
    throw invalidRequest(`Amounts in ${currency.toUpperCase()} must end in 0 (Stripe rounds the last digit).`, `${path}[unit_amount]`);
  }
  return unitAmount;
}

/** A price's `recurring` object (at `path`): its interval and interval count. */
export function recurringParam(rec: FormObject, path: string): NonNullable<LineSpec['recurring']> {
  const interval = reqString(rec, 'interval', `${path}[interval]`);
  if (!(INTERVALS as readonly string[]).includes(interval)) {
    throw invalidRequest(`Invalid interval: ${interval}`, `${path}[interval]`);
  }
  const count = rec.interval_count === undefined ? 1 : reqInt(rec, 'interval_count', `${path}[interval_count]`);
  if (count < 1 || count > 12) throw invalidRequest('interval_count must be 1–12.', `${path}[interval_count]`);
  return { interval: interval as (typeof INTERVALS)[number], intervalCount: count };
}
