import { currencyExponent, minorUnitsPerMajor } from '../ledger/money';
import { stripeChargeFloorMinorOf } from '../ledger/stripe-minimum';

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
 * About how many units of a currency one US dollar buys (mid-2025, two significant figures), where
 * Stripe's smallest charge is no guide to 100 USD: its minimum there is 0.50 of the currency's own
 * units (₹0.50 is under a cent, Rp 0.50 a three-thousandth of one), or Stripe publishes none and a
 * unit is worth a dollar or more (KWD, BHD, OMR, JOD). Only roughly right is needed: the step asks
 * about a slip, and a rate moving by half leaves it asking about the same slips.
 */
const UNITS_PER_US_DOLLAR: ReadonlyMap<string, number> = new Map([
  ['ARS', 1200], ['BRL', 5.5], ['COP', 4000], ['IDR', 16_000], ['INR', 86], ['PHP', 57], ['RUB', 80], ['ZAR', 18],
  ['KWD', 0.31], ['BHD', 0.38], ['OMR', 0.38], ['JOD', 0.71],
]);

/**
 * About 100 USD in ISO minor units of `currency` (USD 10000n, JPY 10000n, HUF 3500000n, INR
 * 860000n, KWD 31000n: three decimals): at the rough rate above where there is one, else 200 times
 * Stripe's smallest charge there (stripe-minimum.ts: its published one, or 0.50 USD at a rough
 * rate). A currency with none of these, whose unit is worth a fifth of a dollar or more, counts 100
 * of its units.
 */
export function confirmThresholdMinor(currency: string): bigint {
  const exponent = currencyExponent(currency);
  const units = UNITS_PER_US_DOLLAR.get(currency);
  if (units !== undefined) return BigInt(Math.round(100 * units * 10 ** exponent));
  const floor = stripeChargeFloorMinorOf(currency, exponent);
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
