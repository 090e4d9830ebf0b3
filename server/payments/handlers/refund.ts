import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { donations } from '../../../db/schema/index';
import { fromStripeAmount } from '../../ledger/money';
import { accountIds, chart } from '../chart';
import { addRefunded, donationByCharge, refundedStatus } from '../donations-store';
import { idOf } from './amounts';
import { RetryLater, type Handler } from './types';

/**
 * A refund (full or partial). Posting: debit appeal:<id>, credit stripe:available, the amount
 * refunded. Stripe keeps its original fee, so the appeal's net falls by the whole refund.
 */
export const refundCreated: Handler = async (event, deps) => {
  const refund = event.data.object as Stripe.Refund;
  if (refund.status === 'failed' || refund.status === 'canceled') return { ignore: `refund ${refund.status}` };
  const donation = await donationByCharge(deps.db, idOf(refund.charge));
  if (!donation) {
    // Order-independence: the refund waits until its gift is posted (or is not ours at all).
    if (refund.metadata?.donation_id || refund.payment_intent) throw new RetryLater(`gift for refund ${refund.id} not posted yet`);
    return { ignore: 'refund of a charge that is not one of our donations' };
  }
  const currency = refund.currency.toUpperCase();
  const amountMinor = fromStripeAmount(refund.amount, currency);
  const appeal = await deps.appealOf(donation.appealId);
  const [appealAccount, available] = await accountIds(deps.db, [
    chart.appeal(appeal.id, currency, appeal.organizationId),
    chart.stripeAvailable(currency),
  ]);
  return {
    postings: [
      {
        idempotencyKey: `stripe:${refund.id}:refund`,
        kind: 'refund',
        description: `Refund of a gift to ${appeal.slug}`,
        metadata: { donationId: donation.id, refundId: refund.id },
        entries: [
          { accountId: appealAccount!, amountMinor },
          { accountId: available!, amountMinor: -amountMinor },
        ],
      },
    ],
    apply: async (tx, [created], batch) => {
      if (!created) return;
      const [row] = await tx.update(donations).set({ refundedMinor: addRefunded(amountMinor) }).where(eq(donations.id, donation.id)).returning();
      if (row!.status !== 'disputed') await tx.update(donations).set({ status: refundedStatus(row!, row!.refundedMinor) }).where(eq(donations.id, donation.id));
      batch.progress.add({ appealId: appeal.id, grossMinor: -amountMinor, netMinor: -amountMinor, gifts: 0 });
    },
  };
};
