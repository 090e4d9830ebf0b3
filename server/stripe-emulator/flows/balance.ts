import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx, type Origin } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { nowSeconds } from '../ids';
import { buildBalanceTransaction } from '../objects/payment';
import { buildPayout } from '../objects/payout';

type Sums = Map<string, number>;

function add(sums: Sums, currency: string, amount: number): void {
  sums.set(currency, (sums.get(currency) ?? 0) + amount);
}

function toList(sums: Sums): Array<{ amount: number; currency: string; source_types: { card: number } }> {
  return [...sums.entries()].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
}

/** The balance is derived from balance transactions, like the ledger it is reconciled against. */
export function computeBalance(ctx: Ctx): Stripe.Balance {
  const available: Sums = new Map();
  const pending: Sums = new Map();
  for (const bt of ctx.state.balanceTransactions.values()) add(bt.status === 'available' ? available : pending, bt.currency, bt.net);
  for (const c of new Set([...available.keys(), ...pending.keys(), 'usd'])) {
    if (!available.has(c)) available.set(c, 0);
    if (!pending.has(c)) pending.set(c, 0);
  }
  return { object: 'balance', available: toList(available), livemode: false, pending: toList(pending) };
}

// Stripe settles card payments after a few days; tests and the demo say when instead.
export function makeFundsAvailable(ctx: Ctx): number {
  const at = nowSeconds();
  let moved = 0;
  for (const bt of ctx.state.balanceTransactions.values()) {
    if (bt.status !== 'pending') continue;
    bt.status = 'available';
    bt.available_on = Math.min(bt.available_on, at);
    moved++;
  }
  if (moved > 0) {
    ctx.emit('balance.available', computeBalance(ctx), { origin: AUTOMATIC, created: at });
    ctx.changed();
  }
  return moved;
}

export interface PayoutArgs {
  amount: number;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
}

