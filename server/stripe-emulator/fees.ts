// Amounts are integers in the currency's smallest unit as Stripe counts it. Stripe's list, not
// ISO 4217, decides that unit: https://docs.stripe.com/currencies#zero-decimal
const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function stripeExponent(currency: string): 0 | 2 | 3 {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}

export function isThreeDecimal(currency: string): boolean {
  return THREE_DECIMAL.has(currency.toLowerCase());
}

export interface FeeConfig {
  /** Percentage part in basis points: 290 = 2.9 %. */
  percentBps: number;
  /** Fixed part per charge, in the currency's smallest unit, keyed by lowercase currency. */
  fixedMinor: Record<string, bigint | number>;
  /** Fee Stripe keeps when a dispute opens, per currency. */
  disputeFeeMinor: Record<string, bigint | number>;
}

// Stripe's US list price is 2.9 % + 30¢ and a 15.00 USD dispute fee. Other currencies have no
// fixed part unless configured, so the percentage alone shows how zero-decimal amounts behave.
export const DEFAULT_FEES: FeeConfig = {
  percentBps: 290,
  fixedMinor: { usd: 30n },
  disputeFeeMinor: { usd: 1500n, eur: 1500n, gbp: 1500n },
};

export function resolveFees(partial?: Partial<FeeConfig>): FeeConfig {
  if (partial?.percentBps !== undefined && (!Number.isInteger(partial.percentBps) || partial.percentBps < 0)) {
    throw new Error('fees.percentBps must be a whole number of basis points, e.g. 290');
  }
  return {
    percentBps: partial?.percentBps ?? DEFAULT_FEES.percentBps,
    fixedMinor: partial?.fixedMinor ?? DEFAULT_FEES.fixedMinor,
    disputeFeeMinor: partial?.disputeFeeMinor ?? DEFAULT_FEES.disputeFeeMinor,
  };
}

/** Processing fee for a charge, computed in bigint and rounded half up, never above the amount. */
export function chargeFee(fees: FeeConfig, amount: number, currency: string): number {
  const a = BigInt(amount);
  const percent = (a * BigInt(fees.percentBps) + 5000n) / 10000n;
  const fixed = BigInt(fees.fixedMinor[currency.toLowerCase()] ?? 0n);
  const fee = percent + fixed;
  return Number(fee > a ? a : fee);
}

export function disputeFee(fees: FeeConfig, currency: string): number {
  return Number(BigInt(fees.disputeFeeMinor[currency.toLowerCase()] ?? 0n));
}

/** For the hosted page only: formats a Stripe amount with Intl in the session currency. */
export function formatAmount(amount: number, currency: string, locale = 'en'): string {
  const exp = stripeExponent(currency);
  const fmt = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? exp;
  const value = amount / 10 ** exp;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: Math.min(digits, exp),
    maximumFractionDigits: Math.max(digits, exp),
  }).format(value);
}
