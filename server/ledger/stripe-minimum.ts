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

// For a currency missing from that table Stripe's minimum is "the equivalent of 0.50 USD", after
// conversion. About how many units of each such currency one US dollar buys (mid-2025, two
// significant figures): only its order of magnitude is used, so that rates moving by half leave
// the suggestions where they are. Currencies worth a fifth of a dollar or more need none for the
// minimum (ten of them are over it already), and one with a published minimum has it from the
// table above; the twelve at the end, rates of those two kinds, serve only about-so-many-dollars
// amounts (usDollarsToMinor: a monthly gift's big change, amount-confirm.ts), where Stripe's
// minimum is no guide. Rates are no concern of the ledger; this is for suggestions and such thresholds.
const UNITS_PER_US_DOLLAR: ReadonlyMap<string, number> = new Map([
  ['AFN', 70], ['ALL', 92], ['AMD', 390], ['AOA', 910], ['BDT', 120], ['BIF', 2900], ['BOB', 6.9],
  ['BTN', 86], ['BWP', 14], ['CDF', 2900], ['CLP', 940], ['CNY', 7.2], ['CRC', 510], ['CUP', 24],
  ['CVE', 97], ['DJF', 180], ['DOP', 62], ['DZD', 130], ['EGP', 49], ['ERN', 15], ['ETB', 130],
  ['GHS', 11], ['GMD', 72], ['GNF', 8700], ['GTQ', 7.7], ['GYD', 210], ['HNL', 26], ['HTG', 130],
  ['IQD', 1300], ['IRR', 42_000], ['ISK', 125], ['JMD', 160], ['KES', 130], ['KGS', 87], ['KHR', 4000],
  ['KMF', 430], ['KPW', 900], ['KZT', 520], ['LAK', 22_000], ['LBP', 90_000], ['LKR', 300], ['LRD', 200],
  ['LSL', 18], ['MAD', 9.1], ['MDL', 17], ['MGA', 4500], ['MKD', 54], ['MMK', 2100], ['MNT', 3600],
  ['MOP', 8.1], ['MRU', 40], ['MUR', 45], ['MVR', 15], ['MWK', 1700], ['MZN', 64], ['NAD', 18],
  ['NGN', 1500], ['NIO', 37], ['NPR', 140], ['PKR', 280], ['PYG', 8000], ['RSD', 100], ['RWF', 1400],
  ['SBD', 8.4], ['SCR', 14], ['SDG', 600], ['SLE', 23], ['SOS', 570], ['SRD', 37], ['SSP', 4500],
  ['STN', 21], ['SVC', 8.8], ['SYP', 13_000], ['SZL', 18], ['TJS', 9.5], ['TRY', 40], ['TTD', 6.8],
  ['TWD', 30], ['TZS', 2600], ['UAH', 41], ['UGX', 3600], ['UYU', 40], ['UZS', 12_500], ['VES', 120],
  ['VED', 120], ['VND', 26_000], ['VUV', 120], ['XAF', 570], ['XOF', 570], ['XPF', 105], ['YER', 240],
  ['ZMW', 24], ['ZWG', 27],
  // Stripe's published minimum is 0.50 of their own units, far under 0.50 USD (₹0.50 is under a cent).
  ['ARS', 1200], ['BRL', 5.5], ['COP', 4000], ['IDR', 16_000], ['INR', 86], ['PHP', 57], ['RUB', 80], ['ZAR', 18],
  // A unit worth a dollar or more, with no published minimum.
  ['KWD', 0.31], ['BHD', 0.38], ['OMR', 0.38], ['JOD', 0.71],
]);

/**
 * The rough rate of a currency whose Stripe minimum is "the equivalent of 0.50 USD" and worth
 * counting: none published, and a unit worth under a fifth of a dollar (at least 5 to the dollar);
 * else undefined. The suggestions and floors below read only these.
 */
function rateForMinimum(currency: string): number | undefined {
  if (STRIPE_MINIMUM_CHARGE.has(currency)) return undefined;
  const units = UNITS_PER_US_DOLLAR.get(currency);
  return units !== undefined && units >= 5 ? units : undefined;
}

/**
 * About `dollars` US dollars in minor units of a currency with `exponent` ISO decimals, at the
 * rough rate above, rounded (ARS 2, 100: 12000000n; KWD 3, 100: 31000n; USD itself exactly);
 * undefined for a currency the table has no rate for. Only for amounts that may be off by half,
 * as a threshold asking about slips may.
 */
export function usDollarsToMinor(currency: string, exponent: number, dollars: number): bigint | undefined {
  const units = currency === 'USD' ? 1 : UNITS_PER_US_DOLLAR.get(currency);
  return units === undefined ? undefined : BigInt(Math.round(dollars * units * 10 ** exponent));
}

/**
 * About one US dollar in minor units of a currency with `exponent` ISO decimals, for a currency
 * Stripe publishes no minimum for and whose unit is worth well under a dollar (DZD 2: 13000n);
 * else undefined. Twice Stripe's 0.50 USD: a suggestion at least this big stays over the minimum
 * when the rate moves.
 */
export function usDollarEstimateMinorOf(currency: string, exponent: number): bigint | undefined {
  const units = rateForMinimum(currency);
  return units === undefined ? undefined : BigInt(Math.ceil(units)) * 10n ** BigInt(exponent);
}

/**
 * Stripe's smallest charge of a currency in minor units as Stripe counts them (`exponent` its
 * decimals in Stripe's API): the published one, or 0.50 USD at the rough rate above for a currency
 * it publishes none for; undefined when neither is known. The Stripe emulator refuses a checkout
 * under it, as Stripe does.
 */
export function stripeChargeFloorMinorOf(currency: string, exponent: number): bigint | undefined {
  const published = stripeMinimumMinorOf(currency, exponent);
  if (published !== undefined) return published;
  const units = rateForMinimum(currency);
  return units === undefined ? undefined : BigInt(Math.ceil(0.5 * units * 10 ** exponent));
}
