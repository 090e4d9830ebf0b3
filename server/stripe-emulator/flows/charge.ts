import type Stripe from 'stripe';
import type { Ctx, Origin } from '../context';
import { chargeFee } from '../fees';
import { settleAmount } from '../fx';
import { buildBalanceTransaction, buildCharge, buildPaymentIntent } from '../objects/payment';
import type { StoredCard } from '../store';
import { scheduleDispute } from './dispute';

export interface PaymentArgs {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  card: StoredCard;
  billingName: string | null;
  at: number;
  origin: Origin;
  /** A PaymentIntent from an earlier declined attempt on the same checkout. */
  existing?: Stripe.PaymentIntent;
}

export type PaymentResult =
  | { ok: true; pi: Stripe.PaymentIntent; charge: Stripe.Charge }
  | { ok: false; pi: Stripe.PaymentIntent; charge: Stripe.Charge; message: string; code: string; declineCode: string };

// One card payment, with Stripe's event order: payment_intent.created, then charge.succeeded and
// payment_intent.succeeded (or charge.failed and payment_intent.payment_failed).
export function attemptPayment(ctx: Ctx, a: PaymentArgs): PaymentResult {
  const emit = (type: string, obj: object) => ctx.emit(type, obj, { origin: a.origin, created: a.at });
  let pi = a.existing;
  if (!pi) {
    pi = buildPaymentIntent({ ...a, created: a.at });
    ctx.state.paymentIntents.set(pi.id, pi);
    emit('payment_intent.created', pi);
  }
  const outcome = a.card.outcome;
  const failure = outcome.kind === 'decline' ? { code: outcome.code, message: outcome.message, declineCode: outcome.declineCode } : null;
  const charge = buildCharge({ pi, card: a.card.info, name: a.billingName, email: a.receiptEmail, created: a.at, failure });
  ctx.state.charges.set(charge.id, charge);
  pi.latest_charge = charge.id;
  if (outcome.kind === 'decline') {
    pi.last_payment_error = lastPaymentError(outcome, charge);
    emit('charge.failed', charge);
    emit('payment_intent.payment_failed', pi);
    ctx.changed();
    return { ok: false, pi, charge, message: outcome.message, code: outcome.code, declineCode: outcome.declineCode };
  }
  settle(ctx, pi, charge, a);
  emit('charge.succeeded', charge);
  emit('payment_intent.succeeded', pi);
  if (outcome.dispute) {
    const behaviour = outcome.dispute === 'inquiry' ? 'inquiry' : 'dispute';
    ctx.state.chargeBehaviour.set(charge.id, behaviour);
    scheduleDispute(ctx, charge.id, behaviour);
  }
  ctx.changed();
  return { ok: true, pi, charge };
}

function settle(ctx: Ctx, pi: Stripe.PaymentIntent, charge: Stripe.Charge, a: PaymentArgs): void {
  // Stripe's fee is taken from what the account receives: the converted amount, in its currency.
  const settled = settleAmount(ctx.settlementCurrency, charge.amount, charge.currency);
  const bt = buildBalanceTransaction({
    amount: settled.amount,
    fee: chargeFee(ctx.fees, settled.amount, settled.currency),
    feeDescription: 'Stripe processing fees',
    currency: settled.currency,
    exchangeRate: settled.exchangeRate,
    type: 'charge',
    reportingCategory: 'charge',
    source: charge.id,
    description: a.description,
    created: a.at,
    pending: true,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  charge.balance_transaction = bt.id;
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  pi.last_payment_error = null;
  pi.payment_method = a.card.info.paymentMethodId;
}

function lastPaymentError(
  outcome: { code: string; declineCode: string; message: string },
  charge: Stripe.Charge,
): Stripe.PaymentIntent.LastPaymentError {
  return {
    charge: charge.id,
    code: outcome.code,
    decline_code: outcome.declineCode,
    doc_url: `https://stripe.com/docs/error-codes/${outcome.code.replace(/_/g, '-')}`,
    message: outcome.message,
    type: 'card_error',
  };
}
