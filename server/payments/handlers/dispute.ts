import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { queryRows } from '../../../db/client';
import { donations } from '../../../db/schema/index';
import { sql } from 'drizzle-orm';
import { fromStripeAmount } from '../../ledger/money';
import { accountIds, chart } from '../chart';
import { donationByCharge } from '../donations-store';
import { idOf } from './amounts';
import { RetryLater, type Handler } from './types';

/**
 * Dispute opened: Stripe withdraws the amount and its dispute fee. Posting: debit disputes:open
 * (the amount, held pending the outcome), debit disputes:lost (the fee), credit stripe:available.
 */
export const disputeCreated: Handler = async (event, deps) => {
  const dispute = event.data.object as Stripe.Dispute;
  const donation = await donationByCharge(deps.db, idOf(dispute.charge));
  if (!donation) throw new RetryLater(`gift for dispute ${dispute.id} not posted yet`);
  const currency = dispute.currency.toUpperCase();
  const amountMinor = fromStripeAmount(dispute.amount, currency);
  const feeMinor = fromStripeAmount(dispute.balance_transactions.reduce((sum, bt) => sum + bt.fee, 0), currency);
  const [open, lost, available] = await accountIds(deps.db, [chart.disputesOpen(currency), chart.disputesLost(currency), chart.stripeAvailable(currency)]);
  return {
    postings: [
      {
        idempotencyKey: `stripe:${dispute.id}:dispute_opened`,
        kind: 'dispute_opened',
        metadata: { donationId: donation.id, disputeId: dispute.id },
        entries: [
          { accountId: open!, amountMinor },
          { accountId: lost!, amountMinor: feeMinor },
          { accountId: available!, amountMinor: -(amountMinor + feeMinor) },
        ].filter((e) => e.amountMinor !== 0n),
      },
    ],
    apply: async (tx, [created], batch) => {
      if (created) await tx.update(donations).set({ status: 'disputed' }).where(eq(donations.id, donation.id));
    },
  };
};

/**
 * Dispute closed. Won: Stripe reinstates the amount (debit stripe:available, credit
 * disputes:open). Lost: the gift is gone from the appeal (debit appeal:<id>, credit disputes:open).
 */
export const disputeClosed: Handler = async (event, deps) => {
  const dispute = event.data.object as Stripe.Dispute;
  if (dispute.status !== 'won' && dispute.status !== 'lost') return { ignore: `dispute ${dispute.status}` };
  const opened = await queryRows(deps.db, sql`SELECT 1 FROM ledger_transactions WHERE idempotency_key = ${`stripe:${dispute.id}:dispute_opened`}`);
  if (opened.length === 0) throw new RetryLater(`dispute ${dispute.id} closed before it was posted as opened`);
  const donation = (await donationByCharge(deps.db, idOf(dispute.charge)))!;
  const currency = dispute.currency.toUpperCase();
  const amountMinor = fromStripeAmount(dispute.amount, currency);
  const appeal = await deps.appealOf(donation.appealId);
  const [open, available, appealAccount] = await accountIds(deps.db, [
    chart.disputesOpen(currency),
    chart.stripeAvailable(currency),
    chart.appeal(appeal.id, currency, appeal.organizationId),
  ]);
  const won = dispute.status === 'won';
  return {
    postings: [
      {
        idempotencyKey: `stripe:${dispute.id}:dispute_${dispute.status}`,
        kind: `dispute_${dispute.status}`,
        metadata: { donationId: donation.id, disputeId: dispute.id },
        entries: [
          { accountId: won ? available! : appealAccount!, amountMinor },
          { accountId: open!, amountMinor: -amountMinor },
        ],
      },
    ],
    apply: async (tx, [created], batch) => {
      if (!created) return;
      if (won) {
        await tx.update(donations).set({ status: donation.refundedMinor > 0n ? 'partially_refunded' : 'succeeded' }).where(eq(donations.id, donation.id));
      } else {
        batch.progress.add({ appealId: appeal.id, grossMinor: -amountMinor, netMinor: -amountMinor, gifts: 0 });
      }
    },
  };
};
