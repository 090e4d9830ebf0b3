// Stripe's smallest charge per currency, with no imports: the giving form (in the browser) suggests
// no gift under it, and the server refuses one (money.ts), from the same table.

// "Minimum charge amount by currency", copied as Stripe prints it (major units). Stripe applies the
// minimum of the *settlement* currency after conversion, so this is exact when a fund's charge and
// payout currency match, and a lower bound to show donors otherwise. (Older copies of the page
// also listed 1.00 BGN; the current one does not.)
const STRIPE_MINIMUM_CHARGE: ReadonlyMap<string, string> = new Map([
  ['USD', '0.50'], ['AED', '2.00'], ['ARS', '0.50'], ['AUD', '0.50'], ['BRL', '0.50'], ['CAD', '0.50'],
  ['CHF', '0.50'], ['COP', '0.50'], ['CZK', '15.00'], ['DKK', '2.50'], ['EUR', '0.50'], ['GBP', '0.30'],
  ['HKD', '4.00'], ['HUF', '175.00'], ['IDR', '0.50'], ['ILS', '0.50'], ['INR', '0.50'], ['JPY', '50'],
  ['KRW', '50'], ['MXN', '10'], ['MYR', '2.00'], ['NOK', '3.00'], ['NZD', '0.50'], ['PHP', '0.50'],
  ['PLN', '2.00'], ['RON', '2.00'], ['RUB', '0.50'], ['SEK', '3.00'], ['SGD', '0.50'], ['THB', '10'],
  ['ZAR', '0.50'],
]);

/**
 * Stripe's published minimum charge in minor units of a currency with `exponent` ISO decimals
 * (USD 2: 50n, JPY 0: 50n), or undefined if it publishes none. The table's decimals never exceed
 * the currency's own.
 */
export function stripeMinimumMinorOf(currency: string, exponent: number): bigint | undefined {
  const minimum = STRIPE_MINIMUM_CHARGE.get(currency);
  if (minimum === undefined) return undefined;
  const [whole = '', fraction = ''] = minimum.split('.');
  return BigInt(whole + fraction.padEnd(exponent, '0'));
}
