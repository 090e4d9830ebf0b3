import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { AppError } from '../../server/errors';
import {
  MoneyError,
  SUPPORTED_CURRENCIES,
  amountMinorStringSchema,
  currencyCodeSchema,
  currencyExponent,
  decimalStringToMinor,
  formatAmount,
  formatMinorAsDecimalString,
  fromStripeAmount,
  isCurrency,
  minorUnitsPerMajor,
  parseAmount,
  stripeExponent,
  stripeMaximumChargeMinor,
  stripeMinimumChargeMinor,
  stripeStepMinor,
  toStripeAmount,
  type MoneyErrorCode,
} from '../../server/ledger/money';

// Runs `run` and returns the MoneyError code it throws, failing if it throws anything else.
function errorCode(run: () => unknown): MoneyErrorCode | 'no error' {
  try {
    run();
    return 'no error';
  } catch (error) {
    if (error instanceof MoneyError) return error.code;
    throw error;
  }
}

// The ISO 4217 list-one XML that ships inside currency-codes: the primary source the package's
// JSON is generated from, read independently here.
function isoXmlMinorUnits(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const xml = readFileSync(require.resolve('currency-codes/iso-4217-list-one.xml'), 'utf8');
  const units = new Map<string, string>();
  for (const [, entry] of xml.matchAll(/<CcyNtry>([\s\S]*?)<\/CcyNtry>/g)) {
    const code = /<Ccy>([A-Z]{3})<\/Ccy>/.exec(entry ?? '')?.[1];
    const minor = /<CcyMnrUnts>([^<]+)<\/CcyMnrUnts>/.exec(entry ?? '')?.[1];
    if (code && minor) units.set(code, minor);
  }
  return units;
}

const STRIPE_ZERO_DECIMAL_LIST = ['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const STRIPE_THREE_DECIMAL_LIST = ['BHD', 'JOD', 'KWD', 'OMR', 'TND'];

describe('ISO 4217 currencies', () => {
  // Anchors from the brief: a wrong data source or a default of 2 would break at least one of these.
  it('knows the exponents of JPY, USD, EUR, KWD, BHD, CLF, ISK and UYW', () => {
    const expected = { JPY: 0, USD: 2, EUR: 2, KWD: 3, BHD: 3, CLF: 4, ISK: 0, UYW: 4 };
    for (const [code, exponent] of Object.entries(expected)) expect(currencyExponent(code), code).toBe(exponent);
    expect(minorUnitsPerMajor('KWD')).toBe(1000n);
  });

  // Every supported code must carry exactly the minor unit ISO publishes, read from the XML itself.
  it('gives every supported currency the exponent in the ISO XML', () => {
    const iso = isoXmlMinorUnits();
    expect(SUPPORTED_CURRENCIES.length).toBeGreaterThan(150);
    for (const code of SUPPORTED_CURRENCIES) expect(String(currencyExponent(code)), code).toBe(iso.get(code));
  });

  // The package turns ISO's "N.A." into 0; this proves our exclusion list is exactly those codes.
  it('supports every ISO code with a numeric minor unit and none with N.A.', () => {
    const iso = isoXmlMinorUnits();
    const withoutMinorUnit = [...iso].filter(([, minor]) => !/^\d+$/.test(minor)).map(([code]) => code);
    const withMinorUnit = [...iso].filter(([, minor]) => /^\d+$/.test(minor)).map(([code]) => code);
    expect(withoutMinorUnit).toContain('XAU');
    expect(withoutMinorUnit.filter(isCurrency)).toEqual([]);
    expect([...SUPPORTED_CURRENCIES]).toEqual([...new Set(withMinorUnit)].sort());
  });

  // Callers rely on one typed error for every code that is not a supported upper-case ISO code.
  it('rejects unknown, lower-case and no-minor-unit codes with money.unknown_currency', () => {
    for (const code of ['ABC', 'usd', 'XAU', 'XXX', 'XTS', '', 'USDX', 'constructor']) {
      expect(isCurrency(code), code).toBe(false);
      expect(errorCode(() => currencyExponent(code)), code).toBe('money.unknown_currency');
    }
    expect(isCurrency(42)).toBe(false);
  });
});

describe('decimal strings', () => {
  // CSV exports and APIs need the exact ISO number of decimals, including signs and tiny amounts.
  it('formats minor units as plain decimal strings', () => {
    expect(formatMinorAsDecimalString(130050n, 'USD')).toBe('1300.50');
    expect(formatMinorAsDecimalString(1300n, 'JPY')).toBe('1300');
    expect(formatMinorAsDecimalString(5n, 'KWD')).toBe('0.005');
    expect(formatMinorAsDecimalString(-5n, 'USD')).toBe('-0.05');
    expect(formatMinorAsDecimalString(1n, 'CLF')).toBe('0.0001');
    expect(formatMinorAsDecimalString(0n, 'EUR')).toBe('0.00');
  });

  // Round trip across all currencies and huge values proves the conversion has no float in it.
  it('parses back what it formats, for every currency (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_CURRENCIES), fc.bigInt(-(10n ** 30n), 10n ** 30n), (currency, amountMinor) => {
        expect(decimalStringToMinor(formatMinorAsDecimalString(amountMinor, currency), currency)).toBe(amountMinor);
      }),
    );
  });

  // Shorter fractions are padded, longer ones rejected, anything not a plain decimal refused.
  it('pads short fractions and refuses extra decimals or other syntax', () => {
    expect(decimalStringToMinor('12.5', 'USD')).toBe(1250n);
    expect(decimalStringToMinor('12', 'KWD')).toBe(12000n);
    expect(errorCode(() => decimalStringToMinor('1.5', 'JPY'))).toBe('money.too_many_decimals');
    expect(errorCode(() => decimalStringToMinor('1.005', 'USD'))).toBe('money.too_many_decimals');
    for (const bad of ['', ' 1', '1e3', '1,00', '.5', '5.', '+5', '0x10']) {
      expect(errorCode(() => decimalStringToMinor(bad, 'USD')), bad).toBe('money.invalid_amount');
    }
  });
});

