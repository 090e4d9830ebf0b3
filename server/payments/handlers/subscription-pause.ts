import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Tx } from '../../../db/client';
import { notOlderThanKept } from './said-at';
import { donations, type Donation } from '../../../db/schema/index';
import { pauseFieldsOf } from '../collection-pause';

/** Whether a subscription update paused or resumed collection, or moved when a pause ends (a renewal names none of it). */
export const changesPause = (previous: Record<string, unknown>) => 'pause_collection' in previous;

/**
 * A monthly gift's collection paused (its donor here, a treasurer in Stripe's Dashboard), resumed
 * (either of them), or resumed by Stripe itself at the pause's `resumes_at`. The gift's first
 * donation keeps the pause, from the event's own subscription: the pause is all in it, so there
 * is nothing to ask Stripe. Only one Stripe made after the last one kept counts (they arrive in
 * any order and more than once). Once collection resumes, the next charge is the subscription's
 * current period end, which the voided renewals moved on without a paid invoice to say so; it
 * only moves forward, as a paid invoice moves it. Nothing is charged: the ledger does not move.
 */
export function pauseAsStripeSaid(event: Stripe.Event, sub: Stripe.Subscription, donation: Donation): (tx: Tx) => Promise<void> {
  const fields = pauseFieldsOf(sub);
  const saidAt = new Date(event.created * 1000);
  return async (tx) => {
    await tx
      .update(donations)
      .set({ ...fields, pauseSaidAt: saidAt })
      .where(and(eq(donations.id, donation.id), notOlderThanKept(donations.pauseSaidAt, saidAt)));
  };
}
