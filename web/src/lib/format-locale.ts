import { rankedLanguageTags, type Locale } from './locale';

/**
 * The locale numbers, amounts and dates are written in: the page's language, in the reader's region
 * when their browser names one for that language. A member in Mexico City reads Spanish pages and
 * writes 200,000.00 (Spain writes 200.000,00); one in Oran reads Arabic and writes Latin digits with
 * a decimal comma. The text stays in the page's language; only Intl's formats follow the region.
 *
 * Only a region (or script) of the chosen language counts: a reader who chose Arabic in the
 * switcher but whose browser says es-MX gets Arabic's own formats, never Mexico's.
 */
export function regionalLocale(language: Locale, acceptLanguage: string | null): string {
  if (!acceptLanguage) return language;
  for (const tag of rankedLanguageTags(acceptLanguage)) {
    const regional = regionalFormatOf(tag, language);
    if (regional !== undefined) return regional;
  }
  return language;
}

/**
 * The language, script and region of a browser's tag when it is `language`'s and names more than
 * the language, canonical ("es-mx" is "es-MX") and known to Intl; undefined otherwise. Extensions
 * ("-u-nu-…") and variants are dropped: a header is not a place to pick a numbering system from,
 * and the server and the browser must agree on every part of the tag. A tag sent with a gift, or
 * read back from one, is checked again here, never used as it came.
 */
export function regionalFormatOf(tag: string, language: Locale): string | undefined {
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){1,8}$/.test(tag)) return undefined;
  let parsed: Intl.Locale;
  try {
    parsed = new Intl.Locale(Intl.getCanonicalLocales(tag)[0] ?? '');
  } catch {
    return undefined;
  }
  if (parsed.language !== language || (!parsed.region && !parsed.script)) return undefined;
  const bare = new Intl.Locale(language, { ...(parsed.script ? { script: parsed.script } : {}), ...(parsed.region ? { region: parsed.region } : {}) }).toString();
  return Intl.NumberFormat.supportedLocalesOf([bare]).length === 1 && Intl.DateTimeFormat.supportedLocalesOf([bare]).length === 1 ? bare : undefined;
}

/** What a page knows of its reader's formats: the language it is written in, and the locale to format in. */
export interface ReaderFormat {
  language: string;
  locale: string;
}

// Until a source is set (a unit test, a mail written outside any page): each language's own formats.
let source: () => ReaderFormat | undefined = () => undefined;

/**
 * Where the reader's formatting locale comes from: on the server each request's (hooks.server.ts,
 * never the API's work inside it, so mails keep their language's formats); in the browser the one
 * the page was rendered with (the root layout's data), so both render the same digits.
 */
export function readFormatLocaleFrom(read: () => ReaderFormat | undefined): void {
  source = read;
}

/**
 * The locale to format in for text written in `language`: the reader's regional locale when the
 * text is in the reader's language, else the language itself.
 */
export function formatLocaleFor(language: string): string {
  const reader = source();
  return reader && reader.language === language ? reader.locale : language;
}
