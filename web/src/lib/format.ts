import { isoExponents, placeDecimal } from '../../../server/ledger/iso-currencies';
import { formatLocaleFor } from './format-locale';
import { dateTimeFormat, languageNames, numberFormat } from './intl-cache';
import { textDirection } from './locale';

/**
 * Formats an amount given as a string of minor units, exactly (no float on the way): Intl formats a
 * decimal string at full precision. The decimals are ISO 4217's, as in the ledger (CLDR's display
 * digits differ for a few currencies, e.g. IQD).
 *
 * `code` shows the ISO code ("USD 25.00", "25,00 USD") where a symbol could be another dollar's.
 *
 * In a right-to-left language the amount comes back as one isolated piece (see `rtlAmount`);
 * left-to-right languages get Intl's string exactly.
 */
export function formatMinor(amountMinor: string, currency: string, locale: string, currencyDisplay: 'symbol' | 'code' = 'symbol'): string {
  const exponent = isoExponents.get(currency) ?? 2;
  const nf = numberFormat(locale, { style: 'currency', currency, currencyDisplay, minimumFractionDigits: exponent, maximumFractionDigits: exponent });
  const value = placeDecimal(BigInt(amountMinor), exponent) as unknown as number;
  return textDirection(locale) === 'rtl' ? rtlAmount(nf.formatToParts(value)) : nf.format(value);
}

/**
 * An amount for right-to-left text. Arabic's "‏-25.00 US$" (with its RLM/LRM marks) set bare in a
 * right-to-left line was reordered by the bidi algorithm: "$" is a neutral that left "US" behind,
 * so readers saw "$-25.00 US" and "$US 25.00". Here the currency symbol is isolated on its own
 * (FSI…PDI: "US$" reads left to right, "د.ك." right to left), and the whole amount is a
 * right-to-left isolate (RLI…PDI), so it is laid out as CLDR's Arabic pattern means it, number on
 * the right and currency to its left ("US$ 25.00", "US$ -25.00", "د.ك. 0.750" as seen), however a
 * sentence or table cell around it runs, and it cannot pull neighbouring words into itself.
 */
function rtlAmount(parts: Intl.NumberFormatPart[]): string {
  return `\u2067${parts.map((p) => (p.type === 'currency' ? `\u2068${p.value}\u2069` : p.value)).join('')}\u2069`;
}

/** The same amount without the currency, as a reader would type it ("1.234,50" in German). */
export function formatMinorPlain(amountMinor: string, currency: string, locale: string): string {
  const exponent = isoExponents.get(currency) ?? 2;
  const nf = numberFormat(locale, { minimumFractionDigits: exponent, maximumFractionDigits: exponent });
  return nf.format(placeDecimal(BigInt(amountMinor), exponent) as unknown as number);
}

/** An example of a typed amount in this currency and locale: 1,234.50 · 3,000 · 1.234,500. */
export function amountExample(currency: string, locale: string): string {
  const exponent = isoExponents.get(currency) ?? 2;
  return formatMinorPlain(exponent === 0 ? '3000' : (12_345n * 10n ** BigInt(exponent - 1)).toString(), currency, locale);
}

/** A price a unit could have, for a hint: one of the currency ($1.00, KWD 1.000), ¥100 where the smallest coin is one. */
export function unitPriceExample(currency: string, locale: string): string {
  const exponent = isoExponents.get(currency) ?? 2;
  return formatMinor(exponent === 0 ? '100' : (10n ** BigInt(exponent)).toString(), currency, locale);
}

export function currencyExponentOf(currency: string): number {
  return isoExponents.get(currency) ?? 2;
}

/** A language named in the reader's (`locale`) words, as a sentence names it: "Spanish", "スペイン語", "испанский". */
export function languageName(language: string, locale: string): string {
  return languageNames(locale).of(language) ?? language;
}

export function formatInteger(n: number, locale: string): string {
  return numberFormat(locale).format(n);
}

/**
 * An appeal's deadline: a day the organizer chose, kept as its last second in UTC, so it is the
 * same day wherever it is read (in Tokyo the 31st's last second UTC is already the 1st).
 */
export function formatDay(iso: string, locale: string): string {
  return rtlIsolate(locale, dateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(iso)));
}

