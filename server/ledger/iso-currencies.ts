import { data as isoCurrencyRecords } from 'currency-codes';

// The ISO 4217 data and the one piece of digit arithmetic that both the server (money.ts) and the
// pages (web/src/lib/format.ts) need. No other imports, so the browser bundle stays small.

// ISO 4217 gives these codes the minor unit "N.A." (precious metals, bond-market units, SDR, Sucre,
// ADB unit, the test code and "no currency"). The currency-codes package flattens "N.A." to 0, which
// would let us book "1 XAU" as if gold had a whole-unit minor unit. No donation is ever made in
// them, so they are not supported. test/unit/money.test.ts checks this list against the ISO XML
// that the package ships, so a package update that adds such a code fails the tests.
export const NO_MINOR_UNIT: ReadonlySet<string> = new Set([
  'XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX',
]);

// Fund codes with a real minor unit (CLF, UYW, BOV, CHE, USN...) stay: they are valid ISO amounts.
export const isoExponents: ReadonlyMap<string, number> = new Map(
  isoCurrencyRecords
    .filter((record) => !NO_MINOR_UNIT.has(record.code) && Number.isInteger(record.digits))
    .map((record) => [record.code, record.digits] as const),
);

/** 130050n with exponent 2 → "1300.50"; -5n → "-0.05"; exponent 0 → "1300". Exact, no floats. */
export function placeDecimal(amountMinor: bigint, exponent: number): string {
  const sign = amountMinor < 0n ? '-' : '';
  const digits = (amountMinor < 0n ? -amountMinor : amountMinor).toString().padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
