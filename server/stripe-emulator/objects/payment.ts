import type Stripe from 'stripe';
import { newId } from '../ids';
import type { CardInfo } from '../cards';

// Builders for the money-moving objects, complete per the SDK's types so reads never miss a field.

export function buildPaymentIntent(args: {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  created: number;
}): Stripe.PaymentIntent {
  const id = newId('pi');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: args.amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${newId('s').slice(2)}`,
    confirmation_method: 'automatic',
    created: args.created,
    currency: args.currency,
    customer: args.customer,
    customer_account: null,
    description: args.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: args.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: args.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_group: null,
  };
}

export function buildCharge(args: {
  pi: Stripe.PaymentIntent;
  card: CardInfo;
  name: string | null;
  email: string | null;
  created: number;
  failure: { code: string; message: string; declineCode: string } | null;
}): Stripe.Charge {
  const { pi, card, failure } = args;
  const ok = failure === null;
  return {
    id: newId('ch'),
    object: 'charge',
    amount: pi.amount,
    amount_captured: ok ? pi.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: {
      address: null,
      email: args.email,
      name: args.name,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'SOLIDARITY FUND',
    captured: ok,
    created: args.created,
    currency: pi.currency,
    customer: typeof pi.customer === 'string' ? pi.customer : null,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: failure?.code ?? null,
    failure_message: failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: outcome(failure),
    paid: ok,
    payment_intent: pi.id,
    payment_method: card.paymentMethodId,
    payment_method_details: cardDetails(card),
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: ok ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
}

function outcome(failure: { code: string; message: string; declineCode: string } | null): Stripe.Charge.Outcome {
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: failure ? 'declined_by_network' : 'approved_by_network',
    reason: failure?.declineCode ?? null,
    risk_level: 'normal',
    risk_score: 20,
    seller_message: failure ? 'The bank did not return any further details with this decline.' : 'Payment complete.',
    type: failure ? 'issuer_declined' : 'authorized',
  };
}

function cardDetails(card: CardInfo): Stripe.Charge.PaymentMethodDetails {
  return {
    type: 'card',
    card: {
      amount_authorized: null,
      authorization_code: null,
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      exp_month: card.expMonth,
      exp_year: card.expYear,
      electronic_commerce_indicator: null,
      fingerprint: card.fingerprint,
      funding: 'credit',
      installments: null,
      last4: card.last4,
      mandate: null,
      network: card.brand,
      network_token: null,
      network_transaction_id: null,
      regulated_status: 'unregulated',
      three_d_secure: null,
      transaction_link_id: null,
      wallet: null,
    },
  };
}

export function buildBalanceTransaction(args: {
  amount: number;
  fee: number;
  feeDescription: string;
  currency: string;
  type: Stripe.BalanceTransaction.Type;
  reportingCategory: string;
  source: string;
  description: string | null;
  created: number;
  pending: boolean;
  /** Set when the amount was converted into the account's settlement currency. */
  exchangeRate?: number | null;
}): Stripe.BalanceTransaction {
  return {
    id: newId('txn'),
    object: 'balance_transaction',
    amount: args.amount,
    available_on: args.pending ? args.created + 2 * 86_400 : args.created,
    balance_type: 'payments',
    created: args.created,
    currency: args.currency,
    description: args.description,
    exchange_rate: args.exchangeRate ?? null,
    fee: args.fee,
    fee_details:
      args.fee === 0
        ? []
        : [{ amount: args.fee, application: null, currency: args.currency, description: args.feeDescription, type: 'stripe_fee' }],
    net: args.amount - args.fee,
    reporting_category: args.reportingCategory,
    source: args.source,
    status: args.pending ? 'pending' : 'available',
    type: args.type,
  };
}

export function buildRefund(args: {
  charge: Stripe.Charge;
  amount: number;
  metadata: Record<string, string>;
  reason: Stripe.Refund.Reason | null;
  created: number;
}): Stripe.Refund {
  const { charge } = args;
  return {
    id: newId('re'),
    object: 'refund',
    amount: args.amount,
    balance_transaction: null,
    charge: charge.id,
    created: args.created,
    currency: charge.currency,
    customer: typeof charge.customer === 'string' ? charge.customer : null,
    customer_account: null,
    destination_details: undefined,
    metadata: args.metadata,
    payment_intent: typeof charge.payment_intent === 'string' ? charge.payment_intent : null,
    payment_method: charge.payment_method,
    reason: args.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}
