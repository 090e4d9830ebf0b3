import type Stripe from 'stripe';
import { newId } from '../ids';
import type { LineSpec } from '../store';

// Builders for Billing objects in the 2025+ API shape: billing periods live on subscription items,
// and an invoice names its subscription under `parent.subscription_details`.

export function buildCustomer(a: {
  email: string | null;
  name: string | null;
  metadata: Record<string, string>;
  testClock: string | null;
  created: number;
}): Stripe.Customer {
  return {
    id: newId('cus', 14),
    object: 'customer',
    balance: 0,
    created: a.created,
    default_source: null,
    description: null,
    email: a.email,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: a.metadata,
    name: a.name,
    shipping: null,
    test_clock: a.testClock,
  };
}

/** A Price for `line`: of `productId` when it names one (a subscription item's new price), else of a product of its own. */
export function buildPrice(line: LineSpec, created: number, productId = newId('prod', 14)): Stripe.Price {
  return {
    id: newId('price'),
    object: 'price',
    active: false,
    billing_scheme: 'per_unit',
    created,
    currency: line.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: productId,
    recurring: line.recurring
      ? { interval: line.recurring.interval, interval_count: line.recurring.intervalCount, meter: null, trial_period_days: null, usage_type: 'licensed' }
      : null,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: line.recurring ? 'recurring' : 'one_time',
    unit_amount: line.unitAmount,
    unit_amount_decimal: null,
  };
}

export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: null,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: false,
    metadata: {},
    meter: null,
    nickname: null,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

export function buildSubscription(a: {
  customer: string;
  line: LineSpec;
  metadata: Record<string, string>;
  testClock: string | null;
  start: number;
  periodEnd: number;
}): Stripe.Subscription {
  const id = newId('sub');
  const price = buildPrice(a.line, a.start);
  const item: Stripe.SubscriptionItem = {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: a.start,
    current_period_end: a.periodEnd,
    current_period_start: a.start,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planFromPrice(price),
    price,
    quantity: a.line.quantity,
    subscription: id,
    tax_rates: [],
  };
  return {
    id,
    object: 'subscription',
    ...unusedSubscriptionFields(),
    billing_cycle_anchor: a.start,
    created: a.start,
    currency: a.line.currency,
    customer: a.customer,
    items: { object: 'list', data: [item], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    metadata: a.metadata,
    start_date: a.start,
    status: 'active',
    test_clock: a.testClock,
  };
}

function unusedSubscriptionFields() {
  return {
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    managed_payments: null,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: null,
  } satisfies Partial<Stripe.Subscription>;
}

export function subscriptionItem(sub: Stripe.Subscription): Stripe.SubscriptionItem {
  const item = sub.items.data[0];
  if (!item) throw new Error(`subscription ${sub.id} has no items`);
  return item;
}

export function buildTestClock(frozenTime: number, name: string | null, created: number): Stripe.TestHelpers.TestClock {
  return {
    id: newId('clock'),
    object: 'test_helpers.test_clock',
    created,
    deletes_after: created + 30 * 86_400,
    frozen_time: frozenTime,
    livemode: false,
    name,
    status: 'ready',
    status_details: {},
  };
}
