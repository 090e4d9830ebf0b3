import type Stripe from 'stripe';
import { sql } from 'drizzle-orm';
import { donations, type Donation } from '../../db/schema/index';
import { periodBoundary, periodIndex, periodsMax } from '../billing-period';
import { isStorableSeconds } from '../storable-time';

/** What a monthly gift's first donation keeps of its subscription's pause_collection. */
export type PauseState = Pick<Donation, 'collectionPaused' | 'pausedUntil' | 'pausedNextChargeAt'>;

const notPaused: PauseState = { collectionPaused: false, pausedUntil: null, pausedNextChargeAt: null };

/**
 * The `n`-th period end from the subscription's current one (0: its current period's end, when it
 * renews next), or the first period end at or after `atLeast`. Null for a subscription whose one
 * item does not recur (nothing a monthly gift can be).
 */
export function periodEndOf(sub: Stripe.Subscription, want: { after: number } | { atLeast: number }): number | null {
  const item = sub.items.data[0];
  const recurring = item?.price.recurring;
  if (!item || !recurring) return null;
  const boundary = (n: number) => periodBoundary(sub.billing_cycle_anchor, recurring.interval, recurring.interval_count, n);
  const n = periodIndex(sub.billing_cycle_anchor, recurring.interval, recurring.interval_count, item.current_period_end);
  if ('after' in want) return boundary(n + want.after);
  for (let i = n; i < n + periodsMax; i++) {
    const end = boundary(i);
    if (end >= want.atLeast) return end;
  }
  return null;
}

/**
 * A subscription's pause as the gift keeps it, from a subscription Stripe sent (its answer, or an
 * event's object): paused or not, until when, and the first period end at or after then, when
 * Stripe charges again (it voids every invoice made before resumes_at, docs.stripe.com/billing/
 * subscriptions/pause-payment). A pause with no end, or one whose end is no time we can keep,
 * names no next charge.
 */
export function pauseOf(sub: Stripe.Subscription): PauseState {
  const resumesAt = sub.pause_collection?.resumes_at;
  if (!sub.pause_collection) return notPaused;
  if (!isStorableSeconds(resumesAt)) return { collectionPaused: true, pausedUntil: null, pausedNextChargeAt: null };
  const next = periodEndOf(sub, { atLeast: resumesAt });
  return { collectionPaused: true, pausedUntil: new Date(resumesAt * 1000), pausedNextChargeAt: next === null ? null : new Date(next * 1000) };
}

/**
 * Whether a gift's collection is paused now. A pause whose end has passed is over, even while
 * Stripe's word of it (the update clearing it) is not posted yet, or was parked: the renewals after
 * it charge and post all the same, and the gift must not read "paused" with no next charge for good.
 */
export const pausedNow = (d: Pick<PauseState, 'collectionPaused' | 'pausedUntil'>, now: Date): boolean =>
  d.collectionPaused && !(d.pausedUntil !== null && d.pausedUntil <= now);

/**
 * The gift's row as a subscription's pause leaves it, whoever said it (Stripe's answer to the
 * donor here, or an event): the pause and, once collecting again, the next charge moved on to the
 * subscription's current period end, which the voided renewals moved without a paid invoice to say
 * so; only ever forward, as a paid invoice moves it.
 */
export function pauseFieldsOf(sub: Stripe.Subscription) {
  const pause = pauseOf(sub);
  const periodEnd = sub.items.data[0]?.current_period_end;
  const collectingFrom = !pause.collectionPaused && isStorableSeconds(periodEnd) ? new Date(periodEnd * 1000).toISOString() : null;
  return { ...pause, nextChargeAt: collectingFrom === null ? undefined : sql`greatest(${donations.nextChargeAt}, ${collectingFrom}::timestamptz)` };
}
