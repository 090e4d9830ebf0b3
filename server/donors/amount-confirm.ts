import { currencyExponent, minorUnitsPerMajor } from '../ledger/money';
import { stripeChargeFloorMinorOf, usDollarsToMinor } from '../ledger/stripe-minimum';

/*
 * A monthly gift's new amount that is many times the old one and large in itself is asked to be
 * confirmed first: $10 → $1,500 is as often a slip (1500 typed for 15.00, an extra zero on a phone)
 * as a wish, and it would be charged every month from the next renewal on.
 */

/** How many times the current amount a new one must be, at least, to be asked about. */
export const CONFIRM_FACTOR = 5n;

/** Stripe's smallest charge is about 0.50 USD in most currencies: 200 of them are about 100 USD. */
const FLOORS_IN_THRESHOLD = 200n;

/**
 * About 100 USD in ISO minor units of `currency` (USD 10000n, JPY 10000n, HUF 3500000n, INR
 * 860000n, KWD 31000n: three decimals): 200 times Stripe's smallest charge there (stripe-minimum.ts:
 * its published one, or 0.50 USD at a rough rate), except where that is no guide to 100 USD; there
 * at stripe-minimum.ts's rough rate (usDollarsToMinor). It is no guide where 200 of it come under
 * half of 100 USD (Stripe's minimum is 0.50 of the currency's own units: ₹0.50 is under a cent,
 * Rp 0.50 a three-thousandth of one), or where Stripe publishes none and a unit is worth a dollar
 * or more (KWD, BHD, OMR, JOD). Only roughly right is needed: the step asks about a slip, and a
 * rate moving by half leaves it asking about the same slips. A currency with none of these, whose
 * unit is worth a fifth of a dollar or more, counts 100 of its units.
 */
export function confirmThresholdMinor(currency: string): bigint {
  const exponent = currencyExponent(currency);
  const floor = stripeChargeFloorMinorOf(currency, exponent);
  const atRate = usDollarsToMinor(currency, exponent, 100);
  if (atRate !== undefined && (floor === undefined || 2n * FLOORS_IN_THRESHOLD * floor < atRate)) return atRate;
  return floor !== undefined ? floor * FLOORS_IN_THRESHOLD : 100n * minorUnitsPerMajor(currency);
}

/**
 * Whether a change of a monthly gift from `currentMinor` to `newMinor` (the gift each month, in
 * ISO minor units of `currency`) asks to be confirmed: at least five times the current amount,
 * and above about 100 USD in the gift's currency.
 */
export function monthlyAmountNeedsConfirm(currentMinor: bigint, newMinor: bigint, currency: string): boolean {
  return newMinor >= CONFIRM_FACTOR * currentMinor && newMinor > confirmThresholdMinor(currency);
}
