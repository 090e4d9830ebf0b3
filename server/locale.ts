import { z } from 'zod';
import { chooseLocale, isLocale, localeCookie, matchLocale, supportedLocales, type Locale } from '../web/src/lib/locale';

/** A language the app writes in, as the API takes it. */
export const localeSchema = z.enum(supportedLocales);

/**
 * `?lang=`: the language a page reads the answer in, so the API names things as that page does.
 * A value we do not write in counts as none: it only ever picks a language, so it is not refused.
 */
export const readerLocaleQuery = z
  .string()
  .optional()
  .transform((v) => (isLocale(v) ? v : undefined));

/** The language switcher's cookie, in a Cookie header. */
const languageCookie = new RegExp(`(?:^|;\\s*)${localeCookie}=([a-z]{2})(?:;|$)`);
const chosenIn = (headers: Headers | undefined) => headers?.get('cookie')?.match(languageCookie)?.[1];

/**
 * The language a browser's request says its person reads: the switcher's choice, else the first
 * of Accept-Language we write in. Null when it says nothing we can use: a guess is not a choice.
 */
export function knownLocaleOfRequest(headers: Headers | undefined): Locale | null {
  const chosen = chosenIn(headers);
  return isLocale(chosen) ? chosen : matchLocale(headers?.get('accept-language') ?? null);
}

/** The language to write to a request's person in: as known, else English. */
export function localeOfRequest(headers: Headers | undefined): Locale {
  return chooseLocale(chosenIn(headers), headers?.get('accept-language') ?? null);
}
