import { coverFeeBasisPoints, coverFeeFixedMinor } from '../../web/src/lib/cover-fees';
import { stripeMaximumChargeMinor, stripeStepMinor } from '../ledger/money';

/**
 * What covering the fees adds so the appeal receives about the whole gift, rounded up to Stripe's
 * step: Stripe's standard card fee, 2.9% and a fixed part.
 */
export function coverFeesMinor(amountMinor: bigint, currency: string): bigint {
  const step = stripeStepMinor(currency);
  const raw = (amountMinor * coverFeeBasisPoints + 9_999n) / 10_000n + coverFeeFixedMinor(currency);
  return ((raw + step - 1n) / step) * step;
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
