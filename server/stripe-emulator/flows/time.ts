import type { Ctx } from '../context';
import { nowSeconds } from '../ids';

/** Objects of a customer on a test clock live at the clock's frozen time, like Stripe's simulations. */
export function timeForCustomer(ctx: Ctx, customerId: string | null): number {
  if (!customerId) return nowSeconds();
  const clockId = ctx.state.customers.get(customerId)?.test_clock;
  const clock = typeof clockId === 'string' ? ctx.state.testClocks.get(clockId) : undefined;
  return clock ? clock.frozen_time : nowSeconds();
}

export type Interval = 'day' | 'week' | 'month' | 'year';

/** The end of period `n` counted from the anchor, clamping to month ends as Stripe does (Jan 31 → Feb 28 → Mar 31). */
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

/** How many whole periods separate the anchor from `end` (end being a boundary). */
export function periodIndex(anchor: number, interval: Interval | string, intervalCount: number, end: number): number {
  let n = 0;
  while (periodBoundary(anchor, interval, intervalCount, n) < end && n < 10_000) n++;
  return n;
}
