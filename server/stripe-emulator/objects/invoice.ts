import type Stripe from 'stripe';
import { newId } from '../ids';
import { subscriptionItem } from './billing';

// A paid subscription invoice. Stripe links it to its payment through InvoicePayment objects
// (`expand[]=payments`), not through invoice.charge/payment_intent, since API 2025-03-31.
export function buildInvoice(a: {
  sub: Stripe.Subscription;
  customerEmail: string | null;
  customerName: string | null;
  reason: 'subscription_create' | 'subscription_cycle';
  created: number;
  number: string;
  /** For renewals: the period that just ended. */
  previousPeriod?: { start: number; end: number };
}): Stripe.Invoice {
  const item = subscriptionItem(a.sub);
  const amount = (item.price.unit_amount ?? 0) * (item.quantity ?? 1);
  const id = newId('in');
  const period = { start: item.current_period_start, end: item.current_period_end };
  return {
    id,
    object: 'invoice',
    ...unusedInvoiceFields(),
    amount_due: amount,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: amount,
    amount_shipping: 0,
    attempt_count: 0,
    attempted: false,
    // Stripe drives a subscription's invoice to payment itself; paid and void ones no longer advance.
    auto_advance: true,
    billing_reason: a.reason,
    created: a.created,
    currency: a.sub.currency,
    customer: typeof a.sub.customer === 'string' ? a.sub.customer : a.sub.customer.id,
    customer_email: a.customerEmail,
    customer_name: a.customerName,
    effective_at: a.created,
    lines: { object: 'list', data: [lineItem(id, a.sub, item, amount, period)], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    number: a.number,
    parent: {
      quote_details: null,
      subscription_details: { metadata: { ...a.sub.metadata }, subscription: a.sub.id },
      type: 'subscription_details',
    },
    // Stripe bills the first period on creation; a renewal invoice covers the period just ended
    // (period_start/end) while its line item covers the period being paid for.
    period_end: a.previousPeriod?.end ?? a.created,
    period_start: a.previousPeriod?.start ?? a.created,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: amount,
    subtotal_excluding_tax: amount,
    test_clock: a.sub.test_clock,
    total: amount,
    total_excluding_tax: amount,
  };
}

function lineItem(
  invoiceId: string,
  sub: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
  amount: number,
  period: { start: number; end: number },
): Stripe.InvoiceLineItem {
  return {
    id: newId('il'),
    object: 'line_item',
    amount,
    currency: sub.currency,
    description: `${item.quantity ?? 1} × subscription`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: { ...sub.metadata },
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: sub.id,
        subscription_item: item.id,
      },
      type: 'subscription_item_details',
    },
    period,
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: item.price.id, product: String(item.price.product) },
      type: 'price_details',
      unit_amount_decimal: null,
    },
    quantity: item.quantity ?? 1,
    quantity_decimal: null,
    subscription: sub.id,
    subtotal: amount,
    taxes: [],
  };
}

function unusedInvoiceFields() {
  return {
    account_country: 'US',
    account_name: 'Solidarity Fund (emulator)',
    account_tax_ids: null,
    application: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    collection_method: 'charge_automatically',
    custom_fields: null,
    customer_account: null,
    customer_address: null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    next_payment_attempt: null,
    on_behalf_of: null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    total_discount_amounts: [],
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  } satisfies Partial<Stripe.Invoice>;
}

/** The invoice's PaymentIntent as a payment of it: `open` while its attempts fail, then `paid`. */
export function buildInvoicePayment(
  invoice: Stripe.Invoice,
  pi: Stripe.PaymentIntent,
  chargeId: string,
  at: number,
  status: 'open' | 'paid',
): Stripe.InvoicePayment {
  const paid = status === 'paid';
  return {
    id: newId('inpay'),
    object: 'invoice_payment',
    amount_paid: paid ? pi.amount : null,
    amount_requested: pi.amount,
    created: at,
    currency: pi.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    payment: { charge: chargeId, payment_intent: pi.id, type: 'payment_intent' },
    status,
    status_transitions: { canceled_at: null, paid_at: paid ? at : null },
  };
}
