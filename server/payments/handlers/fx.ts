import type { DbOrTx } from '../../../db/client';
import type { EntryInput } from '../../ledger/service';
import { accountIds, chart } from '../chart';

export interface Money {
  currency: string;
  amountMinor: bigint;
}

/**
 * The two legs that carry a movement across currencies when Stripe settles in another currency
 * than the appeal's: fx:conversion takes `appealSide` in the appeal's currency (a debit when
 * positive) and gives `stripeSide` in the settlement currency (a credit when positive). Each
 * currency then balances on its own, as the ledger requires, and what is left in fx:conversion
 * after a gift and its refunds or disputes is the conversion gain or loss.
 */
export async function conversionLegs(db: DbOrTx, appealSide: Money, stripeSide: Money): Promise<EntryInput[]> {
  const [fxAppeal, fxStripe] = await accountIds(db, [chart.fxConversion(appealSide.currency), chart.fxConversion(stripeSide.currency)]);
  return [
    { accountId: fxAppeal!, amountMinor: appealSide.amountMinor },
    { accountId: fxStripe!, amountMinor: -stripeSide.amountMinor },
  ];
}

/** a × b / c rounded half to even, all in bigint (never a float near money). c must be positive. */
export function mulDivHalfEven(a: bigint, b: bigint, c: bigint): bigint {
  if (c <= 0n) throw new Error(`mulDivHalfEven: divisor ${c} must be positive`);
  const n = a * b;
  const quotient = n / c;
  const twiceRest = 2n * (n % c < 0n ? -(n % c) : n % c);
  if (twiceRest < c) return quotient;
  const away = n < 0n ? quotient - 1n : quotient + 1n;
  if (twiceRest > c) return away;
  return quotient % 2n === 0n ? quotient : away;
}

export const nonZero = (entries: EntryInput[]): EntryInput[] => entries.filter((e) => e.amountMinor !== 0n);