describe('Stripe amounts', () => {
  // The classic bug: ¥3,000 must go to Stripe as 3000, not 300000 (×100) or 30 (÷100).
  it('sends zero-decimal currencies unscaled: ¥3,000 → 3000', () => {
    const amountMinor = parseAmount('¥3,000', 'JPY', 'ja');
    expect(amountMinor).toBe(3000n);
    expect(toStripeAmount(amountMinor, 'JPY')).toBe(3000);
    expect(fromStripeAmount(3000, 'JPY')).toBe(3000n);
  });

  // Every currency on Stripe's zero-decimal list except UGX (overridden by Special cases) has exponent 0.
  it('round-trips every currency on the zero-decimal list', () => {
    for (const code of STRIPE_ZERO_DECIMAL_LIST) {
      const expectedExponent = code === 'UGX' ? 2 : 0;
      expect(stripeExponent(code), code).toBe(expectedExponent);
      const amountMinor = code === 'MGA' ? 300000n : 3000n; // 3,000 units either way
      expect(toStripeAmount(amountMinor, code), code).toBe(3000 * 10 ** expectedExponent);
      expect(fromStripeAmount(toStripeAmount(amountMinor, code), code), code).toBe(amountMinor);
    }
  });

  // MGA has 2 decimals in ISO but none at Stripe: whole ariary only, fractions are refused.
  it('refuses MGA fractions that Stripe cannot charge', () => {
    expect(toStripeAmount(150000n, 'MGA')).toBe(1500);
    expect(stripeStepMinor('MGA')).toBe(100n);
    expect(errorCode(() => toStripeAmount(150050n, 'MGA'))).toBe('money.not_representable');
  });

  // Eight digits of Stripe's amount, in each currency's own terms, on a step Stripe can take, and
  // every one of them something Stripe takes.
  it('knows the largest charge Stripe takes in each currency', () => {
    expect(['USD', 'JPY', 'KWD', 'ISK', 'MGA'].map((c) => stripeMaximumChargeMinor(c))).toEqual([99_999_999n, 99_999_999n, 99_999_990n, 999_999n, 9_999_999_900n]);
    for (const code of SUPPORTED_CURRENCIES) expect(toStripeAmount(stripeMaximumChargeMinor(code), code), code).toBeLessThanOrEqual(99_999_999);
  });

  // Stripe requires the last of the three decimals to be 0; we refuse rather than round silently.
  it('applies the three-decimal rule to BHD, JOD, KWD, OMR and TND', () => {
    for (const code of STRIPE_THREE_DECIMAL_LIST) {
      expect(stripeExponent(code), code).toBe(3);
      expect(stripeStepMinor(code), code).toBe(10n);
      expect(toStripeAmount(5120n, code), code).toBe(5120);
      expect(errorCode(() => toStripeAmount(5124n, code)), code).toBe('money.not_representable');
    }
    expect(fromStripeAmount(5120, 'KWD')).toBe(5120n);
    expect(fromStripeAmount(5125, 'KWD')).toBe(5125n);
  });

  // Special cases: ISK and UGX are whole units sent as two-decimal values ending in 00.
  it('sends ISK and UGX as two-decimal amounts of whole units', () => {
    for (const code of ['ISK', 'UGX']) {
      expect(toStripeAmount(5n, code), code).toBe(500);
      expect(fromStripeAmount(500, code), code).toBe(5n);
      expect(errorCode(() => fromStripeAmount(550, code)), code).toBe('money.not_representable');
    }
  });

  // Special cases: HUF and TWD charge in two decimals but pay out only whole units.
  it('allows HUF/TWD fractions in charges but not in payouts', () => {
    for (const code of ['HUF', 'TWD']) {
      expect(toStripeAmount(1045n, code), code).toBe(1045);
      expect(toStripeAmount(1000n, code, 'payout'), code).toBe(1000);
      expect(stripeStepMinor(code, 'payout'), code).toBe(100n);
      expect(errorCode(() => toStripeAmount(1045n, code, 'payout')), code).toBe('money.not_representable');
    }
  });

  // Currencies ISO gives more decimals than Stripe's default two (IQD 3, CLF 4) must not be truncated.
  it('scales ISO exponents above two down to Stripe two-decimal amounts exactly', () => {
    expect(toStripeAmount(1230n, 'IQD')).toBe(123);
    expect(errorCode(() => toStripeAmount(1235n, 'IQD'))).toBe('money.not_representable');
    expect(toStripeAmount(10000n, 'CLF')).toBe(100);
    expect(fromStripeAmount(100, 'CLF')).toBe(10000n);
  });

  // Bad values from either side must fail loudly, never turn into a wrong charge.
  it('rejects negative, fractional, unsafe and unknown-currency amounts', () => {
    expect(errorCode(() => toStripeAmount(-1n, 'USD'))).toBe('money.negative');
    expect(errorCode(() => toStripeAmount(2n ** 60n, 'USD'))).toBe('money.not_representable');
    expect(errorCode(() => toStripeAmount(100n, 'XAU'))).toBe('money.unknown_currency');
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(errorCode(() => fromStripeAmount(bad, 'USD')), String(bad)).toBe('money.invalid_amount');
    }
    expect(fromStripeAmount(-250, 'USD')).toBe(-250n);
  });

  // Whatever Stripe accepts from us must come back from a webhook as the same ledger amount.
  it('round-trips every chargeable amount in every currency (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_CURRENCIES), fc.bigInt(0n, 10n ** 12n), (currency, units) => {
        const amountMinor = units * stripeStepMinor(currency);
        expect(fromStripeAmount(toStripeAmount(amountMinor, currency), currency)).toBe(amountMinor);
      }),
    );
  });

  // Donation sizes are validated against Stripe's published minimums, in our own minor units.
  it('knows Stripe minimum charges in ISO minor units', () => {
    expect(stripeMinimumChargeMinor('USD')).toBe(50n);
    expect(stripeMinimumChargeMinor('EUR')).toBe(50n);
    expect(stripeMinimumChargeMinor('GBP')).toBe(30n);
    expect(stripeMinimumChargeMinor('JPY')).toBe(50n);
    expect(stripeMinimumChargeMinor('HUF')).toBe(17500n);
    expect(stripeMinimumChargeMinor('MXN')).toBe(1000n);
    expect(stripeMinimumChargeMinor('KWD')).toBeUndefined();
    expect(errorCode(() => stripeMinimumChargeMinor('XXX'))).toBe('money.unknown_currency');
  });

  // A table typo (e.g. "0.5" for JPY) would throw here instead of at a donor's checkout.
  it('has a minimum for every listed currency that Stripe can charge', () => {
    for (const code of ['USD', 'AED', 'ARS', 'AUD', 'BRL', 'CAD', 'CHF', 'COP', 'CZK', 'DKK', 'EUR', 'GBP', 'HKD', 'HUF', 'IDR',
      'ILS', 'INR', 'JPY', 'KRW', 'MXN', 'MYR', 'NOK', 'NZD', 'PHP', 'PLN', 'RON', 'RUB', 'SEK', 'SGD', 'THB', 'ZAR']) {
      const minimum = stripeMinimumChargeMinor(code);
      expect(minimum, code).toBeGreaterThan(0n);
      expect(toStripeAmount(minimum ?? 0n, code), code).toBeGreaterThan(0);
    }
  });
});

