import { stripeExponent } from './fees';

// An account that settles in one currency gets every balance transaction of a charge in another
// currency converted, with `exchange_rate` set. Stripe defines the field so that "the amount in
// currency A, times exchange_rate, would be the amount in currency B" (10.00 EUR settled as 12.34
// USD: exchange_rate 1.234). Real rates move daily; these are fixed so tests can say exactly what
// a balance transaction holds. Keys are `from:to`, values the units of `to` one unit of `from`
// buys, as decimal strings: the arithmetic stays in bigint, the float is only the field Stripe sends.
export const TEST_EXCHANGE_RATES: Readonly<Record<string, string>> = Object.freeze({
  'jpy:usd': '0.0067',
  'usd:jpy': '149.25',
  'eur:usd': '1.085',
  'usd:eur': '0.92',
  'kwd:usd': '3.25',
  'usd:kwd': '0.307',
});

/** The rate from one currency to another, or undefined when the table has none (same currency: "1"). */
export function testExchangeRate(from: string, to: string): string | undefined {
  const [f, t] = [from.toLowerCase(), to.toLowerCase()];
  return f === t ? '1' : TEST_EXCHANGE_RATES[`${f}:${t}`];
}

export interface Settled {
  /** The balance transaction's currency: the account's settlement currency, lower case. */
  currency: string;
  /** In the settlement currency's Stripe minor unit, same sign as the amount given. */
  amount: number;
  /** Null when nothing was converted, as Stripe sends it. */
  exchangeRate: number | null;
}

/**
 * An amount in the charge's currency (Stripe's minor unit, may be negative) as the account books
 * it. Without a settlement currency, or in it already, nothing changes. Stripe publishes no
 * rounding rule for converted amounts; the emulator rounds to the nearest minor unit of the
 * settlement currency, halves away from zero (like its fees, which round half up).
 */
export function settleAmount(settlementCurrency: string | null, amount: number, currency: string): Settled {
  const from = currency.toLowerCase();
  if (!settlementCurrency || settlementCurrency === from) return { currency: from, amount, exchangeRate: null };
  const rate = testExchangeRate(from, settlementCurrency);
  // Checkout sessions are refused up front for a pair without a rate; this is only a backstop.
  if (!rate) throw new Error(`the emulator has no test exchange rate from ${from} to ${settlementCurrency}`);
  const [whole, fraction = ''] = rate.split('.');
  const rateUnits = BigInt(`${whole}${fraction}`);
  const numerator = BigInt(amount) * rateUnits * 10n ** BigInt(stripeExponent(settlementCurrency));
  const denominator = 10n ** BigInt(fraction.length + stripeExponent(from));
  return { currency: settlementCurrency, amount: Number(divideHalfAwayFromZero(numerator, denominator)), exchangeRate: Number(rate) };
}

function divideHalfAwayFromZero(n: bigint, d: bigint): bigint {
  const magnitude = (2n * (n < 0n ? -n : n) + d) / (2n * d);
  return n < 0n ? -magnitude : magnitude;
}
