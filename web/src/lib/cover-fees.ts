import { numberFormat } from './intl-cache';

// What "cover the fees" adds to a gift: Stripe's standard card fee, 2.9% plus 30¢ on US dollars,
// rounded up. The server charges it and the giving form says it, so both read it from here.

export const coverFeeBasisPoints = 290n;

/** The fixed part of the fee in minor units: 30¢ on US dollars, none elsewhere. */
export function coverFeeFixedMinor(currency: string): bigint {
  return currency === 'USD' ? 30n : 0n;
}

/**
 * The fee as the form states it: "2.9% + $0.30", "2,9 %" (the fixed part as `formatMoney` writes
 * it), isolated (U+2068…U+2069) so that it reads as one piece inside a sentence of either direction.
 */
export function coverFeeRule(currency: string, locale: string, formatMoney: (minor: string) => string): string {
  const percent = numberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(Number(coverFeeBasisPoints) / 10_000);
  const fixed = coverFeeFixedMinor(currency);
  return `\u2068${fixed > 0n ? `${percent} + ${formatMoney(fixed.toString())}` : percent}\u2069`;
}
