import { cardInfo, cardOutcome, luhnValid, normalizeCardNumber } from './cards';
import type { FieldErrors, PageState } from './checkout-page';
import type { FormObject } from './form';
import type { StoredCard } from './store';

export type CardFormResult =
  | { ok: true; card: StoredCard; name: string; email: string | null }
  | { ok: false; state: PageState };

function str(body: FormObject, key: string, max = 300): string {
  const v = body[key];
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** Accepts "MM / YY", "MM/YY", "MMYY" and "MM/YYYY". */
export function parseExpiry(raw: string): { month: number; year: number } | null {
  const m = /^(\d{1,2})\s*\/?\s*(\d{2}|\d{4})$/.exec(raw.trim());
  if (!m) return null;
  const month = Number(m[1]);
  const year = (m[2] ?? '').length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  if (month < 1 || month > 12) return null;
  return { month, year };
}

function expired(e: { month: number; year: number }, now = new Date()): boolean {
  return e.year < now.getUTCFullYear() || (e.year === now.getUTCFullYear() && e.month < now.getUTCMonth() + 1);
}

// Checks the hosted form the way Stripe's page does before any charge is attempted.
export function readCardForm(body: FormObject, needsEmail: boolean): CardFormResult {
  const digits = normalizeCardNumber(str(body, 'card_number', 40));
  const expiryRaw = str(body, 'card_expiry', 20);
  const cvc = str(body, 'card_cvc', 10);
  const name = str(body, 'card_name', 200);
  const email = needsEmail ? str(body, 'email', 320) : '';
  const errors: FieldErrors = {};
  if (needsEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.email = 'Enter a valid email address, like name@example.org.';
  if (!digits) errors.card_number = 'Enter your card number.';
  else if (!luhnValid(digits)) errors.card_number = 'Your card number is invalid.';
  const expiry = parseExpiry(expiryRaw);
  if (!expiry) errors.card_expiry = 'Enter the expiry date as MM / YY.';
  else if (expired(expiry)) errors.card_expiry = "Your card's expiration date is in the past.";
  const cvcLength = /^3[47]/.test(digits) ? 4 : 3;
  if (!new RegExp(`^\\d{${cvcLength}}$`).test(cvc)) errors.card_cvc = `Enter the ${cvcLength}-digit security code (CVC).`;
  if (!name) errors.card_name = 'Enter the name on the card.';
  if (Object.keys(errors).length > 0 || !expiry) {
    return { ok: false, state: { values: { email, card_expiry: expiryRaw, card_name: name }, fieldErrors: errors } };
  }
  const card = { info: cardInfo(digits, expiry.month, expiry.year), outcome: cardOutcome(digits) };
  return { ok: true, card, name, email: needsEmail ? email : null };
}

/** For controls.payCheckoutSession: a test card with a valid expiry, as if typed into the form. */
export function cardFromNumber(number: string): StoredCard {
  const digits = normalizeCardNumber(number);
  if (!luhnValid(digits)) throw new Error('card number is not valid (Luhn check failed)');
  const year = new Date().getUTCFullYear() + 3;
  return { info: cardInfo(digits, 12, year), outcome: cardOutcome(digits) };
}