describe('parseAmount', () => {
  // The separator conventions from the brief, each in its own locale.
  it('reads en, de and fr separators', () => {
    expect(parseAmount('1,300.50', 'USD', 'en')).toBe(130050n);
    expect(parseAmount('1.300,50', 'EUR', 'de')).toBe(130050n);
    expect(parseAmount('1 300,50', 'EUR', 'fr')).toBe(130050n);
    expect(parseAmount('1\u00A0300,50', 'EUR', 'fr')).toBe(130050n);
    expect(parseAmount('1\u202F300,50', 'EUR', 'fr')).toBe(130050n);
    expect(parseAmount("1'300.50", 'CHF', 'de-CH')).toBe(130050n);
  });

  // Japanese users type full-width digits and commas, ¥ or ￥, or 円 after the number.
  it('reads Japanese input', () => {
    for (const input of ['¥1,300', '1,300', '１，３００', '￥１，３００', '1,300円', '１３００円', 'JPY 1300']) {
      expect(parseAmount(input, 'JPY', 'ja'), input).toBe(1300n);
    }
  });

  // Arabic-Indic digits with U+066C/U+066B separators, in 'ar' (Latin digits by default) and 'ar-EG'.
  it('reads Arabic-Indic digits and Arabic separators', () => {
    for (const locale of ['ar', 'ar-EG']) {
      expect(parseAmount('١٬٣٠٠٫٥٠', 'USD', locale), locale).toBe(130050n);
      expect(parseAmount('\u200F١٬٣٠٠٫٥٠ US$', 'USD', locale), locale).toBe(130050n);
      expect(parseAmount('۱۳۰۰٫۵', 'USD', locale), locale).toBe(130050n);
    }
  });

  // Symbols, codes and names of the right currency may surround the number, with any whitespace.
  it('accepts this currency’s symbol, code or name before or after', () => {
    for (const input of ['$1,300.50', '  $ 1,300.50  ', 'USD 1,300.50', '1,300.50 USD', 'usd1300.5', '1,300.50 US dollars']) {
      expect(parseAmount(input, 'USD', 'en'), input).toBe(130050n);
    }
    expect(parseAmount('1 300,50 €', 'EUR', 'fr')).toBe(130050n);
    expect(parseAmount('1.300,50 Euro', 'EUR', 'de')).toBe(130050n);
  });

  // The documented ambiguity rule: a lone locale group separator + 3 digits groups, else it is decimal.
  it('applies the one-separator ambiguity rule', () => {
    expect(parseAmount('1,300', 'USD', 'en')).toBe(130000n);
    expect(parseAmount('1,30', 'USD', 'en')).toBe(130n);
    expect(parseAmount('1.300', 'EUR', 'de')).toBe(130000n);
    expect(parseAmount('1.30', 'EUR', 'de')).toBe(130n);
    expect(parseAmount('1.234', 'KWD', 'en')).toBe(1234n);
    expect(parseAmount('1,234', 'KWD', 'en')).toBe(1234000n);
    expect(parseAmount('1,234', 'KWD', 'de')).toBe(1234n);
    expect(parseAmount('1.300.000', 'JPY', 'en')).toBe(1300000n);
    expect(parseAmount('1,30,000', 'INR', 'en-IN')).toBe(13000000n);
  });

  // Two kinds of separator are unambiguous whatever the locale, so we accept them.
  it('reads mixed separators by position', () => {
    expect(parseAmount('1.300,50', 'EUR', 'en')).toBe(130050n);
    expect(parseAmount('1,300.50', 'EUR', 'de')).toBe(130050n);
    expect(parseAmount('1 300.50', 'USD', 'en')).toBe(130050n);
  });

  // Amounts a currency cannot hold are errors, never rounded (a 1.5 yen donation does not exist).
  it('refuses more decimals than the currency has', () => {
    expect(errorCode(() => parseAmount('1.5', 'JPY', 'ja'))).toBe('money.too_many_decimals');
    expect(errorCode(() => parseAmount('1.234', 'USD', 'en'))).toBe('money.too_many_decimals');
    expect(errorCode(() => parseAmount('1.300', 'JPY', 'en'))).toBe('money.too_many_decimals');
    expect(errorCode(() => parseAmount('1300.00', 'JPY', 'en'))).toBe('money.too_many_decimals');
  });

  // Each kind of bad input maps to the error code the UI turns into a message.
  it('gives the right error codes for bad input', () => {
    const cases: Array<[string, MoneyErrorCode]> = [
      ['', 'money.empty'], ['   ', 'money.empty'], ['$', 'money.empty'], ['\u200F', 'money.empty'],
      ['-5', 'money.negative'], ['−5', 'money.negative'], ['-$5.00', 'money.negative'], ['$-5', 'money.negative'], ['(5.00)', 'money.negative'],
      ['abc', 'money.invalid_amount'], ['1..2', 'money.invalid_amount'], ['1,2,3', 'money.invalid_amount'],
      ['1,300,50', 'money.invalid_amount'], ['1.300,50,20', 'money.invalid_amount'], ['1e3', 'money.invalid_amount'],
      ['12abc', 'money.invalid_amount'], ['5 €', 'money.invalid_amount'], ['€5', 'money.invalid_amount'],
      ['1,30,000', 'money.invalid_amount'], ['1 2', 'money.invalid_amount'], ['5 10', 'money.invalid_amount'],
      ['+5', 'money.invalid_amount'], ['1'.repeat(500), 'money.invalid_amount'], ['1٫2٫3', 'money.invalid_amount'],
    ];
    for (const [input, code] of cases) expect(errorCode(() => parseAmount(input, 'USD', 'en')), input).toBe(code);
  });

  // Some currency names hold digits ("São-toméischer Dobra (2018)"); they must not merge into the amount.
  it('reads amounts next to currency names that contain digits', () => {
    const shown = formatAmount(9999990n, 'STN', 'de-CH', { currencyDisplay: 'name' });
    expect(parseAmount(shown, 'STN', 'de-CH')).toBe(9999990n);
    expect(errorCode(() => parseAmount(`-${shown}`, 'STN', 'de-CH'))).toBe('money.negative');
  });

  // Routes answer AppErrors with their status and code; a typo by a donor is a 400, not a 500.
  it('throws AppErrors with status 400 and the money code', () => {
    try {
      parseAmount('1.5', 'JPY', 'ja');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ name: 'MoneyError', statusCode: 400, code: 'money.too_many_decimals' });
    }
  });

  // A bad currency or locale from a request must be a MoneyError too, not a raw RangeError.
  it('rejects unknown currencies and malformed locales', () => {
    expect(errorCode(() => parseAmount('1', 'ZZZ', 'en'))).toBe('money.unknown_currency');
    expect(errorCode(() => parseAmount('1', 'USD', 'not a locale!!'))).toBe('money.invalid_locale');
  });
});

