import { readFileSync } from 'node:fs';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { supportedLocales } from '../../web/src/lib/locale';

// Receipts are written inside the poster's batch transaction: a message that does not compile (a
// stray ' or { in a translation) would fail whole batches of gifts. Every language has every
// message, each compiles, and each takes exactly the values the English one takes.
const catalog = (locale: string) => JSON.parse(readFileSync(new URL(`../../server/mail/messages/${locale}.json`, import.meta.url), 'utf8')) as Record<string, string>;
const placeholders = (message: string) => [...message.matchAll(/\{(\w+)/g)].map((m) => m[1]).sort();

describe('the mail catalog', () => {
  const en = catalog('en');
  it.each(supportedLocales.map((l) => [l]))('%s has every message, compiling, with the English placeholders', (locale) => {
    const messages = catalog(locale);
    expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort());
    for (const [key, message] of Object.entries(messages)) {
      expect(placeholders(message), `${locale} ${key}`).toEqual(placeholders(en[key]!));
      const values = Object.fromEntries(placeholders(message).map((p) => [p, `<${p}>`]));
      const text = String(new IntlMessageFormat(message, locale).format(values));
      for (const p of placeholders(message)) expect(text, `${locale} ${key}`).toContain(`<${p}>`);
      expect(text, `${locale} ${key}: an ASCII apostrophe is ICU's escape`).not.toMatch(/'/);
    }
  });
});
