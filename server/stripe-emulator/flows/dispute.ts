import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { disputeFee } from '../fees';
import { settleAmount } from '../fx';
import { nowSeconds } from '../ids';
import { buildDispute } from '../objects/dispute';
import { buildBalanceTransaction } from '../objects/payment';

/** A 4000 0000 0000 0259 payment is disputed `disputeAfterMs` later, unless a test opens it first. */
export function scheduleDispute(ctx: Ctx, chargeId: string): void {
  if (ctx.disputeAfterMs === null) return;
  ctx.later(ctx.disputeAfterMs, () => {
    const charge = ctx.state.charges.get(chargeId);
    if (charge && !charge.disputed) openDispute(ctx, chargeId);
  });
}

// Opening a dispute withdraws the amount plus the dispute fee at once (one `adjustment`).
export function openDispute(ctx: Ctx, chargeId: string): Stripe.Dispute {
  const charge = ctx.state.charges.get(chargeId);
  if (!charge) throw resourceMissing('charge', chargeId, 'charge');
  if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${chargeId} did not succeed, so it cannot be disputed.`, 'charge');
  if (charge.disputed) throw invalidRequest(`Charge ${chargeId} is already disputed.`, 'charge', 'charge_disputed');
  const at = nowSeconds();
  const dispute = buildDispute(charge, at);
  // The withdrawal and its fee are booked in the settlement currency, like the charge was.
  const settled = settleAmount(ctx.settlementCurrency, -charge.amount, charge.currency);
  const fee = disputeFee(ctx.fees, settled.currency);
  const bt = buildBalanceTransaction({
    amount: settled.amount,
    fee,
    feeDescription: 'Dispute fee',
    currency: settled.currency,
    exchangeRate: settled.exchangeRate,
    type: 'adjustment',
    reportingCategory: 'dispute',
    source: dispute.id,
    description: `Chargeback withdrawal for ${charge.id}`,
    created: at,
    pending: false,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  dispute.balance_transactions = [structuredClone(bt)];
  ctx.state.disputes.set(dispute.id, dispute);
  charge.disputed = true;
  ctx.emit('charge.dispute.created', dispute, { origin: AUTOMATIC, created: at });
  ctx.emit('charge.dispute.funds_withdrawn', dispute, { origin: AUTOMATIC, created: at });
  ctx.changed();
  return dispute;
}

export interface CloseDisputeOptions {
  /**
   * Whether winning returns the dispute fee (default true). Stripe returns it or not depending on
   * the network and the account's pricing; when it does, the reinstating adjustment carries it as
   * a negative fee.
   */
  feeReturned?: boolean;
}

// Won: the amount (and, unless told otherwise, the dispute fee) come back in a second adjustment.
// Lost: nothing more moves.
export function closeDispute(ctx: Ctx, disputeId: string, status: 'won' | 'lost', opts: CloseDisputeOptions = {}): Stripe.Dispute {
  const dispute = ctx.state.disputes.get(disputeId);
  if (!dispute) throw resourceMissing('dispute', disputeId);
  if (dispute.status === 'won' || dispute.status === 'lost') throw invalidRequest(`Dispute ${disputeId} is already closed.`);
  const at = nowSeconds();
  const previous = { status: dispute.status };
  dispute.status = status;
  if (status === 'won') {
    const withdrawn = dispute.balance_transactions[0];
    const settled = settleAmount(ctx.settlementCurrency, dispute.amount, dispute.currency);
    const bt = buildBalanceTransaction({
      amount: settled.amount,
      fee: opts.feeReturned === false ? 0 : -(withdrawn?.fee ?? 0),
      feeDescription: 'Dispute fee refund',
      currency: settled.currency,
      exchangeRate: settled.exchangeRate,
      type: 'adjustment',
      reportingCategory: 'dispute_reversal',
      source: dispute.id,
      description: `Chargeback reversal for ${String(dispute.charge)}`,
      created: at,
      pending: false,
    });
    ctx.state.balanceTransactions.set(bt.id, bt);
    dispute.balance_transactions.push(structuredClone(bt));
    ctx.emit('charge.dispute.funds_reinstated', dispute, { origin: AUTOMATIC, created: at });
  }
  ctx.emit('charge.dispute.closed', dispute, { origin: AUTOMATIC, created: at, previous });
  ctx.changed();
  return dispute;
}
