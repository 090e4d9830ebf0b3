import { describe, expect, it } from 'vitest';
import { mulDivHalfEven } from '../../server/payments/handlers/fx';
import { settleAmount } from '../../server/stripe-emulator/fx';

describe('mulDivHalfEven (an appeal-currency net at the settlement rate)', () => {
  // Ties go to the even neighbour, on both sides of zero; everything else to the nearest.
  it.each([
    [3000n, 1922n, 2010n, 2869n], // 2868.66
    [1500n, 444n, 488n, 1365n], // 1364.75
    [5n, 1n, 2n, 2n], // 2.5 → 2
    [7n, 1n, 2n, 4n], // 3.5 → 4
    [-5n, 1n, 2n, -2n],
    [-7n, 1n, 2n, -4n],
    [10n, 1n, 4n, 2n], // 2.5 → 2
    [11n, 1n, 4n, 3n], // 2.75 → 3
    [-11n, 1n, 4n, -3n],
    [9n, 1n, 4n, 2n], // 2.25 → 2
    [6n, 1n, 3n, 2n],
    [10n ** 20n, 3n, 7n, 42857142857142857143n],
  ])('%s × %s / %s = %s', (a, b, c, expected) => {
    expect(mulDivHalfEven(a, b, c)).toBe(expected);
  });

  it('refuses a divisor that is not positive', () => {
    expect(() => mulDivHalfEven(1n, 1n, 0n)).toThrow(/positive/);
  });
});

describe('emulator settleAmount', () => {
  // Stripe minor units on both sides: yen have none, dinars three, dollars two.
  it.each([
    [3000, 'jpy', 2010, 0.0067],
    [-1000, 'jpy', -670, 0.0067],
    [1500, 'kwd', 488, 3.25], // 4.875 → 4.88, half away from zero
    [-1500, 'kwd', -488, 3.25],
    [1085, 'eur', 1177, 1.085], // 11.77225
  ])('%s %s → %s usd', (amount, currency, expected, rate) => {
    expect(settleAmount('usd', amount, currency)).toEqual({ currency: 'usd', amount: expected, exchangeRate: rate });
  });

  it('converts out of dollars into zero- and three-decimal currencies', () => {
    expect(settleAmount('jpy', 2010, 'usd').amount).toBe(3000); // 20.10 × 149.25 = 2999.925 → 3000
    expect(settleAmount('kwd', 488, 'usd').amount).toBe(1498); // 4.88 × 0.307 = 1.49816 → 1.498
  });

  it('leaves a charge alone without a settlement currency or in it already', () => {
    expect(settleAmount(null, 3000, 'jpy')).toEqual({ currency: 'jpy', amount: 3000, exchangeRate: null });
    expect(settleAmount('usd', 1000, 'usd')).toEqual({ currency: 'usd', amount: 1000, exchangeRate: null });
  });
});
