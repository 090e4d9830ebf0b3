import { describe, expect, it } from 'vitest';
import { confirmThresholdMinor, monthlyAmountNeedsConfirm } from '../../server/donors/amount-confirm';
import { stripeChargeFloorMinorOf, usDollarEstimateMinorOf, usDollarsToMinor } from '../../server/ledger/stripe-minimum';

// A monthly gift changed to many times its amount, and a large one, is asked about first: $10 →
// $1,500 is often 15.00 typed as 1500, or an extra zero.
describe('monthlyAmountNeedsConfirm', () => {
  it('USD: $10 → $1,500 asks; $10 → $50 (5x, under about $100) and $500 → $1,500 (3x) do not', () => {
    expect(monthlyAmountNeedsConfirm(1000n, 150000n, 'USD')).toBe(true);
    expect(monthlyAmountNeedsConfirm(1000n, 10001n, 'USD')).toBe(true);
    expect(monthlyAmountNeedsConfirm(1000n, 5000n, 'USD')).toBe(false);
    expect(monthlyAmountNeedsConfirm(1000n, 10000n, 'USD')).toBe(false);
    expect(monthlyAmountNeedsConfirm(50000n, 150000n, 'USD')).toBe(false);
    // Exactly five times, above the threshold: asked.
    expect(monthlyAmountNeedsConfirm(30000n, 150000n, 'USD')).toBe(true);
    expect(monthlyAmountNeedsConfirm(30001n, 150000n, 'USD')).toBe(false);
  });

  it('JPY has no decimals: ¥1,000 → ¥15,000 asks, ¥1,000 → ¥9,000 does not', () => {
    expect(confirmThresholdMinor('JPY')).toBe(10000n);
    expect(monthlyAmountNeedsConfirm(1000n, 15000n, 'JPY')).toBe(true);
    expect(monthlyAmountNeedsConfirm(1000n, 9000n, 'JPY')).toBe(false);
    // ¥3,000 → ¥5,000, the everyday change: not asked.
    expect(monthlyAmountNeedsConfirm(3000n, 5000n, 'JPY')).toBe(false);
  });

  it('KWD has three decimals and is worth about $3: 5.000 → 90.000 KWD asks, 5.000 → 25.000 KWD does not', () => {
    expect(confirmThresholdMinor('KWD')).toBe(31000n);
    expect(monthlyAmountNeedsConfirm(5000n, 90000n, 'KWD')).toBe(true);
    expect(monthlyAmountNeedsConfirm(5000n, 25000n, 'KWD')).toBe(false);
    // 150 in minor units is 0.150 KWD, not 150 KWD.
    expect(monthlyAmountNeedsConfirm(10n, 150n, 'KWD')).toBe(false);
  });

  it('is about 100 USD in other currencies too, from the per-currency minimums', () => {
    expect(confirmThresholdMinor('USD')).toBe(10000n);
    expect(confirmThresholdMinor('EUR')).toBe(10000n);
    expect(confirmThresholdMinor('HUF')).toBe(3500000n);
    // No published minimum: 0.50 USD at the rough rate (DZD, 130 to the dollar) times 200.
    expect(confirmThresholdMinor('DZD')).toBe(1300000n);
  });

  it("is about 100 USD where Stripe's minimum is 0.50 of the currency's own units, not about 0.50 USD", () => {
    // ₹200 → ₹1,000 (about $12) is an everyday change, not a slip to ask about; ₹200 → ₹15,000 is asked.
    expect(confirmThresholdMinor('INR')).toBe(860000n);
    expect(monthlyAmountNeedsConfirm(20000n, 100000n, 'INR')).toBe(false);
    expect(monthlyAmountNeedsConfirm(20000n, 1500000n, 'INR')).toBe(true);
    // Rp 1,600,000 (two ISO decimals) and R$550.
    expect(confirmThresholdMinor('IDR')).toBe(160000000n);
    expect(monthlyAmountNeedsConfirm(5000000n, 50000000n, 'IDR')).toBe(false);
    expect(confirmThresholdMinor('BRL')).toBe(55000n);
    expect(monthlyAmountNeedsConfirm(2000n, 20000n, 'BRL')).toBe(false);
    expect(monthlyAmountNeedsConfirm(2000n, 150000n, 'BRL')).toBe(true);
    // The others of that kind, at stripe-minimum.ts's rough rates: ARS 120,000, R1,800, 71.000 JOD, 38.000 BHD.
    expect(confirmThresholdMinor('ARS')).toBe(12000000n);
    expect(confirmThresholdMinor('COP')).toBe(40000000n);
    expect(confirmThresholdMinor('PHP')).toBe(570000n);
    expect(confirmThresholdMinor('RUB')).toBe(800000n);
    expect(confirmThresholdMinor('ZAR')).toBe(180000n);
    expect(confirmThresholdMinor('JOD')).toBe(71000n);
    expect(confirmThresholdMinor('BHD')).toBe(38000n);
    expect(confirmThresholdMinor('OMR')).toBe(38000n);
  });

  it("where Stripe's minimum is 0.50 USD at a rough rate, 200 of it, not that rate times 100", () => {
    // ISK 0 decimals, 125 to the dollar: the minimum is kr 63 (62.5 rounded up), 200 of it kr 12,600.
    expect(confirmThresholdMinor('ISK')).toBe(12600n);
    expect(confirmThresholdMinor('XPF')).toBe(10600n);
  });

  it('a smaller amount, or the same, is never asked about', () => {
    expect(monthlyAmountNeedsConfirm(150000n, 1000n, 'USD')).toBe(false);
    expect(monthlyAmountNeedsConfirm(150000n, 150000n, 'USD')).toBe(false);
  });
});

describe('usDollarsToMinor (stripe-minimum.ts), the one rate table', () => {
  it('is about so many dollars at the rough rate, in ISO minor units; undefined without a rate', () => {
    expect(usDollarsToMinor('USD', 2, 100)).toBe(10000n);
    expect(usDollarsToMinor('INR', 2, 100)).toBe(860000n);
    expect(usDollarsToMinor('KWD', 3, 100)).toBe(31000n);
    expect(usDollarsToMinor('DZD', 2, 1)).toBe(13000n);
    expect(usDollarsToMinor('EUR', 2, 100)).toBeUndefined();
  });

  it("leaves Stripe's minimums and the giving form's suggestions as they were for the rates added for it", () => {
    // KWD and the like: Stripe publishes no minimum, and ten of their units are over it; none is guessed.
    for (const currency of ['KWD', 'BHD', 'OMR', 'JOD']) {
      expect(stripeChargeFloorMinorOf(currency, 3), currency).toBeUndefined();
      expect(usDollarEstimateMinorOf(currency, 3), currency).toBeUndefined();
    }
    // ₹0.50 is Stripe's published minimum, whatever the rate.
    expect(stripeChargeFloorMinorOf('INR', 2)).toBe(50n);
    expect(usDollarEstimateMinorOf('INR', 2)).toBeUndefined();
  });
});
