// Money for the ledger: an amount is always a bigint count of its currency's ISO 4217 minor unit
// (cents, fils, yen...). Floats never touch an amount; conversions go through strings and bigint.
// Currency codes are upper-case ISO 4217 codes; nothing here upper-cases them silently except the
// zod schema at the API edge.
import { z } from 'zod';
import { AppError } from '../errors';
import { isGroupOnlySeparator } from './group-separators';
import { isoExponents, placeDecimal } from './iso-currencies';
import { stripeMinimumMinorOf } from './stripe-minimum';

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type MoneyErrorCode =
  | 'money.unknown_currency'
  | 'money.not_representable'
  | 'money.invalid_amount'
  | 'money.too_many_decimals'
  | 'money.negative'
  | 'money.empty'
  | 'money.invalid_locale';

/** The one error type of this module: an AppError, so an API route answers it as a 400. */
export class MoneyError extends AppError {
  override readonly name = 'MoneyError';
  declare readonly code: MoneyErrorCode;

  constructor(code: MoneyErrorCode, message: string) {
    super(400, code, message);
  }
}

// Error messages echo user input; cap it so a megabyte of junk does not land in the logs.
const quote = (value: string): string => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

// ---------------------------------------------------------------------------------------------
// ISO 4217 currencies and exponents
// ---------------------------------------------------------------------------------------------

/** Every supported ISO 4217 code, sorted; "supported" = has a numeric ISO minor unit. */
export const SUPPORTED_CURRENCIES: readonly string[] = Object.freeze([...isoExponents.keys()].sort());

/**
 * ISO 4217's fund codes: units of account (Chile's UF, the Swiss WIR, US next-day dollars...), which
 * the ledger can book but nobody pays a card gift in. An appeal is never in one.
 */
export const FUND_CODES: ReadonlySet<string> = new Set(['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW']);

/** The currencies an appeal can be in, sorted: the supported ones, fund codes aside. */
export const APPEAL_CURRENCIES: readonly string[] = Object.freeze(SUPPORTED_CURRENCIES.filter((c) => !FUND_CODES.has(c)));

export function isCurrency(code: unknown): code is string {
  return typeof code === 'string' && isoExponents.has(code);
}

/** ISO 4217 minor-unit exponent: JPY 0, USD 2, KWD 3, CLF 4. Throws money.unknown_currency. */
export function currencyExponent(currency: string): number {
  const exponent = isoExponents.get(currency);
  if (exponent === undefined) {
    throw new MoneyError('money.unknown_currency', `unknown or unsupported currency ${quote(String(currency))}`);
  }
  return exponent;
}

/** How many minor units make one major unit (100n for USD), for callers that need the factor. */
export function minorUnitsPerMajor(currency: string): bigint {
  return 10n ** BigInt(currencyExponent(currency));
}

// ---------------------------------------------------------------------------------------------
// Canonical decimal strings ("1300.50") for CSV exports, APIs and config
// ---------------------------------------------------------------------------------------------

/** -5n USD → "-0.05", 1300n JPY → "1300": always exactly the ISO number of decimals. */
export function formatMinorAsDecimalString(amountMinor: bigint, currency: string): string {
  return placeDecimal(amountMinor, currencyExponent(currency));
}

// Machine format only: ASCII digits, optional leading minus, '.' as the decimal point.
const DECIMAL_STRING = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/** Inverse of formatMinorAsDecimalString; rejects more decimals than the currency has, never rounds. */
export function decimalStringToMinor(value: string, currency: string): bigint {
  const match = DECIMAL_STRING.exec(value);
  if (!match) throw new MoneyError('money.invalid_amount', `not a decimal amount: ${quote(value)}`);
  const amountMinor = digitsToMinor(match[2] ?? '', match[3] ?? '', currency);
  return match[1] === '-' ? -amountMinor : amountMinor;
}

