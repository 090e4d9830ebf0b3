import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MoneyError, parseAmount } from '../../server/ledger/money';
import { amountExample, formatDay, formatMinor, formatMinorPlain, oneFullStop } from '../../web/src/lib/format';
import { formatLocaleFor, readFormatLocaleFrom, regionalLocale } from '../../web/src/lib/format-locale';
import type { Locale } from '../../web/src/lib/locale';

// A member in Mexico City reads the Spanish pages: they showed Spain's "200.000,00 MXN" and refused
// the "1,500" she typed. Numbers and dates now follow the region her browser names for the page's
// language; what is typed is read by the same convention the page shows.

afterEach(() => readFormatLocaleFrom(() => undefined));

const readerIn = (language: Locale, locale: string) => readFormatLocaleFrom(() => ({ language, locale }));

/** The MoneyError code `run` throws, or 'no error'. */
function errorCode(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (error) {
    if (error instanceof MoneyError) return error.code;
    throw error;
  }
}

describe('the formatting locale of a request', () => {
  it("is the page's language in the first region Accept-Language names for it", () => {
    expect(regionalLocale('es', 'es-MX,es;q=0.9,en;q=0.8')).toBe('es-MX');
    expect(regionalLocale('es', 'es-mx')).toBe('es-MX');
    expect(regionalLocale('ar', 'ar-DZ,fr;q=0.8')).toBe('ar-DZ');
    // The switcher chose Spanish; the browser speaks English first but names Mexico for Spanish.
    expect(regionalLocale('es', 'en-US,es-MX;q=0.5')).toBe('es-MX');
    expect(regionalLocale('es', 'es-419')).toBe('es-419');
    expect(regionalLocale('ja', 'ja-jpan-jp')).toBe('ja-Jpan-JP');
  });

  it("is the language itself when no region of it is named, or the tag is not one Intl knows", () => {
    // Arabic chosen in the switcher on a Mexican browser: Arabic's formats, never Mexico's.
    expect(regionalLocale('ar', 'es-MX')).toBe('ar');
    expect(regionalLocale('es', 'es')).toBe('es');
    expect(regionalLocale('es', null)).toBe('es');
    expect(regionalLocale('es', 'es-MX;q=0')).toBe('es');
    for (const junk of ['es-@@', 'es_MX', 'es-MX-', '*', 'es-' + 'x'.repeat(40), '<script>']) expect(regionalLocale('es', junk)).toBe('es');
  });

  it('drops extensions: a header does not choose the numbering system', () => {
    expect(regionalLocale('ar', 'ar-DZ-u-nu-arab')).toBe('ar-DZ');
  });

  it("is used only for text in the reader's language", () => {
    readerIn('es', 'es-MX');
    expect(formatLocaleFor('es')).toBe('es-MX');
    expect(formatLocaleFor('fr')).toBe('fr');
    expect(formatLocaleFor('en-US')).toBe('en-US');
  });
});

describe('amounts and dates in the reader’s region', () => {
  it('shows a Mexican reader 200,000.00, where Spain’s convention showed 200.000,00', () => {
    expect(formatMinor('20000000', 'MXN', 'es')).toBe('200.000,00\u00a0MXN');
    readerIn('es', 'es-MX');
    expect(formatMinor('20000000', 'MXN', 'es')).toBe('$200,000.00');
    expect(formatMinorPlain('150000', 'MXN', 'es')).toBe('1,500.00');
    expect(amountExample('MXN', 'es')).toBe('1,234.50');
    expect(formatDay('2026-12-31T23:59:59Z', 'es')).toBe('31 de diciembre de 2026');
  });

  it('shows a reader in Oran Latin digits, grouped and with the decimal comma of Algeria', () => {
    expect(formatMinor('150000', 'DZD', 'ar')).toContain('1,500.00');
    readerIn('ar', 'ar-DZ');
    expect(formatMinor('150000', 'DZD', 'ar')).toBe('\u2067\u200f1.500,00\u00a0\u2068د.ج.\u2069\u200f\u2069');
  });
});

describe('a typed amount, read as the page writes amounts', () => {
  it('is 1500.00 MXN for "1,500" in Mexico, still refused (never misread as 1.5) in Spain', () => {
    expect(parseAmount('1,500', 'MXN', 'es-MX')).toBe(150000n);
    expect(parseAmount('$1,500.00', 'MXN', 'es-MX')).toBe(150000n);
    expect(errorCode(() => parseAmount('1,500', 'MXN', 'es'))).toBe('money.too_many_decimals');
    // Spain's "1.500" in Mexico is one and a half with too many decimals: refused, not 1500.
    expect(errorCode(() => parseAmount('1.500', 'MXN', 'es-MX'))).toBe('money.too_many_decimals');
    expect(parseAmount('1.500', 'DZD', 'ar-DZ')).toBe(150000n);
    expect(errorCode(() => parseAmount('1,500', 'DZD', 'ar-DZ'))).toBe('money.too_many_decimals');
  });

  // Every regional locale we claim: what the page shows (an amount, with or without its currency,
  // and the example in the hint) is read back as the same minor units.
  const claimed: [Locale, string][] = [
    ['es', 'es-MX'], ['es', 'es-AR'], ['es', 'es-CO'], ['es', 'es-US'], ['es', 'es-419'],
    ['ar', 'ar-DZ'], ['ar', 'ar-MA'], ['ar', 'ar-TN'], ['ar', 'ar-EG'], ['ar', 'ar-SA'],
    ['de', 'de-CH'], ['de', 'de-AT'], ['fr', 'fr-CA'], ['fr', 'fr-CH'], ['fr', 'fr-BE'],
    ['en', 'en-IN'], ['en', 'en-GB'], ['en', 'en-CA'], ['en', 'en-ZA'], ['sv', 'sv-FI'],
    ['ru', 'ru-UA'], ['ru', 'ru-KZ'], ['ja', 'ja-JP'],
  ];
  const currencies = ['MXN', 'USD', 'EUR', 'CHF', 'INR', 'JPY', 'KWD', 'DZD', 'SEK'];

  it('round-trips: format, then parse, gives the same minor units in every claimed regional locale', () => {
    fc.assert(
      fc.property(fc.constantFrom(...claimed), fc.constantFrom(...currencies), fc.bigInt(0n, 10n ** 13n), ([language, locale], currency, amountMinor) => {
        readerIn(language, locale);
        const minor = amountMinor.toString();
        expect(parseAmount(formatMinorPlain(minor, currency, language), currency, locale)).toBe(amountMinor);
        expect(parseAmount(formatMinor(minor, currency, language), currency, locale)).toBe(amountMinor);
        expect(errorCode(() => parseAmount(amountExample(currency, language), currency, locale))).toBe('no error');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('a sentence ending in an amount', () => {
  it('ends on one dot where the currency is an abbreviation with its own (Arabic dinars)', () => {
    const amount = formatMinor('150000', 'DZD', 'ar');
    const said = oneFullStop(`أقل تبرع هو ${amount}.`);
    expect(said.replace(/\p{Cf}/gu, '')).toBe('أقل تبرع هو 1,500.00\u00a0د.ج.');
    expect(oneFullStop('The smallest gift is $0.50.')).toBe('The smallest gift is $0.50.');
    expect(oneFullStop('Give 1.500 DZD. Thanks.')).toBe('Give 1.500 DZD. Thanks.');
  });
});
