import { and, eq, isNull, or } from 'drizzle-orm';
import type Stripe from 'stripe';
import { donations, outboxEmails, type Donation } from '../../../db/schema/index';
import { appealTitleIn, giftFailedEmail, type AppealWithTitles } from '../donations-store';
import { monthlyEndEmail } from '../monthly-end-mail';
import { requireObjectId, type Handler, type HandlerDeps } from './types';
import { isStorableSeconds } from '../../storable-time';
import type { Db, Tx } from '../../../db/client';

type OutboxMail = NonNullable<ReturnType<typeof giftFailedEmail>>;

/*
 * Gifts that end without money moving, so no ledger posting: a checkout that expired unpaid, a
 * delayed payment (SEPA, ACH: the session completed unpaid) that failed, and a monthly gift that
 * Stripe ended (a treasurer in Stripe's dashboard, or Stripe after renewals kept failing). Without
 * these a donation would stay "pending", or a monthly gift "active", for good.
 */

/**
 * The donation a Checkout Session was made for, unless the session is not ours or not its own.
 * Only a status change asks the session to be the gift's own: a paid session posts whatever its
 * id (gift.ts), since money that arrived must reach the ledger.
 */
async function sessionDonation(deps: HandlerDeps, session: Stripe.Checkout.Session): Promise<Donation | undefined> {
  const donation = await deps.donation(session.metadata?.donation_id);
  // A gift whose session id was never recorded (the answer to its creation was lost) still counts.
  if (!donation || (donation.checkoutSessionId !== null && donation.checkoutSessionId !== session.id)) return undefined;
  return donation;
}

/**
 * Moves a pending donation whose checkout is `sessionId` (or was never recorded) to `status`;
 * answers whether it did. Guarded in SQL: the row locked at commit is the one that counts, not the
 * one read, so a gift paid meanwhile stays paid. The closing's job (closed-appeal-checkouts.ts) ends
 * the gifts whose session it expired through this too.
 */
export async function endPendingGiftOfSession(tx: Db | Tx, donationId: string, sessionId: string, status: 'canceled' | 'failed'): Promise<boolean> {
  const ended = await tx
    .update(donations)
    .set({ status })
    .where(and(eq(donations.id, donationId), eq(donations.status, 'pending'), or(isNull(donations.checkoutSessionId), eq(donations.checkoutSessionId, sessionId))))
    .returning({ id: donations.id });
  return ended.length > 0;
}

/**
 * A handler that moves the pending donation of the event's session to `status`; `tellDonor` also
 * mails the donor (in the same transaction, once, by the mail's dedupe key).
 */
function endsPendingGiftAs(status: 'canceled' | 'failed', tellDonor?: (donation: Donation, appeal: AppealWithTitles) => OutboxMail | null): Handler {
  return async (event, deps) => {
    requireObjectId(event, 'checkout session');
    const session = event.data.object as Stripe.Checkout.Session;
    const donation = await sessionDonation(deps, session);
    if (!donation) return { ignore: 'session is not one of our donations' };
    if (donation.status !== 'pending') return { ignore: `donation already ${donation.status}` };
    const mail = tellDonor?.(donation, await deps.appealOf(donation.appealId)) ?? null;
    return {
      donationId: donation.id,
      postings: [],
      apply: async (tx) => {
        const ended = await endPendingGiftOfSession(tx, donation.id, session.id, status);
        if (ended && mail) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
      },
    };
  };
}

/** The checkout expired unpaid (Stripe's 24 hours, or expired by us): the gift will never be paid. */
export const checkoutExpired = endsPendingGiftAs('canceled');

/** A delayed payment the donor started at checkout was refused by their bank: nothing was received. */
export const asyncPaymentFailed = endsPendingGiftAs('failed', (donation, appeal) => giftFailedEmail(donation, appealTitleIn(appeal, donation.locale)));

/**
 * The monthly gift a subscription is for: its first donation, which stands for it, or why the
 * subscription is none of ours. Its checkout may not be posted yet (events arrive in any order):
 * the donation's subscription id is then still unknown, and any subscription naming it is its own.
 */
export async function monthlyGiftOf(sub: Stripe.Subscription, deps: HandlerDeps): Promise<Donation | { ignore: string }> {
  const donation = await deps.donation(sub.metadata?.donation_id);
  if (!donation || donation.frequency !== 'monthly' || donation.parentDonationId !== null) return { ignore: 'subscription is not one of our monthly gifts' };
  if (donation.subscriptionId !== null && donation.subscriptionId !== sub.id) return { ignore: 'subscription is not this gift\'s' };
  return donation;
}

/**
 * A monthly gift's subscription ended at Stripe: its first donation, which stands for the monthly
 * gift, records when. One the donor ended here already has its time, which stays. When Stripe ended
 * it because every try to renew it failed, the donor is told, once.
 */
export const subscriptionDeleted: Handler = async (event, deps) => {
  requireObjectId(event, 'subscription');
  const sub = event.data.object as Stripe.Subscription;
  const donation = await monthlyGiftOf(sub, deps);
  if ('ignore' in donation) return donation;
  if (donation.subscriptionCanceledAt) return { ignore: 'monthly gift already ended' };
  // The first of Stripe's times that is one (a copy may carry none, or a value no date is): the
  // event's own time was checked as it came in.
  const endedAt = new Date(([sub.ended_at, sub.canceled_at].find(isStorableSeconds) ?? event.created) * 1000);
  const unpaid = sub.cancellation_details?.reason === 'payment_failed';
  const appeal = await deps.appealOf(donation.appealId);
  // Why it ended, when the donor was not the one to end it: failed renewals, or its appeal closed
  // (the closing's job may have ended it at Stripe and then failed to record it: the mail is still owed).
  const kind = unpaid ? 'renewal_ended' : appeal.status === 'closed' ? 'appeal_closed_ended' : null;
  const mail = kind ? monthlyEndEmail(kind, donation, { title: appealTitleIn(appeal, donation.locale), url: `${deps.publicUrl ?? ''}/appeals/${appeal.slug}` }) : null;
  return {
    donationId: donation.id,
    postings: [],
    apply: async (tx) => {
      const ended = await tx
        .update(donations)
        .set({ subscriptionCanceledAt: endedAt })
        .where(and(eq(donations.id, donation.id), isNull(donations.subscriptionCanceledAt), or(isNull(donations.subscriptionId), eq(donations.subscriptionId, sub.id))))
        .returning({ id: donations.id });
      if (ended.length > 0 && mail) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
    },
  };
};
