import { z } from 'zod';
import { chooseLocale, supportedLocales, type Locale } from '../web/src/lib/locale';

/** A language the app writes in, as the API takes it. */
export const localeSchema = z.enum(supportedLocales);

/** The cookie the web's language switcher sets. */
const languageCookie = /(?:^|;\s*)lang=([a-z]{2})(?:;|$)/;

/** The language a browser's request asks for: the switcher's choice, else Accept-Language, else English. */
export function localeOfRequest(headers: Headers | undefined): Locale {
  const chosen = headers?.get('cookie')?.match(languageCookie)?.[1];
  return chooseLocale(chosen, headers?.get('accept-language') ?? null);
}