// A manual payout from the available balance. It claims the available transactions not yet paid
// out in its currency, so `GET /v1/balance_transactions?payout=po_…` lists what it paid.
export function createPayout(ctx: Ctx, a: PayoutArgs, origin: Origin): Stripe.Payout {
  if (a.amount < 1) throw invalidRequest('Invalid positive integer', 'amount', 'parameter_invalid_integer');
  const available = computeBalance(ctx).available.find((b) => b.currency === a.currency)?.amount ?? 0;
  if (a.amount > available) {
    throw invalidRequest(
      'You have insufficient funds in your Stripe account for this transfer. Your card balance is too low.',
      'amount',
      'balance_insufficient',
    );
  }
  const at = nowSeconds();
  const payout = buildPayout({ ...a, created: at });
  for (const bt of ctx.state.balanceTransactions.values()) {
    if (bt.currency === a.currency && bt.status === 'available' && bt.type !== 'payout' && !ctx.state.btPayout.has(bt.id)) {
      ctx.state.btPayout.set(bt.id, payout.id);
    }
  }
  const bt = buildBalanceTransaction({
    amount: -a.amount, fee: 0, feeDescription: '', currency: a.currency, type: 'payout', reportingCategory: 'payout',
    source: payout.id, description: a.description ?? 'STRIPE PAYOUT', created: at, pending: false,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  ctx.state.btPayout.set(bt.id, payout.id);
  payout.balance_transaction = bt.id;
  ctx.state.payouts.set(payout.id, payout);
  ctx.emit('payout.created', payout, { origin, created: at });
  ctx.changed();
  return payout;
}

// A canceled or failed payout paid nothing out: the transactions it claimed go back to the pool the
// next payout claims from, as Stripe includes the returned funds in a later payout. It keeps only
// its own payout transaction and the one that returned its amount, which net to zero.
function releaseClaims(ctx: Ctx, payout: Stripe.Payout, returned: Stripe.BalanceTransaction): void {
  for (const [btId, payoutId] of ctx.state.btPayout) {
    if (payoutId === payout.id && btId !== payout.balance_transaction) ctx.state.btPayout.delete(btId);
  }
  ctx.state.btPayout.set(returned.id, payout.id);
}

/** Marks every pending payout as arrived at the bank. */
export function payPayouts(ctx: Ctx): Stripe.Payout[] {
  const paid: Stripe.Payout[] = [];
  for (const payout of ctx.state.payouts.values()) {
    if (payout.status !== 'pending' && payout.status !== 'in_transit') continue;
    const previous = { status: payout.status };
    payout.status = 'paid';
    payout.arrival_date = Math.min(payout.arrival_date, nowSeconds());
    ctx.emit('payout.updated', payout, { origin: AUTOMATIC, previous });
    ctx.emit('payout.paid', payout, { origin: AUTOMATIC });
    paid.push(payout);
  }
  if (paid.length > 0) ctx.changed();
  return paid;
}

/**
 * `POST /v1/payouts/:id/cancel`: Stripe cancels a manual payout only while it is pending, and puts
 * its amount back in the available balance as a `payout_cancel` balance transaction, which the
 * payout names as its `failure_balance_transaction` (with no failure code: nothing failed).
 */
export function cancelPayout(ctx: Ctx, payoutId: string, origin: Origin): Stripe.Payout {
  const payout = ctx.state.payouts.get(payoutId);
  if (!payout) throw resourceMissing('payout', payoutId);
  if (payout.automatic) throw invalidRequest(`Payout ${payoutId} is an automatic payout: automatic payouts cannot be canceled.`);
  if (payout.status !== 'pending') throw invalidRequest(`Payout ${payoutId} is ${payout.status}: only a pending payout can be canceled.`);
  const at = nowSeconds();
  const bt = buildBalanceTransaction({
    amount: payout.amount, fee: 0, feeDescription: '', currency: payout.currency, type: 'payout_cancel', reportingCategory: 'payout_reversal',
    source: payout.id, description: `Cancellation of payout ${payout.id}`, created: at, pending: false,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  releaseClaims(ctx, payout, bt);
  const previous = { status: payout.status, failure_balance_transaction: null };
  payout.status = 'canceled';
  payout.failure_balance_transaction = bt.id;
  ctx.emit('payout.updated', payout, { origin, created: at, previous });
  ctx.emit('payout.canceled', payout, { origin, created: at });
  ctx.changed();
  return payout;
}

/** Why a bank refuses a payout, as Stripe reports it (a few of its documented failure codes). */
export const payoutFailures = {
  account_closed: 'The bank account has been closed.',
  no_account: 'The bank account details on file are probably incorrect. No bank account could be located with those details.',
  account_frozen: 'The bank account has been frozen.',
} as const;
export type PayoutFailureCode = keyof typeof payoutFailures;

/**
 * The bank returns a payout, before or after it was marked paid (Stripe: up to a few business days
 * after): the payout fails and its amount comes back to the available balance as a
 * `payout_failure` balance transaction.
 */
export function failPayout(ctx: Ctx, payoutId: string, code: PayoutFailureCode = 'account_closed'): Stripe.Payout {
  const payout = ctx.state.payouts.get(payoutId);
  if (!payout) throw resourceMissing('payout', payoutId);
  if (payout.status === 'failed' || payout.status === 'canceled') {
    throw invalidRequest(`Payout ${payoutId} is already ${payout.status}.`, undefined, 'payout_not_failable');
  }
  const at = nowSeconds();
  const bt = buildBalanceTransaction({
    amount: payout.amount, fee: 0, feeDescription: '', currency: payout.currency, type: 'payout_failure', reportingCategory: 'payout_reversal',
    source: payout.id, description: payoutFailures[code], created: at, pending: false,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  releaseClaims(ctx, payout, bt);
  const previous = { status: payout.status, failure_code: null, failure_message: null, failure_balance_transaction: null };
  payout.status = 'failed';
  payout.failure_code = code;
  payout.failure_message = payoutFailures[code];
  payout.failure_balance_transaction = bt.id;
  ctx.emit('payout.updated', payout, { origin: AUTOMATIC, created: at, previous });
  ctx.emit('payout.failed', payout, { origin: AUTOMATIC, created: at });
  ctx.changed();
  return payout;
}
