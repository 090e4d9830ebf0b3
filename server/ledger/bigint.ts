/*
 * Ledger ids, amounts and balances are Postgres bigints. A number past their range is refused by
 * Postgres itself (22003) when a query compares with it, which would fail the request with a 500:
 * whatever reaches a query is checked against the range here first.
 */

export const bigintMax = 9223372036854775807n;
export const bigintMin = -bigintMax - 1n;

/** Whether `value` is a whole number a Postgres bigint holds. */
export const inBigintRange = (value: bigint) => value >= bigintMin && value <= bigintMax;

/** A ledger id as text: digits only, from 1 to the largest bigint (an id past that names nothing). */
export function isLedgerId(text: string): boolean {
  return /^[1-9]\d{0,18}$/.test(text) && BigInt(text) <= bigintMax;
}
