/**
 * Whether text shows anything: a character that is not a space, a control or a format character
 * (bidi marks, zero-width spaces, which trim() keeps). A donor name of bidi marks alone passed
 * every length check and stood on the donor wall as a blank name.
 */
export function hasVisibleText(text: string): boolean {
  return /[^\s\p{Cc}\p{Cf}]/u.test(text);
}
