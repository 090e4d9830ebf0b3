import type Stripe from 'stripe';
import type { LineSpec } from '../store';

export interface SessionArgs {
  id: string;
  mode: 'payment' | 'subscription';
  lines: LineSpec[];
  url: string;
  successUrl: string | null;
  cancelUrl: string | null;
  customer: string | null;
  customerEmail: string | null;
  clientReferenceId: string | null;
  /** The language Checkout is shown in, as asked (null: Stripe's default, "auto"). */
  locale: string | null;
  metadata: Record<string, string>;
  created: number;
  expiresAt: number;
}

export function sessionTotal(lines: LineSpec[]): number {
  return lines.reduce((sum, l) => sum + l.unitAmount * l.quantity, 0);
}

// A Checkout Session as Stripe returns it right after creation (API 2022-08-01+: no PaymentIntent
// until the customer pays).
export function buildSession(a: SessionArgs): Stripe.Checkout.Session {
  const total = sessionTotal(a.lines);
  return {
    id: a.id,
    object: 'checkout.session',
    ...unusedSessionFields(),
    amount_subtotal: total,
    amount_total: total,
    cancel_url: a.cancelUrl,
    client_reference_id: a.clientReferenceId,
    created: a.created,
    currency: a.lines[0]?.currency ?? null,
    customer: a.customer,
    customer_creation: a.mode === 'payment' && !a.customer ? 'if_required' : null,
    customer_details: null,
    customer_email: a.customerEmail,
    expires_at: a.expiresAt,
    livemode: false,
    locale: a.locale as Stripe.Checkout.Session.Locale | null,
    metadata: a.metadata,
    mode: a.mode,
    payment_intent: null,
    payment_status: 'unpaid',
    status: 'open',
    subscription: null,
    success_url: a.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    url: a.url,
  };
}

function unusedSessionFields() {
  return {
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer_account: null,
    discounts: [],
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    managed_payments: null,
    origin_context: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    submit_type: null,
    ui_mode: 'hosted',
    wallet_options: null,
  } satisfies Partial<Stripe.Checkout.Session>;
}

/** The session's line items as `GET /v1/checkout/sessions/:id/line_items` and `expand[]=line_items` show them. */
export function sessionLineItems(sessionId: string, lines: LineSpec[]): Array<Record<string, unknown> & { id: string }> {
  return lines.map((l, i) => ({
    id: `li_${sessionId.slice(8, 30)}${i}`,
    object: 'item',
    amount_discount: 0,
    amount_subtotal: l.unitAmount * l.quantity,
    amount_tax: 0,
    amount_total: l.unitAmount * l.quantity,
    currency: l.currency,
    description: l.name,
    quantity: l.quantity,
  }));
}