describe('formatAmount', () => {
  // Anchors for what donors see; whitespace normalized since ICU picks NBSP vs narrow NBSP.
  it('formats with the ISO number of decimals in each locale', () => {
    const plain = (text: string) => text.replace(/\s/gu, ' ');
    expect(formatAmount(130050n, 'USD', 'en')).toBe('$1,300.50');
    expect(plain(formatAmount(130050n, 'EUR', 'de'))).toBe('1.300,50 €');
    expect(plain(formatAmount(130050n, 'EUR', 'fr'))).toBe('1 300,50 €');
    expect(formatAmount(1300n, 'JPY', 'ja')).toBe('￥1,300');
    expect(plain(formatAmount(1234567n, 'KWD', 'en'))).toBe('KWD 1,234.567');
    expect(plain(formatAmount(12345n, 'CLF', 'en'))).toBe('CLF 1.2345');
    expect(plain(formatAmount(130050n, 'USD', 'en', { currencyDisplay: 'code' }))).toBe('USD 1,300.50');
    expect(formatAmount(-5n, 'USD', 'en')).toBe('-$0.05');
  });

  // Values far beyond 2^53 must print every digit; a float path would show ...000 or round.
  it('is exact for huge amounts', () => {
    expect(formatAmount(12345678901234567890123n, 'USD', 'en')).toBe('$123,456,789,012,345,678,901.23');
    expect(formatAmount(9007199254740993n, 'JPY', 'en')).toBe('¥9,007,199,254,740,993');
  });

  // What we show a donor must parse back to the same amount in the same locale.
  it('round-trips format → parse in en, fr, de, ja, ar and ar-EG (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('en', 'fr', 'de', 'ja', 'ar', 'ar-EG'),
        fc.constantFrom('USD', 'EUR', 'JPY', 'KWD'),
        fc.constantFrom('symbol', 'narrowSymbol', 'code', 'name') as fc.Arbitrary<'symbol' | 'narrowSymbol' | 'code' | 'name'>,
        fc.bigInt(0n, 10n ** 18n),
        (locale, currency, currencyDisplay, amountMinor) => {
          const shown = formatAmount(amountMinor, currency, locale, { currencyDisplay });
          expect(parseAmount(shown, currency, locale)).toBe(amountMinor);
        },
      ),
      { numRuns: 500 },
    );
  });

  // The same guarantee for every supported currency, so no symbol confuses the parser.
  it('round-trips every supported currency in en and de (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_CURRENCIES), fc.constantFrom('en', 'de'), fc.bigInt(0n, 10n ** 15n), (currency, locale, amountMinor) => {
        expect(parseAmount(formatAmount(amountMinor, currency, locale), currency, locale)).toBe(amountMinor);
      }),
      { numRuns: 500 },
    );
  });
});

