import type Stripe from 'stripe';
import { monthlyGiftOf } from './ended';
import { changesEnd, endsAtPeriodEnd } from './ends-at-period-end';
import { amountAsStripeCharges, changesCharge } from './subscription-amount';
import { requireObjectId, type Handler } from './types';

/**
 * A monthly gift's subscription changed at Stripe: when it ends (ends-at-period-end.ts), what it
 * charges (subscription-amount.ts), or both in one update. Stripe also updates it on every renewal
 * and new card, which change neither: those are ignored without asking Stripe anything.
 */
export const subscriptionUpdated: Handler = async (event, deps) => {
  requireObjectId(event, 'subscription');
  const previous = (event.data.previous_attributes ?? {}) as Record<string, unknown>;
  const sub = event.data.object as Stripe.Subscription;
  const end = changesEnd(previous);
  const charge = changesCharge(previous, sub);
  if (!end && !charge) return { ignore: 'subscription update that changes neither when it ends nor what it charges' };
  const donation = await monthlyGiftOf(sub, deps);
  if ('ignore' in donation) return donation;
  const writes = [end ? endsAtPeriodEnd(event, sub, donation) : null, charge ? await amountAsStripeCharges(event, deps, donation) : null].filter((w) => w !== null);
  if (writes.length === 0) return { ignore: 'subscription has ended: its amount no longer renews' };
  return {
    donationId: donation.id,
    postings: [],
    apply: async (tx) => {
      for (const write of writes) await write(tx);
    },
  };
};
