import { coverFeeBasisPoints, coverFeeFixedMinor } from '../../web/src/lib/cover-fees';
import { stripeMaximumChargeMinor, stripeStepMinor } from '../ledger/money';

/**
 * What covering the fees adds so the appeal receives the whole gift: the smallest charge, in
 * Stripe's step, whose own fee (Stripe's standard card fee, 2.9% and a fixed part, taken on the
 * whole charge and rounded half up as Stripe rounds it) leaves the gift, less that gift. The fee
 * taken on the gift alone fell short by the fee on the fee: a $50.00 gift added $1.75 to a charge
 * whose fee was $1.80.
 */
export function coverFeesMinor(amountMinor: bigint, currency: string): bigint {
  const step = stripeStepMinor(currency);
  const fixed = coverFeeFixedMinor(currency);
  const feeOf = (charge: bigint) => (charge * coverFeeBasisPoints + 5_000n) / 10_000n + fixed;
  const leaves = (charge: bigint) => charge - feeOf(charge) >= amountMinor;
  // From just below the exact answer, (gift + fixed) / (1 − rate), up by steps to the first that leaves the gift.
  let charge = (((amountMinor + fixed) * 10_000n) / (10_000n - coverFeeBasisPoints) / step) * step;
  while (!leaves(charge)) charge += step;
  return charge - amountMinor;
}

/**
 * The largest gift one charge holds: Stripe's ceiling, or with the fees covered the largest gift
 * whose charge (gift and fees) still fits it, in Stripe's step; on an appeal with a unit, in whole
 * units. What a donor is told to stay under.
 */
export function largestGiftMinor(currency: string, coverFees: boolean, unitPriceMinor: bigint | null = null): bigint {
  const largest = largestChargeableGiftMinor(currency, coverFees);
  return unitPriceMinor ? largest - (largest % unitPriceMinor) : largest;
}

function largestChargeableGiftMinor(currency: string, coverFees: boolean): bigint {
  const maximum = stripeMaximumChargeMinor(currency);
  if (!coverFees) return maximum;
  const step = stripeStepMinor(currency);
  // Bisection on whole steps: the charge grows with the gift, so the fitting gifts are a prefix.
  let fits = 0n;
  let over = maximum / step + 1n;
  while (over - fits > 1n) {
    const mid = (fits + over) / 2n;
    if (mid * step + coverFeesMinor(mid * step, currency) <= maximum) fits = mid;
    else over = mid;
  }
  return fits * step;
}
