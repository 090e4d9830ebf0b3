import { describe, expect, it } from 'vitest';
import { parseAmount } from '../../server/ledger/money';
import { giftChoiceFields } from '../../web/src/lib/gift-choice';
import { unitSuggestions } from '../../web/src/lib/amounts';

const locales = ['en', 'fr', 'de', 'es', 'ja', 'sv', 'ar', 'ru'];

// Back from a canceled checkout the form is filled from the gift's amount. A typed ¥2,500 came back
// as the ¥3,000 suggestion (and Continue would have started a ¥3,000-a-month gift): these pin the
// amount to the field the donor used, in a shape the form reads back as the same amount.
describe('a gift amount in the giving form’s fields', () => {
  it('a typed yen amount comes back typed, as the reader writes it', () => {
    expect(giftChoiceFields('2500', { currency: 'JPY', unit: null }, 'ja')).toEqual({ amount: '2,500' });
    expect(giftChoiceFields('3000', { currency: 'JPY', unit: null }, 'ja')).toEqual({ preset: '3000' });
  });

  it('a typed amount with decimals comes back in the reader’s own notation', () => {
    expect(giftChoiceFields('1234', { currency: 'USD', unit: null }, 'en')).toEqual({ amount: '12.34' });
    expect(giftChoiceFields('123450', { currency: 'USD', unit: null }, 'de')).toEqual({ amount: '1.234,50' });
    expect(giftChoiceFields('2500', { currency: 'USD', unit: null }, 'en')).toEqual({ preset: '2500' });
  });

  // The form posts the restored text as typed: it must parse back to the very same amount.
  it.each(locales)('what comes back typed in %s parses back to the same amount', (locale) => {
    for (const [currency, amountMinor] of [['JPY', '2500'], ['JPY', '1234567'], ['USD', '1234'], ['USD', '123456789'], ['KWD', '12345'], ['EUR', '7']] as const) {
      const fields = giftChoiceFields(amountMinor, { currency, unit: null }, locale);
      expect(fields.amount, `${currency} ${amountMinor} in ${locale}`).toBeDefined();
      expect(parseAmount(fields.amount!, currency, locale), `${fields.amount} in ${locale}`).toBe(BigInt(amountMinor));
    }
  });

  it('on a unit appeal, units: a suggested number chosen, any other typed', () => {
    const brick = { currency: 'USD', unit: { priceMinor: '100' } };
    expect(giftChoiceFields('1000', brick, 'en')).toEqual({ units: '10' });
    expect(giftChoiceFields('1700', brick, 'en')).toEqual({ unitsOther: '17' });
    // Not whole units (the terms changed since): nothing rather than a wrong amount.
    expect(giftChoiceFields('1750', brick, 'en')).toEqual({});
  });

  // A 20-peso brick offers 1 to 10 (see the next block): one brick comes back chosen, not typed.
  it('on a unit appeal of pricey units, the numbers that appeal suggests', () => {
    const ladrillo = { currency: 'MXN', unit: { priceMinor: '2000' } };
    expect(giftChoiceFields('2000', ladrillo, 'es')).toEqual({ units: '1' });
    expect(giftChoiceFields('50000', ladrillo, 'es')).toEqual({ unitsOther: '25' });
  });
});

// 25 units were chosen from the start whatever a unit cost, and 5 were the least on offer: a
// ¥1,000 bento appeal chose ¥25,000 (the yen form's own choice is ¥3,000), a 20-peso brick 500
// pesos, a 9,999 KWD tent 249,975 KWD. A donor pressing Continue gave that, or typed "1".
describe('the numbers of units a unit appeal suggests', () => {
  it('cheap units: 5 to 100, 25 chosen, as before', () => {
    expect(unitSuggestions('100', 'USD')).toEqual({ units: [5, 10, 25, 50, 100], chosen: 25 });
    expect(unitSuggestions('250', 'KWD')).toEqual({ units: [5, 10, 25, 50, 100], chosen: 25 });
  });

  it('units that cost as much as a gift: 1 to 10, the number nearest the money form’s choice chosen', () => {
    expect(unitSuggestions('1000', 'JPY')).toEqual({ units: [1, 2, 3, 5, 10], chosen: 3 });
    expect(unitSuggestions('2000', 'MXN')).toEqual({ units: [1, 2, 3, 5, 10], chosen: 1 });
    expect(unitSuggestions('500', 'USD')).toEqual({ units: [1, 2, 3, 5, 10], chosen: 5 });
    expect(unitSuggestions('9999000', 'KWD')).toEqual({ units: [1, 2, 3, 5, 10], chosen: 1 });
  });
});
