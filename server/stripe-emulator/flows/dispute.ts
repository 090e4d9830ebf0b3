import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx, type Origin } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { disputeFee } from '../fees';
import { settleAmount } from '../fx';
import { nowSeconds } from '../ids';
import { buildDispute } from '../objects/dispute';
import { buildBalanceTransaction } from '../objects/payment';

/**
 * A 4000 0000 0000 0259 payment is disputed `disputeAfterMs` later, a 4000 0000 0000 1976 one
 * questioned (an inquiry), unless a test opens it first.
 */
export function scheduleDispute(ctx: Ctx, chargeId: string, behaviour: 'dispute' | 'inquiry' = 'dispute'): void {
  if (ctx.disputeAfterMs === null) return;
  ctx.later(ctx.disputeAfterMs, () => {
    const charge = ctx.state.charges.get(chargeId);
    if (charge && !charge.disputed) openDispute(ctx, chargeId, { inquiry: behaviour === 'inquiry' });
  });
}

const isInquiry = (d: Stripe.Dispute) => d.status.startsWith('warning_');
const disputesOf = (ctx: Ctx, chargeId: string) => [...ctx.state.disputes.values()].filter((d) => d.charge === chargeId);

/**
 * Whether a refund of the charge is still allowed: not while it is charged back, but during an
 * inquiry (Stripe: refunding then stops the inquiry from withdrawing anything).
 */
export function refundableDespiteDispute(ctx: Ctx, charge: Stripe.Charge): boolean {
  return !charge.disputed || disputesOf(ctx, charge.id).every(isInquiry);
}

/**
 * Opening a dispute withdraws the amount plus the dispute fee at once (one `adjustment`). An
 * inquiry (a bank asking about the payment first) withdraws nothing until it is escalated.
 */