describe('zod schemas', () => {
  // API payloads may send "eur"; the schema normalizes case and refuses what the ledger cannot book.
  it('normalizes and validates currency codes', () => {
    expect(currencyCodeSchema.parse('eur')).toBe('EUR');
    expect(currencyCodeSchema.parse(' JPY ')).toBe('JPY');
    for (const bad of ['XAU', 'ZZZ', 'EURO', '', 5]) expect(currencyCodeSchema.safeParse(bad).success, String(bad)).toBe(false);
  });

  // JSON numbers lose precision past 2^53, so minor units travel as digit strings.
  it('reads minor-unit strings as bigint', () => {
    expect(amountMinorStringSchema.parse('12345678901234567890')).toBe(12345678901234567890n);
    for (const bad of ['-1', '1.5', '01', '', '1e3']) expect(amountMinorStringSchema.safeParse(bad).success, bad).toBe(false);
  });
});

// What a Japanese IME types into the goal (and any amount) field: full-width digits and commas, the
// ideographic comma 、 that the comma key gives in kana mode, and 万 (ten thousand) after a number.
describe('amounts typed with a Japanese IME', () => {
  it('reads full-width digits and separators', () => {
    expect(parseAmount('５０，０００', 'JPY', 'ja')).toBe(50_000n);
    expect(parseAmount('５００００', 'JPY', 'ja')).toBe(50_000n);
    expect(parseAmount('￥５０，０００', 'JPY', 'ja')).toBe(50_000n);
    expect(parseAmount('５０，０００円', 'JPY', 'ja')).toBe(50_000n);
  });

  it('reads the ideographic comma as a group separator, never as decimals', () => {
    expect(parseAmount('５０、０００', 'JPY', 'ja')).toBe(50_000n);
    expect(parseAmount('1、000、000円', 'JPY', 'ja')).toBe(1_000_000n);
    expect(() => parseAmount('５０、５', 'JPY', 'ja')).toThrow(MoneyError);
  });

  it('reads whole digits followed by 万 as ten thousands', () => {
    expect(parseAmount('５０万', 'JPY', 'ja')).toBe(500_000n);
    expect(parseAmount('50万', 'JPY', 'ja')).toBe(500_000n);
    expect(parseAmount('50万円', 'JPY', 'ja')).toBe(500_000n);
    expect(parseAmount('¥50 万', 'JPY', 'ja')).toBe(500_000n);
    expect(parseAmount('１，０００万円', 'JPY', 'ja')).toBe(10_000_000n);
    // Ten thousand of the currency, not of its minor unit: 5万 dollars are 5,000,000 cents.
    expect(parseAmount('5万', 'USD', 'ja')).toBe(5_000_000n);
  });

  it('refuses 万 in any other form rather than guess', () => {
    for (const typed of ['1.5万', '50万5000', '万', '万50', '50万万', '50億', '5千']) {
      expect(() => parseAmount(typed, 'JPY', 'ja'), typed).toThrow(MoneyError);
    }
  });
});
