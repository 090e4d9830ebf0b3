import { IntlMessageFormat } from 'intl-messageformat';
import { formatMinor, rtlIsolate, zoneName } from '../../web/src/lib/format';
import { regionalFormatOf } from '../../web/src/lib/format-locale';
import { dateTimeFormat } from '../../web/src/lib/intl-cache';
import { isLocale, type Locale } from '../../web/src/lib/locale';
import { isTimeZone } from '../../web/src/lib/time-zone';
import ar from './messages/ar.json' with { type: 'json' };
import de from './messages/de.json' with { type: 'json' };
import en from './messages/en.json' with { type: 'json' };
import es from './messages/es.json' with { type: 'json' };
import fr from './messages/fr.json' with { type: 'json' };
import ja from './messages/ja.json' with { type: 'json' };
import ru from './messages/ru.json' with { type: 'json' };
import sv from './messages/sv.json' with { type: 'json' };

// The mails people get (receipts, a failed gift, a sign-in link), in their language. The web's
// messages are compiled by Paraglide inside Vite (its runtime reads import.meta.env), which the
// server process does not run; so the mails keep their own small catalog, in ICU MessageFormat.
type Key = keyof typeof en;
const catalogs: Record<Locale, Record<Key, string>> = { en, fr, de, es, ja, sv, ar, ru };

/** The language we write in for `locale`, a language or a regional locale of one (English for one we do not). */
function languageOf(locale: string): Locale {
  const language = locale.split('-', 1)[0];
  return isLocale(language) ? language : 'en';
}

/**
 * The locale a mail to this donor writes amounts and dates in: the one their page wrote them in
 * when they gave ("es-MX"), checked again as it is read; their language's own for a gift stored
 * without one (before it was kept, or given from a page with no region). Text stays in `locale`.
 */
export function mailFormatOf(gift: { locale: string; formatLocale: string | null }): string {
  const language = languageOf(gift.locale);
  const format = gift.formatLocale ? formatOf(gift.formatLocale) : language;
  return languageOf(format) === language ? format : language;
}

// The poster writes a receipt per gift: each tag is checked with Intl once. Bounded, as tags are stored text.
const formats = new Map<string, string>();
/** The locale Intl formats in for `locale`: a regional locale of one of our languages as it is, else the language. */
function formatOf(locale: string): string {
  let found = formats.get(locale);
  if (found === undefined) {
    if (formats.size >= 500) formats.clear();
    const language = languageOf(locale);
    formats.set(locale, (found = isLocale(locale) ? locale : (regionalFormatOf(locale, language) === locale ? locale : language)));
  }
  return found;
}

// Messages are costly to compile and the poster writes a receipt per gift: each is compiled once
// (dates and amounts come from the pages' own formatter cache, web/src/lib/intl-cache.ts).
const compiled = new Map<string, IntlMessageFormat>();
function once(id: string, build: () => IntlMessageFormat): IntlMessageFormat {
  let found = compiled.get(id);
  if (!found) compiled.set(id, (found = build()));
  return found;
}

/** One message in `locale` (English for a language we do not write in), with its values filled in. */
export function mailText(locale: string, key: Key, values: Record<string, string | number> = {}): string {
  const lang = languageOf(locale);
  return oneDotAfterAbbreviation(String(once(`text:${lang}:${key}`, () => new IntlMessageFormat(catalogs[lang][key], lang)).format(values)));
}

/**
 * Arabic writes the dinar and the dirham as abbreviations with their own dot ("د.ج."): a sentence
 * that ends on such an amount would end "د.ج.." (the isolates between the dots are invisible). As
 * in print, the abbreviation's dot closes the sentence. An ellipsis is left as it is.
 */
function oneDotAfterAbbreviation(text: string): string {
  // Most sentences have one dot, their last: no regular expression for them (a receipt has a dozen).
  if (text.indexOf('.') === text.lastIndexOf('.')) return text;
  return text.replace(/(?<!\.)\.(\p{Cf}*)\.(?!\.)/gu, '.$1');
}

/**
 * A day in the donor's language ("5 December 2026", "2026年12月5日") on their calendar: in the zone
 * their browser said when they gave. Without one (they gave without JavaScript, or the zone is
 * one this runtime's time zone data lacks), UTC's day, which says so: "5 December 2026 (UTC)" is
 * no date a donor in Tokyo takes for her own 5th. `locale` may be a regional one (mailFormatOf):
 * the digits and their order are then that region's, the words the language's. Every such date
 * is set in a sentence: in Arabic it comes as one isolated piece (`isolated`), not to be isolated again.
 */
export function mailDate(locale: string, at: Date, timeZone: string | null = null): string {
  const format = formatOf(locale);
  if (isTimeZone(timeZone)) return isolated(locale, dateTimeFormat(format, { dateStyle: 'long', timeZone }).format(at));
  const date = dateTimeFormat(format, { dateStyle: 'long', timeZone: 'UTC' }).format(at);
  // In Arabic the zone's name comes isolated (zoneName), and the whole date is isolated again: both go in a sentence.
  return isolated(locale, mailText(locale, 'date_in_zone', { date, zone: zoneName(at, format, 'UTC') }));
}

/** A deadline in the reader's language, with its time, in UTC (the mail cannot know their zone); isolated in Arabic. */
export function mailDeadline(locale: string, at: Date): string {
  const lang = languageOf(locale);
  return isolated(locale, `${dateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(at)} UTC`);
}

/**
 * An amount in a mail, laid out as the pages lay it out (formatMinor): in Arabic an isolated piece,
 * "US$ 25.00", where the first-strong isolate of `isolated` let Intl's leading RLM turn "US$"
 * into "$US". In a regional `locale` (mailFormatOf) as that region writes it: "$1,500.00" in es-MX.
 */
export function mailAmount(locale: string, amountMinor: bigint, currency: string): string {
  return formatMinor(amountMinor.toString(), currency, formatOf(locale));
}

/**
 * Isolates a value (a title, a date) from the sentence around it, so that digits and Latin
 * letters keep their order inside a right-to-left sentence (Unicode's first-strong isolate): the
 * pages' own rule (rtlIsolate), so a mail and a page set a value apart alike.
 */
export const isolated = rtlIsolate;

/** A plain-text mail's body: its paragraphs, a blank line between, ending in a newline. */
export const paragraphs = (...parts: string[]) => `${parts.join('\n\n')}\n`;

/** A mail to a donor about one gift: greeted by name, `middle`, then the gift's reference and the closing. */
export const giftMailBody = (locale: string, gift: { id: string; donorName: string | null }, ...middle: string[]) =>
  paragraphs(greeting(locale, gift.donorName), ...middle, mailText(locale, 'gift_reference', { reference: gift.id }), mailText(locale, 'closing'));

/** "Dear Ana," or the greeting without a name, in the donor's language. */
export function greeting(locale: string, name: string | null): string {
  return name ? mailText(locale, 'greeting_named', { name: isolated(locale, name) }) : mailText(locale, 'greeting');
}
