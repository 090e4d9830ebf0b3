import { GROUP_ONLY_SEPARATORS } from '../../../server/ledger/group-separators';
import { stripeMinimumMinorOf, usDollarEstimateMinorOf } from '../../../server/ledger/stripe-minimum';
import { currencyExponentOf } from './format';

/** Suggested numbers of units for a unit appeal ("25 bricks"), for units that cost little. */
export const suggestedUnits = [5, 10, 25, 50, 100] as const;
export const defaultUnits = 25;
/** For units that cost as much as a gift does (a ¥1,000 bento, a 20-peso brick, a day's strike pay). */
const suggestedFewUnits = [1, 2, 3, 5, 10] as const;

/**
 * The numbers of units a unit appeal suggests, and the one chosen from the start. A $1 brick gets
 * 5 to 100, 25 ($25) chosen, as a money appeal chooses $25. A unit for which 25 would cost more
 * than four of those gifts gets 1 to 10, and the number whose cost is nearest the money appeal's
 * choice is chosen: 25 bentos at ¥1,000 chose ¥25,000 (the yen form chooses ¥3,000), 25 bricks
 * at 20 pesos 500 pesos, and the least on offer was 5 units, never one.
 */
export function unitSuggestions(unitPriceMinor: string | bigint, currency: string): { units: readonly number[]; chosen: number } {
  const price = BigInt(unitPriceMinor);
  const usual = BigInt(suggestedAmountsMinor(currency)[1]!);
  if (price <= 0n || BigInt(defaultUnits) * price <= 4n * usual) return { units: suggestedUnits, chosen: defaultUnits };
  // Nearest on a ratio scale: 2 bentos (¥2,000) over 5 (¥5,000) for ¥3,000.
  const distance = (units: number) => Math.abs(Math.log(Number(BigInt(units) * price) / Number(usual)));
  const chosen = suggestedFewUnits.reduce((best, units) => (distance(units) < distance(best) ? units : best));
  return { units: suggestedFewUnits, chosen };
}

/**
 * Suggested gifts in minor units: 10 / 25 / 50 / 100 of a two-decimal currency; for a currency
 * without decimals (JPY, KRW…) one unit is worth little, so 1,000 / 3,000 / 5,000 / 10,000. Ten
 * times more, as often as it takes, where the smallest is under Stripe's smallest charge: 10 Ft
 * would be refused (Stripe's least is 175 Ft), so a forint appeal suggests 1,000 Ft and up. Where
 * Stripe publishes no minimum it takes 0.50 USD's worth: 10 DA (about 0.08 USD) would be refused,
 * so a dinar appeal suggests 1,000 DA and up, as a yen one does ¥1,000.
 */
export function suggestedAmountsMinor(currency: string): string[] {
  const exponent = currencyExponentOf(currency);
  let amounts = (exponent === 0 ? [1000n, 3000n, 5000n, 10_000n] : [10n, 25n, 50n, 100n]).map((major) => major * 10n ** BigInt(exponent));
  const minimum = stripeMinimumMinorOf(currency, exponent) ?? usDollarEstimateMinorOf(currency, exponent) ?? 0n;
  while (amounts[0]! < minimum) amounts = amounts.map((amount) => amount * 10n);
  return amounts.map(String);
}

// Digits of other scripts (Arabic-Indic, extended Arabic-Indic, Devanagari…) read as 0-9; full-width
// digits are folded by NFKC first.
function asciiDigits(text: string): string {
  return text.normalize('NFKC').replace(/\p{Nd}/gu, (d) => {
    const code = d.codePointAt(0)!;
    for (const zero of [0x660, 0x6f0, 0x966, 0x9e6]) if (code >= zero && code <= zero + 9) return String(code - zero);
    return d;
  });
}

// One separator between digit groups: '.' or ',' (either may group a whole number), or a character
// that only ever groups, shared with parseAmount so both read the same keys.
const GROUP = `[.,${GROUP_ONLY_SEPARATORS}]`;
const UNITS = new RegExp(`^(\\d{1,7}|\\d{1,3}(${GROUP}\\d{3}){1,2})$`, 'u');
const WHOLE_NUMBER = new RegExp(`^(\\d+|\\d{1,3}(${GROUP}\\d{3})+)$`, 'u');

/**
 * A typed whole number of units, as people write it: "25", "1,000", "1.000", "1 000", "２５", "٢٥",
 * "1、000" (a Japanese IME's comma key in kana mode). Grouping separators, '.' and ',' or one that
 * only ever groups in amounts too (parseAmount's), are only accepted between groups of three
 * digits. null when it is not one.
 */
export function parseUnits(input: string): number | null {
  const text = asciiDigits(input).replace(/[\s\u00a0\u202f\u200f\u200e]/g, '');
  if (!UNITS.test(text)) return null;
  const n = Number(text.replace(/\D/g, ''));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** A whole number past what parseUnits takes ("999999999999", "12.000.000"): too many, not "not a number". */
export function tooManyUnits(input: string): boolean {
  const text = asciiDigits(input).replace(/[\s\u00a0\u202f\u200f\u200e]/g, '');
  return WHOLE_NUMBER.test(text) && /[1-9]\d{7}/.test(text.replace(/\D/g, ''));
}
