import { and, eq, isNull, lte, or } from 'drizzle-orm';
import type Stripe from 'stripe';
import { donations } from '../../../db/schema/index';
import { isStorableTime } from '../../storable-time';
import { monthlyGiftOf } from './ended';
import { NeedsTreasurer, requireObjectId, type Handler } from './types';

/**
 * A monthly gift set to end on a day to come (a treasurer's "cancel at period end" in Stripe's
 * Dashboard, at the donor's word), or set to go on after all. Its first donation keeps that day,
 * so the donor's page says when it ends rather than naming a charge that will not come. Only an
 * update that changed when it ends counts (a renewal updates the subscription every month), and
 * only one Stripe made after the last one kept: they arrive in any order. The end itself comes as
 * customer.subscription.deleted.
 */
export const subscriptionUpdated: Handler = async (event, deps) => {
  requireObjectId(event, 'subscription');
  const previous = (event.data.previous_attributes ?? {}) as Partial<Stripe.Subscription>;
  if (!('cancel_at' in previous) && !('cancel_at_period_end' in previous)) return { ignore: 'subscription update that does not change when it ends' };
  const sub = event.data.object as Stripe.Subscription;
  const donation = await monthlyGiftOf(sub, deps);
  if ('ignore' in donation) return donation;
  const endsAtMs = typeof sub.cancel_at === 'number' ? sub.cancel_at * 1000 : null;
  if (endsAtMs !== null && !isStorableTime(endsAtMs)) throw new NeedsTreasurer(`subscription ${sub.id} ends at ${sub.cancel_at}, which is no time this app can keep`);
  const saidAt = new Date(event.created * 1000);
  return {
    donationId: donation.id,
    postings: [],
    apply: async (tx) => {
      await tx
        .update(donations)
        .set({ subscriptionEndsAt: endsAtMs === null ? null : new Date(endsAtMs), subscriptionEndsSaidAt: saidAt })
        .where(and(eq(donations.id, donation.id), or(isNull(donations.subscriptionEndsSaidAt), lte(donations.subscriptionEndsSaidAt, saidAt))));
    },
  };
};
