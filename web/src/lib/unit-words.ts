import pluralize from 'pluralize';
import { textDirection } from './locale';

/**
 * What the messages that count an appeal's unit are given: the unit as shown, and which English
 * sentence takes it. English inflects a name it can read ("1 brick", "25 bricks", "boxes",
 * "people"); a name in another language ("レンガ", "кирпич") is set apart as written ("レンガ: 0 of
 * 1,300 laid"), as every other language's messages always set it, whatever its language.
 */
export type UnitWords = { unit: string; unitForm: 'inflected' | 'named' };

const english = (language: string) => /^en(-|$)/i.test(language);

/**
 * The unit's words for a reader of `locale`: `unit` as unitFor gives it (its name, in the singular,
 * and that name's language); `count` the number the sentence puts before it, or none for a sentence
 * about units in general ("How many bricks?"). Pure, so the server and the page say the same.
 */
export function unitWords(unit: { name: string; language: string }, locale: string, count?: number): UnitWords {
  if (!english(locale) || !english(unit.language)) return { unit: shownUnitName(unit.name, locale), unitForm: 'named' };
  // The organizer names one unit: one is said as they wrote it.
  return { unit: count === 1 ? unit.name : pluralUnit(unit.name), unitForm: 'inflected' };
}

/** "brick" → "bricks", "family" → "families", "bag of rice" → "bags of rice" (the head noun). */
function pluralUnit(name: string): string {
  const of = /^(\S+)(\s+of\s+\S.*)$/i.exec(name);
  return of ? pluralize.plural(of[1]!) + of[2] : pluralize.plural(name);
}

/**
 * The unit's name as set into a sentence of `locale`, isolated (U+2068…U+2069) where its direction
 * may differ from the sentence's: in a right-to-left language always (an untranslated "brick" at the
 * start of "{unit}: 0 من 1,300" would otherwise run together with the count as one left-to-right
 * piece), and in a left-to-right one when the name has right-to-left letters (the count after
 * "طوبة: 0 of 1,300 laid" would otherwise be read into the Arabic name, before it). A Latin or CJK
 * name in a left-to-right sentence is left as written.
 */
export function shownUnitName(name: string, locale: string): string {
  return textDirection(locale) === 'rtl' || RIGHT_TO_LEFT_LETTER.test(name) ? `\u2068${name}\u2069` : name;
}

// Hebrew, Arabic, Syriac, Thaana, N'Ko and the Arabic presentation forms.
const RIGHT_TO_LEFT_LETTER = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/u;
