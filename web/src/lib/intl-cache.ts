import { formatLocaleFor } from './format-locale';

// Building an Intl formatter costs far more than using one: the poster formats an amount for every
// gift's receipt, a treasurer's page one for every row. Locales may come from Accept-Language, so
// the cache is bounded: past its size it starts again.
const sizeMax = 500;
const built = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.DisplayNames>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.DisplayNames>(key: string, build: () => T): T {
  let found = built.get(key) as T | undefined;
  if (!found) {
    if (built.size >= sizeMax) built.clear();
    built.set(key, (found = build()));
  }
  return found;
}

/**
 * `new Intl.NumberFormat(locale, options)`, built once per locale and options. A page's language
 * formats in its reader's region (es → es-MX, see format-locale.ts): every number a page shows
 * comes through here, so none is written Spain's way beside one written Mexico's.
 */
export function numberFormat(language: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const locale = formatLocaleFor(language);
  return cached(`n|${locale}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));
}

/** `new Intl.DateTimeFormat(locale, options)`, built once per locale and options, in the reader's region as numberFormat. */
export function dateTimeFormat(language: string, options: Intl.DateTimeFormatOptions = {}): Intl.DateTimeFormat {
  const locale = formatLocaleFor(language);
  return cached(`d|${locale}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));
}

/** Languages' names in `locale` ("スペイン語" for es in Japanese), built once per locale. */
export function languageNames(locale: string): Intl.DisplayNames {
  return cached(`l|${locale}`, () => new Intl.DisplayNames(locale, { type: 'language' }));
}
