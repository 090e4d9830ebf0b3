import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Tx } from '../../../db/client';
import { notOlderThanKept } from './said-at';
import { donations, type Donation } from '../../../db/schema/index';
import { isStorableTime } from '../../storable-time';
import { NeedsTreasurer } from './types';

/** Whether a subscription update changed when it ends (a renewal updates the subscription every month, and changes no end). */
export const changesEnd = (previous: Record<string, unknown>) => 'cancel_at' in previous || 'cancel_at_period_end' in previous;

/**
 * A monthly gift set to end on a day to come (a treasurer's "cancel at period end" in Stripe's
 * Dashboard, at the donor's word), or set to go on after all. Its first donation keeps that day,
 * so the donor's page says when it ends rather than naming a charge that will not come. Only one
 * Stripe made after the last one kept counts: they arrive in any order. The end itself comes as
 * customer.subscription.deleted.
 */
export function endsAtPeriodEnd(event: Stripe.Event, sub: Stripe.Subscription, donation: Donation): (tx: Tx) => Promise<void> {
  const endsAtMs = typeof sub.cancel_at === 'number' ? sub.cancel_at * 1000 : null;
  if (endsAtMs !== null && !isStorableTime(endsAtMs)) throw new NeedsTreasurer(`subscription ${sub.id} ends at ${sub.cancel_at}, which is no time this app can keep`);
  const saidAt = new Date(event.created * 1000);
  return async (tx) => {
    await tx
      .update(donations)
      .set({ subscriptionEndsAt: endsAtMs === null ? null : new Date(endsAtMs), subscriptionEndsSaidAt: saidAt })
      .where(and(eq(donations.id, donation.id), notOlderThanKept(donations.subscriptionEndsSaidAt, saidAt)));
  };
}
