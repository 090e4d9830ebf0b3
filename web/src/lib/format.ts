import { isoExponents, placeDecimal } from '../../../server/ledger/iso-currencies';

/**
 * Formats an amount given as a string of minor units, exactly (no float on the way): Intl formats a
 * decimal string at full precision. The decimals are ISO 4217's, as in the ledger (CLDR's display
 * digits differ for a few currencies, e.g. IQD).
 */
export function formatMinor(amountMinor: string, currency: string, locale: string): string {
  const exponent = isoExponents.get(currency) ?? 2;
  const nf = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: exponent, maximumFractionDigits: exponent });
  return nf.format(placeDecimal(BigInt(amountMinor), exponent) as unknown as number);
}

export function formatInteger(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}
