import type { AppealDetail } from './types';

type Translation = AppealDetail['translations'][number];

/**
 * The organizers' translation a reader of `locale` gets: the one in their language, except in the
 * appeal's own language, where the page shows the original whatever translation is stored.
 */
export function translationFor<T extends { language: string } = Translation>(appeal: { language: string; translations: T[] }, locale: string): T | undefined {
  return appeal.language === locale ? undefined : appeal.translations.find((t) => t.language === locale);
}

/**
 * The appeal's unit as a reader of `locale` sees it named: the translation's name where it gives
 * one, else the original ("brick"), with the language that name is written in (so English can
 * inflect an English name, and only that). Price and count never change with the language.
 */
export function unitFor(appeal: Pick<AppealDetail, 'language' | 'translations' | 'unit'>, locale: string): (NonNullable<AppealDetail['unit']> & { language: string }) | null {
  if (!appeal.unit) return null;
  const translated = translationFor(appeal, locale)?.unitName;
  return translated ? { ...appeal.unit, name: translated, language: locale } : { ...appeal.unit, language: appeal.language };
}
