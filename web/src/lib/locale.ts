export const supportedLocales = ['en', 'fr', 'de', 'es', 'ja', 'sv', 'ar', 'ru'] as const;
export type Locale = (typeof supportedLocales)[number];

/** Each language named in itself, for the switcher. */
export const localeNames: Record<Locale, string> = {
  en: 'English',
  fr: 'Français',
  de: 'Deutsch',
  es: 'Español',
  ja: '日本語',
  sv: 'Svenska',
  ar: 'العربية',
  ru: 'Русский',
};

/** How long the language cookie lasts: a year, since it is a preference, not a session. */
export const localeCookieMaxAgeSeconds = 365 * 24 * 3600;

/** The cookie that remembers a language chosen in the switcher (it wins over Accept-Language). */
export const localeCookie = 'lang';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (supportedLocales as readonly string[]).includes(value);
}

/** Accept-Language's tags as sent, most wanted first (by quality; those refused with q=0 left out), at most 20. */
export function rankedLanguageTags(acceptLanguage: string): string[] {
  return acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.trim(), q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q)
    .map((r) => r.tag);
}

/** The first supported language in Accept-Language order (quality-sorted), or null when it names none. */
export function matchLocale(acceptLanguage: string | null): Locale | null {
  if (!acceptLanguage) return null;
  const ranked = rankedLanguageTags(acceptLanguage).map((tag) => ({ base: tag.toLowerCase().split('-')[0] ?? '' }));
  const hit = ranked.find((r) => isLocale(r.base));
  return (hit?.base as Locale | undefined) ?? null;
}

/** The first supported language in Accept-Language order (quality-sorted), else English. */
export function pickLocale(acceptLanguage: string | null): Locale {
  return matchLocale(acceptLanguage) ?? 'en';
}

/** The cookie's language if it names one we have, else the browser's. */
export function chooseLocale(cookie: string | undefined, acceptLanguage: string | null): Locale {
  return isLocale(cookie) ? cookie : pickLocale(acceptLanguage);
}

export function textDirection(locale: string): 'rtl' | 'ltr' {
  // A regional Arabic ("ar-DZ", a mail's format locale) is written right to left as Arabic is.
  return locale === 'ar' || locale.startsWith('ar-') ? 'rtl' : 'ltr';
}

/** A language's own name for it, or its code when the app does not write in it. */
export const localeName = (l: string): string => localeNames[l as Locale] ?? l;

/**
 * The languages a translation form offers: editing, the one being edited; adding, those without a
 * translation yet and never the original's (saving one that exists would replace it unseen); and
 * first, the one a refused form was sent in, so that it comes back as it was sent.
 */
export function translationChoices(original: string, translated: readonly string[], editing: string | undefined, sentLanguage: string | undefined): Locale[] {
  const others = supportedLocales.filter((l) => l !== original);
  const base = editing !== undefined ? [editing as Locale] : others.filter((l) => !translated.includes(l));
  return sentLanguage !== undefined && !base.includes(sentLanguage as Locale) && (others as string[]).includes(sentLanguage) ? [sentLanguage as Locale, ...base] : base;
}