function digitsToMinor(integerDigits: string, fractionDigits: string, currency: string): bigint {
  const exponent = currencyExponent(currency);
  if (fractionDigits.length > exponent) {
    throw new MoneyError(
      'money.too_many_decimals',
      `${currency} amounts have ${exponent} decimal place${exponent === 1 ? '' : 's'}, got ${fractionDigits.length}`,
    );
  }
  return BigInt(integerDigits + fractionDigits.padEnd(exponent, '0'));
}

// ---------------------------------------------------------------------------------------------
// Stripe amounts
// ---------------------------------------------------------------------------------------------
// Source: Stripe, "Supported currencies", https://docs.stripe.com/currencies — sections
// "Zero-decimal currencies", "Three-decimal currencies", "Special cases" and "Minimum charge amount
// by currency" (read from Stripe's docs.stripe.com/currencies.md export and an HTML copy of the
// same page that still carries the zero-/three-decimal lists, 2026). Stripe: "Currencies are
// two-decimal currencies unless otherwise specified."

// The list exactly as Stripe prints it. UGX is on it, but the "Special cases" table overrides it
// (see below): Stripe rejects UGX 5 with "charged amounts must be evenly divisible by 100".
const STRIPE_ZERO_DECIMAL: ReadonlySet<string> = new Set([
  'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
]);

// "these API calls require the least-significant (last) digit to be 0. Your integration must round
// amounts to the nearest ten." We refuse instead of rounding: the ledger must book what is charged.
const STRIPE_THREE_DECIMAL: ReadonlySet<string> = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

// Special cases, ISK and UGX: "transitioned to a zero-decimal currency, but backward compatibility
// requires you to represent it as a two-decimal value, where the decimal amount is always 00. For
// example, to charge 5 ISK, provide an amount value of 500."
const STRIPE_WHOLE_UNITS_IN_TWO_DECIMALS: ReadonlySet<string> = new Set(['ISK', 'UGX']);

// Special cases, HUF and TWD: "Stripe treats HUF [TWD] as a zero-decimal currency for payouts, even
// though you can charge two-decimal amounts": payout amounts must be divisible by 100.
const STRIPE_WHOLE_UNIT_PAYOUTS: ReadonlySet<string> = new Set(['HUF', 'TWD']);

/** Charges (and refunds) follow the charge rules; payouts add the HUF/TWD whole-unit rule. */
export type StripeAmountUse = 'charge' | 'payout';

