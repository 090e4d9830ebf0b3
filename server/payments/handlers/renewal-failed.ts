import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { donations, outboxEmails } from '../../../db/schema/index';
import { fromStripeAmount } from '../../ledger/money';
import { accountPageUrl, appealTitleIn } from '../donations-store';
import { afterLastTryOf, renewalFailedEmail } from '../renewal-failed-mail';
import type { Handler } from './types';

/**
 * A monthly gift's renewal was declined (invoice.payment_failed): no money moved, so no posting.
 * The gift's first donation records when the attempt failed and when Stripe tries next, which the
 * donor's page shows with a way to update the card, and the donor gets one mail per invoice.
 *
 * Events arrive in any order and more than once. A failure counts only if it is newer than the one
 * recorded and no payment of the gift was taken at or after it (a retry that succeeded, or the next
 * renewal): an old failure arriving late must not mark a healthy gift as failing. A payment taken
 * after the failure clears it (gift-batch.ts). Both rules are checked in SQL on the locked row.
 */
export const invoicePaymentFailed: Handler = async (event, deps) => {
  const invoice = event.data.object as Stripe.Invoice;
  const details = invoice.parent?.subscription_details;
  const gift = await deps.donation(details?.metadata?.donation_id);
  if (!gift || gift.frequency !== 'monthly' || gift.parentDonationId !== null || !invoice.id) return { ignore: 'invoice is not for one of our monthly gifts' };
  if (gift.subscriptionId !== null && gift.subscriptionId !== details?.subscription) return { ignore: "subscription is not this gift's" };
  // The first payment fails on the checkout page, in front of the donor: nothing to tell them.
  if (invoice.billing_reason !== 'subscription_cycle') return { ignore: `not a renewal (${invoice.billing_reason ?? 'no billing reason'})` };
  const failedAt = new Date(event.created * 1000);
  const nextAttemptAt = invoice.next_payment_attempt ? new Date(invoice.next_payment_attempt * 1000) : null;
  const currency = invoice.currency.toUpperCase();
  // Read whether or not a mail is written: an amount the ledger cannot hold parks the event either way.
  const amountMinor = fromStripeAmount(invoice.amount_due, currency);
  // The event does not say what Stripe's last try did to the subscription (the account's setting
  // does: cancel it, mark it unpaid or leave it past due); the subscription itself does.
  const subscriptionId = typeof details?.subscription === 'string' ? details.subscription : details?.subscription?.id;
  const afterLastTry = nextAttemptAt || !subscriptionId ? undefined : afterLastTryOf((await deps.stripe.subscriptions.retrieve(subscriptionId)).status);
  const appeal = await deps.appealOf(gift.appealId);
  // Paid again since (a new card after the last try): the page and the payment say so, no mail does.
  const mail = afterLastTry === null ? null : renewalFailedEmail(gift, {
    invoiceId: invoice.id,
    amountMinor,
    currency,
    appealTitle: appealTitleIn(appeal, gift.locale),
    nextAttemptAt,
    afterLastTry,
    accountUrl: accountPageUrl(deps.publicUrl),
  });
  return {
    donationId: gift.id,
    postings: [],
    apply: async (tx) => {
      const at = failedAt.toISOString();
      const marked = await tx
        .update(donations)
        .set({ renewalFailedAt: failedAt, renewalFailedInvoiceId: invoice.id, renewalNextAttemptAt: nextAttemptAt })
        .where(
          and(
            eq(donations.id, gift.id),
            // A gift ended meanwhile (the donor, a treasurer) has nothing left to retry: a failure
            // that says Stripe will try again is not news. Stripe's own last try still counts.
            nextAttemptAt ? isNull(donations.subscriptionCanceledAt) : undefined,
            or(isNull(donations.renewalFailedAt), lt(donations.renewalFailedAt, failedAt)),
            sql`NOT EXISTS (SELECT 1 FROM donations paid WHERE (paid.id = ${gift.id} OR paid.parent_donation_id = ${gift.id}) AND paid.succeeded_at >= ${at}::timestamptz)`,
          ),
        )
        .returning({ id: donations.id });
      if (marked.length > 0 && mail) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
    },
  };
};
