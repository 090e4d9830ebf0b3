import type Stripe from 'stripe';
import type { Db } from '../../db/client';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { ownMonthlyGift } from './service';

/**
 * A Stripe customer portal session for one of the signed-in donor's own monthly gifts, where they
 * type a new card (and Stripe pays what is past due with it), coming back to `returnUrl`. The
 * customer is read from the gift's subscription at Stripe: the gift is the donor's only if given
 * with the address they signed in with, and a portal opens only that subscription's customer.
 * The portal opens on its card form (a `payment_method_update` flow): once a card is saved Stripe
 * sends the donor to `savedUrl`, and its "return" link to `returnUrl`, so the page they land on
 * can say a card was saved (and that the unpaid renewal is being charged) without guessing.
 */
export async function openCardPortal(deps: { db: Db; stripe: Stripe }, viewer: Viewer, donationId: string, urls: { returnUrl: string; savedUrl: string }, requestId: string): Promise<{ url: string }> {
  const gift = await ownMonthlyGift(deps.db, viewer, donationId);
  const sub = gift.d.subscriptionCanceledAt ? null : await deps.stripe.subscriptions.retrieve(gift.subscriptionId);
  if (!sub || sub.status === 'canceled') throw new AppError(409, 'monthly_gift_ended', 'This monthly gift has ended: there is no card to update.');
  const customer = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
  // Each press is a new session (links are short-lived); the key makes a retried request one session.
  const session = await deps.stripe.billingPortal.sessions.create(
    {
      customer,
      return_url: urls.returnUrl,
      flow_data: { type: 'payment_method_update', after_completion: { type: 'redirect', redirect: { return_url: urls.savedUrl } } },
    },
    { idempotencyKey: `card-portal:${donationId}:${requestId}` },
  );
  return { url: session.url };
}
