import type Stripe from 'stripe';
import type { Ctx, Origin } from '../context';
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
