import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx, type Origin } from '../context';
import { invalidRequest, parameterMissing, resourceMissing } from '../errors';
import { formatAmount } from '../fees';
import { settleAmount } from '../fx';
import { nowSeconds } from '../ids';
import { buildBalanceTransaction, buildRefund } from '../objects/payment';
import { refundableDespiteDispute } from './dispute';

export interface RefundArgs {
  charge?: string;
  paymentIntent?: string;
  amount?: number;
  metadata: Record<string, string>;
  reason: Stripe.Refund.Reason | null;
}

function findCharge(ctx: Ctx, a: RefundArgs): Stripe.Charge {
  if (a.charge) {
    const charge = ctx.state.charges.get(a.charge);
    if (!charge) throw resourceMissing('charge', a.charge, 'charge');
    return charge;
  }
  if (!a.paymentIntent) throw parameterMissing('charge');
  const pi = ctx.state.paymentIntents.get(a.paymentIntent);
  if (!pi) throw resourceMissing('payment_intent', a.paymentIntent, 'payment_intent');
  const charge = typeof pi.latest_charge === 'string' ? ctx.state.charges.get(pi.latest_charge) : undefined;
  if (!charge || pi.status !== 'succeeded') {
    throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent');
  }
  return charge;
}

function checkAmount(ctx: Ctx, charge: Stripe.Charge, amount: number): void {
  const left = charge.amount - charge.amount_refunded;
  if (!refundableDespiteDispute(ctx, charge)) throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, undefined, 'charge_disputed');
  if (left === 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
  if (amount < 1) throw invalidRequest('Refund amount must be a positive integer.', 'amount', 'parameter_invalid_integer');
  if (amount > left) {
    const fmt = (n: number) => formatAmount(n, charge.currency);
    throw invalidRequest(
      `Refund amount (${fmt(amount)}) is greater than unrefunded amount on charge (${fmt(left)})`,
      'amount',
      'amount_too_large',
    );
  }
}

// A refund comes straight out of the balance (a negative `refund` transaction; Stripe keeps its fee).
export function createRefund(ctx: Ctx, a: RefundArgs, origin: Origin): Stripe.Refund {
  const charge = findCharge(ctx, a);
  const amount = a.amount ?? charge.amount - charge.amount_refunded;
  checkAmount(ctx, charge, amount);
  const at = nowSeconds();
  const refund = buildRefund({ charge, amount, metadata: a.metadata, reason: a.reason, created: at });
  const settled = settleAmount(ctx.settlementCurrency, -amount, charge.currency);
  const bt = buildBalanceTransaction({
    amount: settled.amount,
    fee: 0,
    feeDescription: '',
    currency: settled.currency,
    exchangeRate: settled.exchangeRate,
    type: 'refund',
    reportingCategory: 'refund',
    source: refund.id,
    description: null,
    created: at,
    pending: false,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  refund.balance_transaction = bt.id;
  ctx.state.refunds.set(refund.id, refund);
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  ctx.emit('charge.refunded', charge, { origin, created: at, previous });
  ctx.emit('refund.created', refund, { origin, created: at });
  ctx.changed();
  return refund;
}

/** Why a card refund failed, as Stripe reports it (`failure_reason`). */
export type RefundFailureReason = 'expired_or_canceled_card' | 'lost_or_stolen_card' | 'unknown';
export const refundFailureReasons: readonly RefundFailureReason[] = ['expired_or_canceled_card', 'lost_or_stolen_card', 'unknown'];

/**
 * The card's bank sends a refund back, after Stripe said it succeeded (Stripe's test card
 * 4000 0000 0000 5126: "the refund appears successful at first", then fails with
 * `expired_or_canceled_card`; docs.stripe.com/testing, docs.stripe.com/refunds#failed-refunds).
 * The refund is `failed` with its `failure_reason`; a `refund_failure` balance transaction puts
 * the amount back in the balance (`failure_balance_transaction`), and the charge counts it as
 * refunded no more, so it can be refunded again. refund.updated, then refund.failed.
 */
export function failRefund(ctx: Ctx, refundId: string, reason: RefundFailureReason = 'expired_or_canceled_card'): Stripe.Refund {
  const refund = ctx.state.refunds.get(refundId);
  if (!refund) throw resourceMissing('refund', refundId);
  if (refund.status !== 'succeeded' && refund.status !== 'pending') {
    throw invalidRequest(`Refund ${refundId} is ${refund.status}: only a pending or succeeded refund can fail.`, undefined, 'refund_not_failable');
  }
  const booked = typeof refund.balance_transaction === 'string' ? ctx.state.balanceTransactions.get(refund.balance_transaction) : undefined;
  if (!booked) throw new Error(`refund ${refundId} has no balance transaction`);
  const at = nowSeconds();
  const bt = buildBalanceTransaction({
    amount: -booked.amount,
    fee: 0,
    feeDescription: '',
    currency: booked.currency,
    exchangeRate: booked.exchange_rate,
    type: 'refund_failure',
    reportingCategory: 'refund_failure',
    source: refund.id,
    description: `REFUND FOR FAILED REFUND (${refund.id})`,
    created: at,
    pending: false,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  const previous = { status: refund.status, failure_reason: null, failure_balance_transaction: null };
  refund.status = 'failed';
  refund.failure_reason = reason;
  refund.failure_balance_transaction = bt.id;
  const charge = typeof refund.charge === 'string' ? ctx.state.charges.get(refund.charge) : undefined;
  if (charge) {
    charge.amount_refunded -= refund.amount;
    charge.refunded = charge.amount_refunded === charge.amount;
  }
  ctx.emit('refund.updated', refund, { origin: AUTOMATIC, created: at, previous });
  ctx.emit('refund.failed', refund, { origin: AUTOMATIC, created: at });
  ctx.changed();
  return refund;
}
