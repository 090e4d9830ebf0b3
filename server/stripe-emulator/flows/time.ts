import type { Ctx } from '../context';
import { nowSeconds } from '../ids';

/** Objects of a customer on a test clock live at the clock's frozen time, like Stripe's simulations. */
export function timeForCustomer(ctx: Ctx, customerId: string | null): number {
  if (!customerId) return nowSeconds();
  const clockId = ctx.state.customers.get(customerId)?.test_clock;
  const clock = typeof clockId === 'string' ? ctx.state.testClocks.get(clockId) : undefined;
  return clock ? clock.frozen_time : nowSeconds();
}

export { periodBoundary, periodIndex, type Interval } from '../../billing-period';
