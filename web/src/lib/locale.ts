export const supportedLocales = ['en', 'fr', 'de', 'es', 'ja', 'sv', 'ar', 'ru'] as const;
export type Locale = (typeof supportedLocales)[number];

/** The first supported language in Accept-Language order (quality-sorted), else English. */
export function pickLocale(acceptLanguage: string | null): Locale {
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { base: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .sort((a, b) => b.q - a.q);
  const hit = ranked.find((r) => (supportedLocales as readonly string[]).includes(r.base));
  return (hit?.base as Locale | undefined) ?? 'en';
}

export function textDirection(locale: string): 'rtl' | 'ltr' {
  return locale === 'ar' ? 'rtl' : 'ltr';
}
