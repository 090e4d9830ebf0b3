import { createHash } from 'node:crypto';
import { newId } from './ids';

// Stripe's test cards, by behaviour. The full number never leaves this module: callers get the
// last four digits, a fingerprint and the outcome. https://docs.stripe.com/testing
export interface CardInfo {
  brand: 'visa' | 'mastercard' | 'amex';
  last4: string;
  expMonth: number;
  expYear: number;
  fingerprint: string;
  paymentMethodId: string;
}

export type CardOutcome =
  /** `dispute`: the payment is later charged back, or questioned first (an inquiry: nothing withdrawn). */
  | { kind: 'succeed'; dispute: false | 'chargeback' | 'inquiry' }
  /** `attachable`: saving the card to a customer succeeds, and only charges fail (4000 0000 0000 0341). */
  | { kind: 'decline'; code: string; declineCode: string; message: string; attachable?: true };

const DECLINED = 'Your card was declined.';

const OUTCOMES: Record<string, CardOutcome> = {
  '4242424242424242': { kind: 'succeed', dispute: false },
  '4000056655665556': { kind: 'succeed', dispute: false },
  '5555555555554444': { kind: 'succeed', dispute: false },
  '378282246310005': { kind: 'succeed', dispute: false },
  '4000000000000259': { kind: 'succeed', dispute: 'chargeback' },
  '4000000000001976': { kind: 'succeed', dispute: 'inquiry' },
  '4000000000000002': { kind: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED },
  '4000000000000341': { kind: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED, attachable: true },
  '4000000000009995': {
    kind: 'decline',
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  '4000000000000069': { kind: 'decline', code: 'expired_card', declineCode: 'expired_card', message: 'Your card has expired.' },
  '4000000000000127': {
    kind: 'decline',
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
};

const NOT_A_TEST_CARD: CardOutcome = {
  kind: 'decline',
  code: 'card_declined',
  declineCode: 'test_mode_live_card',
  message: 'Your card was declined. Your request was in test mode, but used a non test card.',
};

export function normalizeCardNumber(input: string): string {
  return input.replace(/[\s-]/g, '');
}

export function luhnValid(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** The declines a saved card can turn into (controls.declineSubscriptionPayments), by error code. */
export const SAVED_CARD_DECLINES = {
  expired_card: '4000000000000069',
  card_declined: '4000000000000002',
  insufficient_funds: '4000000000009995',
} as const;
export type SavedCardDecline = keyof typeof SAVED_CARD_DECLINES;

export function cardOutcome(digits: string): CardOutcome {
  return OUTCOMES[digits] ?? NOT_A_TEST_CARD;
}

export function cardInfo(digits: string, expMonth: number, expYear: number): CardInfo {
  const brand = digits.startsWith('5') ? 'mastercard' : /^3[47]/.test(digits) ? 'amex' : 'visa';
  return {
    brand,
    last4: digits.slice(-4),
    expMonth,
    expYear,
    fingerprint: createHash('sha256').update(`emulator:${digits}`).digest('base64url').slice(0, 16),
    paymentMethodId: newId('pm'),
  };
}
