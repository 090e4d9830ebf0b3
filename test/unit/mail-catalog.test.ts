import { readFileSync } from 'node:fs';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { supportedLocales } from '../../web/src/lib/locale';

// Receipts are written inside the poster's batch transaction: a message that does not compile (a
// stray ' or { in a translation) would fail whole batches of gifts. Every language has every
// message, each compiles, and each takes exactly the values the English one takes.
const catalog = (locale: string) => JSON.parse(readFileSync(new URL(`../../server/mail/messages/${locale}.json`, import.meta.url), 'utf8')) as Record<string, string>;
/** An ICU message element as intl-messageformat parses it (types: 1 argument, 2 number, 5 select, 6 plural, 8 tag). */
interface Element {
  type: number;
  value?: string;
  options?: Record<string, { value: Element[] }>;
  children?: Element[];
}

/** The message's arguments, by name, and whether each is counted (a plural or a number). */
function argumentsOf(message: string): Map<string, 'counted' | 'text'> {
  const found = new Map<string, 'counted' | 'text'>();
  const walk = (elements: Element[]) => {
    for (const e of elements) {
      if ([1, 2, 5, 6].includes(e.type) && e.value) found.set(e.value, e.type === 2 || e.type === 6 ? 'counted' : (found.get(e.value) ?? 'text'));
      for (const option of Object.values(e.options ?? {})) walk(option.value);
      if (e.children) walk(e.children);
    }
  };
  walk(new IntlMessageFormat(message, 'en').getAst() as unknown as Element[]);
  return found;
}

describe('the mail catalog', () => {
  const en = catalog('en');
  it.each(supportedLocales.map((l) => [l]))('%s has every message, compiling, with the English placeholders', (locale) => {
    const messages = catalog(locale);
    expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort());
    for (const [key, message] of Object.entries(messages)) {
      const args = argumentsOf(message);
      expect([...args.keys()].sort(), `${locale} ${key}`).toEqual([...argumentsOf(en[key]!).keys()].sort());
      // A counted value is a number (7 days); any other is text that must show in the result.
      const values = Object.fromEntries([...args].map(([name, kind]) => [name, kind === 'counted' ? 7 : `<${name}>`]));
      const text = String(new IntlMessageFormat(message, locale).format(values));
      for (const [name, kind] of args) expect(text, `${locale} ${key}`).toContain(kind === 'counted' ? '7' : `<${name}>`);
      expect(text, `${locale} ${key}: an ASCII apostrophe is ICU's escape`).not.toMatch(/'/);
    }
  });
});