/** Decimals in Stripe's integer `amount` for this currency (ISK 2 and UGX 2 although ISO says 0). */
export function stripeExponent(currency: string): number {
  currencyExponent(currency);
  if (STRIPE_WHOLE_UNITS_IN_TWO_DECIMALS.has(currency)) return 2;
  if (STRIPE_ZERO_DECIMAL.has(currency)) return 0;
  if (STRIPE_THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

// Stripe's `amount` must be a multiple of 10^this (KWD last digit 0; ISK/UGX always "00").
function stripeStepExponent(currency: string, use: StripeAmountUse): number {
  if (STRIPE_THREE_DECIMAL.has(currency)) return 1;
  if (STRIPE_WHOLE_UNITS_IN_TWO_DECIMALS.has(currency)) return 2;
  if (use === 'payout' && STRIPE_WHOLE_UNIT_PAYOUTS.has(currency)) return 2;
  return 0;
}

/**
 * Smallest amount step, in ISO minor units, that Stripe can take: KWD 10n (0.010 KWD), HUF payouts
 * 100n, MGA 100n (ISO has 2 decimals, Stripe none), most currencies 1n. Donation forms should only
 * offer multiples of this.
 */
export function stripeStepMinor(currency: string, use: StripeAmountUse = 'charge'): bigint {
  const isoToStripeShift = currencyExponent(currency) - stripeExponent(currency);
  return 10n ** BigInt(Math.max(0, stripeStepExponent(currency, use) + isoToStripeShift));
}

/** Stripe's `amount` holds at most eight digits, whatever the currency: 99999999 is $999,999.99, ¥99,999,999. */
const STRIPE_AMOUNT_MAX = 99_999_999n;

/** The largest single charge Stripe takes, in ISO minor units, a multiple of its step (USD 99999999n, ISK 999999n). */
export function stripeMaximumChargeMinor(currency: string): bigint {
  const shift = currencyExponent(currency) - stripeExponent(currency);
  const largest = shift >= 0 ? STRIPE_AMOUNT_MAX * 10n ** BigInt(shift) : STRIPE_AMOUNT_MAX / 10n ** BigInt(-shift);
  const step = stripeStepMinor(currency);
  return (largest / step) * step;
}

/** ISO minor units → the integer Stripe's API expects. Throws money.not_representable, never rounds. */
export function toStripeAmount(amountMinor: bigint, currency: string, use: StripeAmountUse = 'charge'): number {
  if (amountMinor < 0n) throw new MoneyError('money.negative', 'Stripe amounts are never negative');
  const stepMinor = stripeStepMinor(currency, use);
  if (amountMinor % stepMinor !== 0n) {
    throw new MoneyError(
      'money.not_representable',
      `Stripe takes ${currency} ${use} amounts only in steps of ${formatMinorAsDecimalString(stepMinor, currency)}`,
    );
  }
  const stripeAmount = rescale(amountMinor, currencyExponent(currency), stripeExponent(currency));
  if (stripeAmount === undefined || stripeAmount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MoneyError('money.not_representable', `${currency} amount is too large for Stripe`);
  }
  return Number(stripeAmount);
}

/** Stripe's integer amount (from webhooks, balance transactions; may be negative) → ISO minor units. */
export function fromStripeAmount(stripeAmount: number, currency: string): bigint {
  if (!Number.isSafeInteger(stripeAmount)) {
    throw new MoneyError('money.invalid_amount', `Stripe amounts are integers, got ${String(stripeAmount)}`);
  }
  const amountMinor = rescale(BigInt(stripeAmount), stripeExponent(currency), currencyExponent(currency));
  if (amountMinor === undefined) {
    // e.g. an ISK amount of 150 (1.50 ISK) from before Stripe stopped fractional krónur.
    throw new MoneyError('money.not_representable', `Stripe ${currency} amount ${stripeAmount} has a fraction of the ISO minor unit`);
  }
  return amountMinor;
}

// Exact change of decimal exponent; undefined when scaling down would drop non-zero digits.
function rescale(value: bigint, fromExponent: number, toExponent: number): bigint | undefined {
  if (toExponent >= fromExponent) return value * 10n ** BigInt(toExponent - fromExponent);
  const divisor = 10n ** BigInt(fromExponent - toExponent);
  return value % divisor === 0n ? value / divisor : undefined;
}

/** Stripe's published minimum charge in ISO minor units (USD 50n, JPY 50n), or undefined if none. */
export function stripeMinimumChargeMinor(currency: string): bigint | undefined {
  // The table itself lives apart (stripe-minimum.ts): the giving form reads it in the browser.
  return stripeMinimumMinorOf(currency, currencyExponent(currency));
}

// ---------------------------------------------------------------------------------------------
// Intl plumbing
// ---------------------------------------------------------------------------------------------

// ES2023 (Intl.NumberFormat v3, in Node 20) formats decimal *strings* exactly, so amounts never pass
// through a float. The es2022 lib typings predate that overload, hence this narrow view.
interface ExactNumberFormat {
  format(value: string): string;
  formatToParts(value: string): Intl.NumberFormatPart[];
}

// Formatters are costly to build and locales arrive from Accept-Language, so cache, but bounded.
const CACHE_LIMIT = 500;
function cached<V>(cache: Map<string, V>, key: string, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    value = make();
    cache.set(key, value);
  }
  return value;
}

const formatterCache = new Map<string, ExactNumberFormat>();
function exactNumberFormat(locale: string, options: Intl.NumberFormatOptions): ExactNumberFormat {
  return cached(formatterCache, JSON.stringify([locale, options]), () => {
    try {
      return new Intl.NumberFormat(locale, options) as unknown as ExactNumberFormat;
    } catch (error) {
      if (error instanceof RangeError) throw new MoneyError('money.invalid_locale', `invalid locale ${quote(locale)}`);
      throw error;
    }
  });
}

function currencyFormatOptions(currency: string, fractionDigits: number): Intl.NumberFormatOptions {
  return { style: 'currency', currency, minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits };
}

// ---------------------------------------------------------------------------------------------
// Formatting for people
// ---------------------------------------------------------------------------------------------

export interface FormatAmountOptions {
  currencyDisplay?: 'symbol' | 'narrowSymbol' | 'code' | 'name';
  signDisplay?: 'auto' | 'never' | 'always' | 'exceptZero';
}

/** 130050n USD in "de" → "1.300,50 $". Always the ISO number of decimals, exact at any size. */
export function formatAmount(
  amountMinor: bigint,
  currency: string,
  locale: string,
  options: FormatAmountOptions = {},
): string {
  const formatter = exactNumberFormat(locale, { ...currencyFormatOptions(currency, currencyExponent(currency)), ...options });
  return formatter.format(formatMinorAsDecimalString(amountMinor, currency));
}

// ---------------------------------------------------------------------------------------------
// Parsing what a person typed
// ---------------------------------------------------------------------------------------------
// Accepted: digits of any Unicode decimal numbering system (ASCII, full-width, Arabic-Indic,
// Devanagari...), group and decimal separators, one currency symbol / code / name of *this*
// currency before or after, whitespace and bidi marks around, and 万 (ten thousand) right after a
// whole number, in every language (an IME types it wherever a Japanese speaker types; "5万" is
// 50,000 on any page, and the form's maximum still holds). Never rounds.
//
// Separator rules:
//  - Whitespace (incl. NBSP, narrow NBSP), apostrophes, U+066C ARABIC THOUSANDS SEPARATOR and
//    U+3001 IDEOGRAPHIC COMMA (the comma key of a Japanese IME in kana mode) only ever group;
//    U+066B ARABIC DECIMAL SEPARATOR only ever separates decimals.
//  - With two kinds of separator, the last one is the decimal separator and must occur once
//    ("1.300,50" and "1,300.50" both mean 1300.50 whatever the locale).
//  - With one kind of '.' or ',': several occurrences group ("1.300.000"). A single one groups only
//    if it is the locale's group separator followed by exactly 3 digits (en "1,300" = 1300,
//    de "1.300" = 1300); otherwise it is the decimal separator (en "1.300" = 1.3, then rejected
//    for JPY/USD as too many decimals rather than guessed).
//  - Groups must be 3 digits, or the locale's own secondary size (en-IN "1,30,000").

// Far above any real amount ("1 234 567,89 dollars des États-Unis"), far below a payload attack.
const MAX_INPUT_LENGTH = 200;
// Hyphen-minus, Unicode minus, dashes, and accounting parentheses "(5.00)".
const SIGNS_ONLY = /^[-\u2010-\u2015\u2212()\s]+$/u;

export function parseAmount(input: string, currency: string, locale: string): bigint {
  currencyExponent(currency);
  if (input.length > MAX_INPUT_LENGTH) throw new MoneyError('money.invalid_amount', 'amount is too long');
  const labels = currencyLabels(currency, locale);
  const text = withoutDigitLabels(normalizeTyped(input).toUpperCase(), labels, currency);
  const { prefix, number, suffix } = splitAroundNumber(text, labels);
  // 万 right after the number: ten thousand of the currency ("50万円" = ¥500,000). Only a whole
  // number takes it; "1.5万" and "50万5000" are refused, not guessed.
  const tenThousands = TEN_THOUSANDS.exec(suffix);
  checkAffixes(prefix, tenThousands ? suffix.slice(tenThousands[0].length) : suffix, labels, currency);
  const { integerDigits, fractionDigits } = splitNumber(number, localeSeparators(locale));
  if (!tenThousands) return digitsToMinor(integerDigits, fractionDigits, currency);
  if (fractionDigits !== '') throw new MoneyError('money.invalid_amount', 'only a whole number goes before 万');
  return digitsToMinor(`${integerDigits}0000`, '', currency);
}

// What a Japanese IME types for ten thousand after digits (NFKC has made a full-width space plain).
const TEN_THOUSANDS = /^\s*万/u;

// A few currency names contain digits ("São-toméischer Dobra (2018)"); swap such a name at either
// end for the digit-free code so the digit search below only finds the amount.
function withoutDigitLabels(text: string, labels: ReadonlySet<string>, currency: string): string {
  for (const label of labels) {
    if (!/\p{Nd}/u.test(label)) continue;
    if (text.endsWith(label)) return `${text.slice(0, -label.length)} ${currency}`;
    if (text.startsWith(label)) return `${currency} ${text.slice(label.length)}`;
  }
  return text;
}

// The number runs from the first digit to the last; what is around it is prefix and suffix.
function splitAroundNumber(text: string, labels: ReadonlySet<string>): { prefix: string; number: string[]; suffix: string } {
  const chars = [...text];
  const first = chars.findIndex(isDigitChar);
  if (first === -1) throw emptyOrInvalid(text, labels);
  let last = chars.length - 1;
  while (!isDigitChar(chars[last] ?? '')) last -= 1;
  return { prefix: chars.slice(0, first).join(''), number: chars.slice(first, last + 1), suffix: chars.slice(last + 1).join('') };
}

// NFKC folds full-width digits/commas/yen and NBSP variants to ASCII; format characters (bidi
// marks that Intl puts around Arabic amounts, zero-width spaces) carry no meaning here.
function normalizeTyped(text: string): string {
  return text.normalize('NFKC').replace(/\p{Cf}/gu, '').trim();
}

function emptyOrInvalid(text: string, labels: ReadonlySet<string>): MoneyError {
  if (text === '' || labels.has(text)) return new MoneyError('money.empty', 'no amount given');
  return new MoneyError('money.invalid_amount', `not an amount: ${quote(text)}`);
}

// Text before/after the number may only be one label of this very currency (so "5 €" on a USD
// appeal is an error, not five dollars) and sign characters, which make the amount negative.
// Labels go first: German writes "US-Dollar", and that hyphen is no minus.
function checkAffixes(prefix: string, suffix: string, labels: ReadonlySet<string>, currency: string): void {
  const rests = [prefix, suffix].map((affix) => withoutLabel(affix.trim(), labels).trim());
  const unexpected = rests.find((rest) => rest !== '' && !SIGNS_ONLY.test(rest));
  if (unexpected !== undefined) {
    throw new MoneyError('money.invalid_amount', `unexpected ${quote(unexpected)} in a ${currency} amount`);
  }
  if (rests.some((rest) => rest !== '')) throw new MoneyError('money.negative', 'amount must not be negative');
}

// Removes the longest label found in the affix, once.
function withoutLabel(affix: string, labels: ReadonlySet<string>): string {
  let longest = '';
  for (const label of labels) if (label.length > longest.length && affix.includes(label)) longest = label;
  return longest === '' ? affix : affix.replace(longest, ' ');
}

// Every way Intl writes this currency in this locale and in English (symbol, narrow symbol, plural
// names like "euros" / "円"), plus the ISO code; normalized like typed input, compared upper-case.
const LABEL_SAMPLES = ['0', '1', '2', '3', '11', '100', '1.5'];
const labelCache = new Map<string, ReadonlySet<string>>();
function currencyLabels(currency: string, locale: string): ReadonlySet<string> {
  return cached(labelCache, `${currency} ${locale}`, () => {
    const labels = new Set([currency]);
    for (const labelLocale of [locale, 'en']) {
      for (const currencyDisplay of ['symbol', 'narrowSymbol', 'name'] as const) {
        for (const fractionDigits of [0, currencyExponent(currency)]) {
          const formatter = exactNumberFormat(labelLocale, { ...currencyFormatOptions(currency, fractionDigits), currencyDisplay });
          for (const sample of LABEL_SAMPLES) {
            for (const part of formatter.formatToParts(sample)) {
              if (part.type === 'currency') labels.add(normalizeTyped(part.value).toUpperCase());
            }
          }
        }
      }
    }
    return labels;
  });
}

interface LocaleSeparators {
  group: string;
  decimal: string;
  groupSizes: ReadonlyArray<readonly [primary: number, secondary: number]>;
}

// Learned from Intl, not hard-coded per locale: format a probe number and read the parts.
const separatorCache = new Map<string, LocaleSeparators>();
function localeSeparators(locale: string): LocaleSeparators {
  return cached(separatorCache, locale, () => {
    const parts = exactNumberFormat(locale, { useGrouping: true }).formatToParts('123456789012.5');
    const value = (type: string): string => normalizeTyped(parts.find((part) => part.type === type)?.value ?? '');
    const groups = parts.filter((part) => part.type === 'integer').map((part) => [...part.value].length);
    const primary = groups.at(-1) ?? 3;
    const secondary = groups.length > 2 ? (groups.at(-2) ?? 3) : primary;
    return { group: value('group'), decimal: value('decimal'), groupSizes: [[primary, secondary], [3, 3]] };
  });
}

type SeparatorKind = 'group' | 'decimal' | 'either';

function separatorKind(char: string, separators: LocaleSeparators): SeparatorKind | undefined {
  if (char === '.' || char === ',') return 'either';
  if (/\s/u.test(char) || isGroupOnlySeparator(char)) return 'group';
  if (char === '\u066B') return 'decimal';
  if (char === separators.group) return 'group';
  if (char === separators.decimal) return 'decimal';
  return undefined;
}

// All separator look-alikes that mean the same thing share one key: any space, any apostrophe.
function separatorKey(char: string): string {
  if (/\s/u.test(char)) return ' ';
  return char === '\u2019' ? "'" : char;
}

interface Tokens {
  runs: string[];
  separators: string[];
}

// "1 300,50" → runs ["1", "300", "50"], separators [" ", ","]; digits become ASCII.
function tokenize(chars: readonly string[], separators: LocaleSeparators): Tokens {
  const tokens: Tokens = { runs: [''], separators: [] };
  for (const char of chars) {
    const digit = digitValue(char);
    if (digit !== undefined) {
      tokens.runs[tokens.runs.length - 1] += String(digit);
    } else if (separatorKind(char, separators) !== undefined && tokens.runs.at(-1) !== '') {
      tokens.separators.push(separatorKey(char));
      tokens.runs.push('');
    } else {
      throw new MoneyError('money.invalid_amount', `unexpected ${quote(char)} in amount`);
    }
  }
  return tokens;
}

function splitNumber(chars: readonly string[], separators: LocaleSeparators): { integerDigits: string; fractionDigits: string } {
  const { runs, separators: found } = tokenize(chars, separators);
  const decimalAt = decimalSeparatorIndex(found, runs, separators);
  const integerRuns = decimalAt === undefined ? runs : runs.slice(0, decimalAt + 1);
  if (!isValidGrouping(integerRuns, separators)) {
    throw new MoneyError('money.invalid_amount', `digit groups do not fit: ${quote(chars.join(''))}`);
  }
  const fractionDigits = decimalAt === undefined ? '' : (runs[decimalAt + 1] ?? '');
  return { integerDigits: integerRuns.join(''), fractionDigits };
}

// Index into `found` of the decimal separator, or undefined when every separator groups.
function decimalSeparatorIndex(found: readonly string[], runs: readonly string[], separators: LocaleSeparators): number | undefined {
  const kinds = [...new Set(found)];
  const lastAt = found.length - 1;
  const last = found[lastAt];
  if (last === undefined) return undefined;
  const kindOf = (key: string) => separatorKind(key, separators);
  const ambiguous = () => { throw new MoneyError('money.invalid_amount', 'cannot tell group from decimal separators'); };
  if (kinds.length > 2) return ambiguous();
  if (kinds.length === 2) {
    const groupKey = kinds.find((key) => key !== last) ?? '';
    const once = found.indexOf(last) === lastAt;
    return once && kindOf(last) !== 'group' && kindOf(groupKey) !== 'decimal' ? lastAt : ambiguous();
  }
  if (kindOf(last) === 'group') return undefined;
  if (kindOf(last) === 'decimal') return lastAt === 0 ? 0 : ambiguous();
  if (found.length > 1) return undefined;
  const groupsThree = last === separators.group && runs[1]?.length === 3;
  return groupsThree ? undefined : 0;
}

// Leading group 1..secondary digits, middle groups `secondary`, the last `primary` digits.
function isValidGrouping(integerRuns: readonly string[], separators: LocaleSeparators): boolean {
  if (integerRuns.length === 1) return true;
  return separators.groupSizes.some(([primary, secondary]) =>
    integerRuns.every((run, index) => {
      if (index === integerRuns.length - 1) return run.length === primary;
      if (index === 0) return run.length >= 1 && run.length <= secondary;
      return run.length === secondary;
    }),
  );
}

// Value of a decimal digit in any numbering system Intl knows (arab, arabext, deva, thai, ...),
// learned from Intl itself; NFKC has already folded full-width and mathematical digits to ASCII.
let digitValues: ReadonlyMap<string, number> | undefined;
function digitValue(char: string): number | undefined {
  digitValues ??= buildDigitValues();
  return digitValues.get(char);
}

function buildDigitValues(): ReadonlyMap<string, number> {
  const values = new Map<string, number>();
  for (const numberingSystem of Intl.supportedValuesOf('numberingSystem')) {
    const formatter = exactNumberFormat('en', { numberingSystem, useGrouping: false });
    const digits = [...'0123456789'].map((digit) => formatter.format(digit));
    if (digits.every((digit) => /^\p{Nd}$/u.test(digit))) digits.forEach((digit, value) => values.set(digit, value));
  }
  return values;
}

function isDigitChar(char: string): boolean {
  return /^\p{Nd}$/u.test(char);
}

// ---------------------------------------------------------------------------------------------
// zod schemas for the API edges
// ---------------------------------------------------------------------------------------------

/** "eur" → "EUR"; rejects codes this module does not support (XAU, XXX, made-up codes). */
export const currencyCodeSchema = z
  .string()
  .trim()
  .length(3, { error: 'must be a three-letter ISO 4217 currency code, e.g. EUR' })
  .toUpperCase()
  .refine(isCurrency, { error: 'must be a supported ISO 4217 currency code, e.g. EUR' });

/** An appeal's currency: a supported code that people pay in (not one of ISO's fund codes). */
export const appealCurrencySchema = currencyCodeSchema.refine((c) => !FUND_CODES.has(c), { error: 'is an ISO 4217 fund code, which gifts are not given in; choose the currency people pay in' });

/** Minor units travel through JSON as digit strings ("1050"): JSON numbers cannot hold a bigint. */
export const amountMinorStringSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,29})$/, { error: 'must be a whole number of minor units as a string, e.g. "1050"' })
  .transform((value) => BigInt(value));
