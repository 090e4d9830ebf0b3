/**
 * Whether text shows anything: a character that is not a space, a control or format character
 * (bidi marks, zero-width spaces, which trim() keeps), one Unicode says to show as nothing
 * (Default_Ignorable: the Hangul fillers, the combining grapheme joiner) or the blank braille cell.
 * A donor name of such characters alone passed every length check and stood on the donor wall
 * as a blank name.
 */
export function hasVisibleText(text: string): boolean {
  return /[^\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u.test(text);
}
