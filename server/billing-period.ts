/*
 * How Stripe steps a subscription's billing periods from its anchor. The emulator bills by it, and
 * the app reads by it when a pause ends a number of periods ahead.
 */

export type Interval = 'day' | 'week' | 'month' | 'year';

/**
 * The end of period `n` counted from the anchor: the anchor's day, clamped to the month's last
 * (an anchor on the 31st bills on 28 or 29 February, then on 31 March), at the anchor's time of
 * day (UTC).
 */
export function periodBoundary(anchor: number, interval: Interval | string, intervalCount: number, n: number): number {
  const steps = intervalCount * n;
  if (interval === 'day') return anchor + steps * 86_400;
  if (interval === 'week') return anchor + steps * 7 * 86_400;
  const d = new Date(anchor * 1000);
  const months = interval === 'year' ? steps * 12 : steps;
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Math.floor(Date.UTC(y, m, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000);
}

/** Periods for a few centuries of a monthly gift: a bound on the steps, not a limit anyone reaches. */
export const periodsMax = 12_000;

/** How many whole periods separate the anchor from `end` (end being a boundary). */
export function periodIndex(anchor: number, interval: Interval | string, intervalCount: number, end: number): number {
  let n = 0;
  while (periodBoundary(anchor, interval, intervalCount, n) < end && n < periodsMax) n++;
  return n;
}
