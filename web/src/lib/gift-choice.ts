import { suggestedAmountsMinor, unitSuggestions } from './amounts';
import { formatMinorPlain } from './format';

/** What the giving form needs to know of an appeal to show an amount in its own fields. */
export interface GiftTerms {
  currency: string;
  unit: { priceMinor: string } | null;
}

/**
 * A gift's amount in the giving form's own fields, as the donor would have chosen it: a suggested
 * number of units or amount where it is one, else the number typed into the "other" box (units on
 * a unit appeal, an amount written the reader's way on any other: "2,500", "12,34" in German).
 * The form reads a typed value before a suggestion, so the "other" box alone says the gift.
 * Empty when the amount cannot be said in this form (not a whole number of the appeal's units).
 */
export function giftChoiceFields(amountMinor: string, terms: GiftTerms, locale: string): Record<string, string> {
  const amount = BigInt(amountMinor);
  if (amount <= 0n) return {};
  if (terms.unit) {
    const price = BigInt(terms.unit.priceMinor);
    if (price <= 0n || amount % price !== 0n) return {};
    const units = amount / price;
    const suggested = unitSuggestions(price, terms.currency).units.includes(Number(units));
    return suggested ? { units: units.toString() } : { unitsOther: units.toString() };
  }
  if (suggestedAmountsMinor(terms.currency).includes(amount.toString())) return { preset: amount.toString() };
  return { amount: formatMinorPlain(amount.toString(), terms.currency, locale) };
}