/**
 * A zone's short name as `locale` writes it on the day `at` ("UTC", "GMT+9"): said beside a date
 * whose reader could not otherwise know whose calendar it is on. In Arabic an isolated piece whose
 * offset is isolated again (rtlZone): bare in a right-to-left sentence "غرينتش+1" read "1+غرينتش".
 */
export function zoneName(at: Date, locale: string, timeZone: string): string {
  // A zone changes its name only at a whole minute (every offset since 1972 is whole minutes, and
  // so is every change's local time), and formatToParts costs more than the rest of a receipt's
  // date: the poster names UTC beside the date of every receipt to a donor who said no zone.
  const key = `${locale}|${timeZone}|${Math.floor(at.getTime() / 60_000)}`;
  let name = zoneNames.get(key);
  if (name === undefined) {
    if (zoneNames.size >= zoneNamesMax) zoneNames.clear();
    const short = dateTimeFormat(locale, { timeZoneName: 'short', timeZone }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
    zoneNames.set(key, (name = textDirection(locale) === 'rtl' ? isolate(rtlZone(short)) : short));
  }
  return name;
}

const zoneNamesMax = 2_000;
const zoneNames = new Map<string, string>();

/**
 * A zone's name for right-to-left text: its offset ("+1", "-3:30", "+١") isolated. It has no
 * strong letter, so the isolate lays it out left to right and the sign stays before its digits;
 * bare, the sign is a neutral that the Arabic "غرينتش" before it pulled to the digits' other side.
 */
export function rtlZone(name: string): string {
  return name.replace(/[+\-\u2212][0-9\u0660-\u0669\u06F0-\u06F9:]+/gu, (offset) => isolate(offset));
}

/**
 * A value (a date, a time, a zone's name) set inside a sentence of `locale`: in a right-to-left
 * language one isolated piece, so its digits, Latin letters and signs keep their order however
 * the Arabic sentence around it runs; left-to-right languages get it as it is.
 */
export function rtlIsolate(locale: string, value: string): string {
  return textDirection(locale) === 'rtl' ? isolate(value) : value;
}

export type TimeLeft = { unit: 'days' | 'hours'; count: number } | { unit: 'ended' };

/** Whole days left (rounded up), or hours on the last day; `ended` once the deadline passed. */
export function timeLeft(deadlineIso: string, nowMs: number): TimeLeft {
  const leftMs = Date.parse(deadlineIso) - nowMs;
  if (leftMs <= 0) return { unit: 'ended' };
  if (leftMs < 86_400_000) return { unit: 'hours', count: Math.max(1, Math.ceil(leftMs / 3_600_000)) };
  return { unit: 'days', count: Math.ceil(leftMs / 86_400_000) };
}

const relativeSteps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['minute', 60],
  ['hour', 3_600],
  ['day', 86_400],
  ['month', 2_592_000],
  ['year', 31_536_000],
];

/** "5 minutes ago", "yesterday", in the reader's language; null under a minute ("just now"). */
export function formatRelative(iso: string, nowMs: number, locale: string): string | null {
  const seconds = Math.round((Date.parse(iso) - nowMs) / 1000);
  if (Math.abs(seconds) < 60) return null;
  const rtf = new Intl.RelativeTimeFormat(formatLocaleFor(locale), { numeric: 'auto' });
  let unit: Intl.RelativeTimeFormatUnit = 'minute';
  let size = 60;
  for (const [u, s] of relativeSteps) if (Math.abs(seconds) >= s) [unit, size] = [u, s];
  return rtf.format(Math.round(seconds / size), unit);
}

/**
 * A sentence that ends in an amount ends on one full stop. Arabic writes the dinar and the dirham
 * as abbreviations with their own dot ("د.ج.", "د.ك."), so "أقل تبرع هو {amount}." was read as
 * "… 1.500,00 د.ج.." (the bidi marks and isolates between the two dots are invisible): as in
 * print, the abbreviation's dot closes the sentence. Only a dot right at the end is dropped.
 */
export function oneFullStop(sentence: string): string {
  return sentence.replace(/\.(\p{Cf}*)\.$/u, '.$1');
}

/**
 * Someone else's words (a title) set inside a sentence: isolated, so a Latin title in an Arabic
 * sentence, or an Arabic one in English, does not reorder the words around it.
 */
export function isolate(text: string): string {
  return `\u2068${text}\u2069`;
}
