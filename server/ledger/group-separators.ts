// Characters that only ever group digits in a typed number, never separate decimals, in any
// language: apostrophes (Swiss "1'000"), U+066C ARABIC THOUSANDS SEPARATOR and U+3001 IDEOGRAPHIC
// COMMA (the comma key of a Japanese IME in kana mode). Whitespace groups as well; callers test it
// apart. With no imports: parseAmount (money.ts) reads amounts with it on the server, parseUnits
// (web/src/lib/amounts.ts) numbers of units with it in the browser too.
export const GROUP_ONLY_SEPARATORS = "'\u2019\u066C\u3001";

export function isGroupOnlySeparator(char: string): boolean {
  return char.length === 1 && GROUP_ONLY_SEPARATORS.includes(char);
}
