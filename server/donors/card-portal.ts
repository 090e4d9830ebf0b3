import { and, eq, isNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Db } from '../../db/client';
import { donations } from '../../db/schema/index';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { givenBy } from './service';

/**
 * A Stripe customer portal session for one of the signed-in donor's own monthly gifts, where they
 * type a new card (and Stripe pays what is past due with it), coming back to `returnUrl`. The
 * customer is read from the gift's subscription at Stripe: the gift is the donor's only if given
 * with the address they signed in with, and a portal opens only that subscription's customer.
 */
export async function openCardPortal(deps: { db: Db; stripe: Stripe }, viewer: Viewer, donationId: string, returnUrl: string, requestId: string): Promise<{ url: string }> {
  const [gift] = await deps.db
    .select({ subscriptionId: donations.subscriptionId, canceledAt: donations.subscriptionCanceledAt })
    .from(donations)
    .where(
      and(
        eq(donations.id, donationId),
        givenBy(viewer),
        eq(donations.frequency, 'monthly'),
        isNull(donations.parentDonationId),
      ),
    );
  // Someone else's gift answers exactly like a missing one: ids reveal nothing.
  if (!gift || !gift.subscriptionId) throw new AppError(404, 'monthly_gift_not_found', 'No monthly gift of yours by that id.');
  if (gift.canceledAt) throw new AppError(409, 'monthly_gift_ended', 'This monthly gift has ended: there is no card to update.');
  const sub = await deps.stripe.subscriptions.retrieve(gift.subscriptionId);
  if (sub.status === 'canceled') throw new AppError(409, 'monthly_gift_ended', 'This monthly gift has ended: there is no card to update.');
  const customer = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
  // Each press is a new session (links are short-lived); the key makes a retried request one session.
  const session = await deps.stripe.billingPortal.sessions.create({ customer, return_url: returnUrl }, { idempotencyKey: `card-portal:${donationId}:${requestId}` });
  return { url: session.url };
}
