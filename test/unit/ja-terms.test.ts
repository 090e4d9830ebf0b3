import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// One product, one word: a Japanese reader meets the donor wall and the beneficiary under the same
// name on every page and in every mail. The chosen words are 寄付者の壁 / 壁 (not ウォール) and 支援先
// (not 受益者); a text bringing the other spelling back fails here.
const files = ['web/messages/ja.json', 'server/mail/messages/ja.json'];
const banned: [RegExp, string][] = [
  [/ウォール/, '壁'],
  [/受益者/, '支援先'],
];

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('Japanese texts use one term for each thing', () => {
  for (const file of files) {
    it(file, () => {
      const json = JSON.parse(readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8'));
      const found: string[] = [];
      for (const [key, value] of Object.entries(json)) {
        for (const text of strings(value)) {
          for (const [word, instead] of banned) if (word.test(text)) found.push(`${key}: ${text} (use ${instead})`);
        }
      }
      expect(found).toEqual([]);
    });
  }
});
