import { z } from 'zod';
import { isLocale, matchLocale, supportedLocales, type Locale } from '../web/src/lib/locale';

/** A language the app writes in, as the API takes it. */
export const localeSchema = z.enum(supportedLocales);

/** The cookie the web's language switcher sets. */
const languageCookie = /(?:^|;\s*)lang=([a-z]{2})(?:;|$)/;

/**
 * The language a browser's request says its person reads: the switcher's choice, else the first
 * of Accept-Language we write in. Null when it says nothing we can use: a guess is not a choice.
 */
export function knownLocaleOfRequest(headers: Headers | undefined): Locale | null {
  const chosen = headers?.get('cookie')?.match(languageCookie)?.[1];
  return isLocale(chosen) ? chosen : matchLocale(headers?.get('accept-language') ?? null);
}

/** The language to write to a request's person in: as known, else English. */
export function localeOfRequest(headers: Headers | undefined): Locale {
  return knownLocaleOfRequest(headers) ?? 'en';
}
