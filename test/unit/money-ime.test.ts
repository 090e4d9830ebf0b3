import { describe, expect, it } from 'vitest';
import { MoneyError, parseAmount } from '../../server/ledger/money';

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