export function openDispute(ctx: Ctx, chargeId: string, opts: { inquiry?: boolean } = {}): Stripe.Dispute {
  const charge = ctx.state.charges.get(chargeId);
  if (!charge) throw resourceMissing('charge', chargeId, 'charge');
  if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${chargeId} did not succeed, so it cannot be disputed.`, 'charge');
  // A bank may still charge back a payment whose inquiry it closed.
  if (charge.disputed && !disputesOf(ctx, chargeId).every((d) => d.status === 'warning_closed')) {
    throw invalidRequest(`Charge ${chargeId} is already disputed.`, 'charge', 'charge_disputed');
  }
  const at = nowSeconds();
  const dispute = buildDispute(charge, at);
  ctx.state.disputes.set(dispute.id, dispute);
  charge.disputed = true;
  if (opts.inquiry) {
    dispute.status = 'warning_needs_response';
    dispute.is_charge_refundable = true;
    ctx.emit('charge.dispute.created', dispute, { origin: AUTOMATIC, created: at });
  } else {
    withdraw(ctx, dispute, at);
    ctx.emit('charge.dispute.created', dispute, { origin: AUTOMATIC, created: at });
    ctx.emit('charge.dispute.funds_withdrawn', dispute, { origin: AUTOMATIC, created: at });
  }
  ctx.changed();
  return dispute;
}

/** The inquiry becomes a chargeback: the amount and the dispute fee are withdrawn now. */
export function escalateInquiry(ctx: Ctx, disputeId: string): Stripe.Dispute {
  const dispute = ctx.state.disputes.get(disputeId);
  if (!dispute) throw resourceMissing('dispute', disputeId);
  if (dispute.status !== 'warning_needs_response' && dispute.status !== 'warning_under_review') {
    throw invalidRequest(`Dispute ${disputeId} is not an open inquiry.`);
  }
  // Stripe: once the payment is fully refunded, the dispute withdraws nothing more.
  const charge = ctx.state.charges.get(String(dispute.charge));
  if (charge && charge.amount_refunded >= charge.amount) {
    throw invalidRequest(`Charge ${charge.id} was fully refunded during the inquiry: there is nothing left to withdraw.`, undefined, 'charge_already_refunded');
  }
  const at = nowSeconds();
  const previous = { status: dispute.status, is_charge_refundable: true };
  dispute.status = 'needs_response';
  dispute.is_charge_refundable = false;
  withdraw(ctx, dispute, at);
  ctx.emit('charge.dispute.updated', dispute, { origin: AUTOMATIC, created: at, previous });
  ctx.emit('charge.dispute.funds_withdrawn', dispute, { origin: AUTOMATIC, created: at });
  ctx.changed();
  return dispute;
}

/**
 * A lost chargeback appealed (the card network's appeal stage): it awaits the appeal's evidence,
 * then closes won (the amount reinstated) or lost again (nothing more moves).
 */
export function appealDispute(ctx: Ctx, disputeId: string): Stripe.Dispute {
  const dispute = ctx.state.disputes.get(disputeId);
  if (!dispute) throw resourceMissing('dispute', disputeId);
  if (dispute.status !== 'lost') throw invalidRequest(`Dispute ${disputeId} is not lost: only a lost chargeback is appealed.`);
  const at = nowSeconds();
  const previous = { status: dispute.status };
  dispute.status = 'appeal_needs_response';
  ctx.emit('charge.dispute.updated', dispute, { origin: AUTOMATIC, created: at, previous });
  ctx.changed();
  return dispute;
}

/** The withdrawal and its fee, booked in the settlement currency like the charge was. */
function withdraw(ctx: Ctx, dispute: Stripe.Dispute, at: number): void {
  const settled = settleAmount(ctx.settlementCurrency, -dispute.amount, dispute.currency);
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
    description: `Chargeback withdrawal for ${String(dispute.charge)}`,
    created: at,
    pending: false,
  });
  ctx.state.balanceTransactions.set(bt.id, bt);
  dispute.balance_transactions = [structuredClone(bt)];
}

/**
 * `POST /v1/disputes/:id` with evidence: staged while `submit` is false, else sent to the bank, and
 * the dispute (or inquiry) is then under review. Stripe refuses evidence once it was submitted
 * or the dispute closed.
 */
export function updateDisputeEvidence(ctx: Ctx, disputeId: string, update: { evidence: Record<string, string>; metadata?: Record<string, string>; submit: boolean }, origin: Origin): Stripe.Dispute {
  const { evidence, submit } = update;
  const dispute = ctx.state.disputes.get(disputeId);
  if (!dispute) throw resourceMissing('dispute', disputeId);
  if (dispute.status !== 'needs_response' && dispute.status !== 'warning_needs_response') {
    throw invalidRequest(`This dispute is ${dispute.status}: its evidence can no longer be updated.`);
  }
  const unknown = Object.keys(evidence).find((k) => !(k in dispute.evidence) || k === 'enhanced_evidence');
  if (unknown) throw invalidRequest(`Received unknown parameter: evidence[${unknown}]`, `evidence[${unknown}]`, 'parameter_unknown');
  const changed = submit || Object.entries(evidence).some(([k, v]) => (dispute.evidence as unknown as Record<string, unknown>)[k] !== v) || update.metadata !== undefined;
  // Nothing new: Stripe answers with the dispute as it is and sends no event.
  if (!changed) return dispute;
  const at = nowSeconds();
  const previous = { status: dispute.status, evidence_details: structuredClone(dispute.evidence_details) };
  Object.assign(dispute.evidence, evidence);
  if (update.metadata) {
    // As Stripe: an empty value unsets its key.
    for (const [k, v] of Object.entries(update.metadata)) {
      if (v === '') delete dispute.metadata[k];
      else dispute.metadata[k] = v;
    }
  }
  dispute.evidence_details.has_evidence = Object.values(dispute.evidence).some((v) => typeof v === 'string' && v.length > 0);
  if (submit) {
    dispute.status = dispute.status === 'needs_response' ? 'under_review' : 'warning_under_review';
    dispute.evidence_details.submission_count += 1;
    dispute.evidence_details.submission_method = 'manual';
  }
  ctx.emit('charge.dispute.updated', dispute, { origin, created: at, previous });
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
// An inquiry closes as warning_closed, with nothing withdrawn and nothing to give back.
export function closeDispute(ctx: Ctx, disputeId: string, status: 'won' | 'lost' | 'warning_closed', opts: CloseDisputeOptions = {}): Stripe.Dispute {
  const dispute = ctx.state.disputes.get(disputeId);
  if (!dispute) throw resourceMissing('dispute', disputeId);
  if (dispute.status === 'won' || dispute.status === 'lost' || dispute.status === 'warning_closed') throw invalidRequest(`Dispute ${disputeId} is already closed.`);
  if (isInquiry(dispute) !== (status === 'warning_closed')) {
    throw invalidRequest(isInquiry(dispute) ? `Dispute ${disputeId} is an inquiry: it closes as warning_closed, or is escalated first.` : `Dispute ${disputeId} is not an inquiry: it closes as won or lost.`);
  }
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
