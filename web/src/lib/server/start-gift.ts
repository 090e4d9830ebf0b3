import { createHash, randomUUID } from 'node:crypto';
import { apiSend, type ApiError } from './api';
import { isUuidText } from '../../../../server/uuid-text';

type Fetch = typeof fetch;

/** What the donate form asks the donations API for (every field but the key). */
export interface GiftRequest {
  amountMinor: string;
  frequency: 'one_off' | 'monthly';
  coverFees: boolean;
  anonymous: boolean;
  updatesOptIn: boolean;
  donorName?: string;
  donorEmail: string;
  message?: string;
  locale: string;
  /** The browser's zone, when it said one: the receipt is dated on the donor's calendar. */
  timeZone?: string;
  /** The region the page wrote numbers in, when it had one (es-MX): the receipt writes them so too. */
  formatLocale?: string;
}

/** The key to the gift's typed fields, for the browser that started it, and when it stops working. */
export interface ResumeKey {
  key: string;
  expiresAt: string;
}

/** Where the donor goes next (with the started gift's resume key), or the API's refusal for the form to explain. */
export type Started = { location: string; resume?: ResumeKey } | { status: number; error: ApiError };

interface Created {
  checkoutUrl: string;
  resumeKey: string;
  resumeExpiresAt: string;
}

const hash = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * The page's key plus what this submission asks for: pressing Donate twice (or reloading the POST)
 * replays the same gift, while going Back from Checkout and changing the amount is a new gift, not
 * a conflict with the first (the API answers a key reused with other fields with 409).
 */
export function giftKey(pageKey: string, gift: GiftRequest): string {
  const page = /^[A-Za-z0-9_-]{8,56}$/.test(pageKey) ? pageKey : randomUUID();
  return `${page}-${hash(JSON.stringify(gift))}`;
}

// The gift under this key can no longer be paid (its checkout expired, or cannot be reopened):
// the same fields are started again as a new gift.
const startAgain = new Set(['donation.checkout_expired', 'donation.checkout_not_resumable', 'donation.idempotency_conflict']);

/** The gift a 409 is about: the API names it in `details.donationId`. */
function donationIdOf(error: ApiError): string | undefined {
  const details: unknown = error.details;
  const id = details && typeof details === 'object' && 'donationId' in details ? details.donationId : undefined;
  return typeof id === 'string' && isUuidText(id) ? id : undefined;
}

/**
 * Starts the gift and answers where the donor goes: its checkout, or the thank-you page when this
 * very gift was already paid (Back from the thank-you page and Donate again must not give twice).
 * A gift that can no longer be paid is started again once under a key made from the first, not a
 * random one: sending the same form later replays that second gift (its checkout, or its thank-you
 * page once paid) instead of opening a third.
 */
export async function startGift(fetch: Fetch, slug: string, pageKey: string, gift: GiftRequest): Promise<Started> {
  const path = `/api/appeals/${encodeURIComponent(slug)}/donations`;
  let key = giftKey(pageKey, gift);
  for (let again = false; ; again = true) {
    const sent = await apiSend<Created>(fetch, 'POST', path, { ...gift, idempotencyKey: key });
    if (sent.ok) {
      const created = sent.body;
      if (!created?.checkoutUrl) return { status: 502, error: { code: 'unknown', message: 'No checkout URL.' } };
      return { location: created.checkoutUrl, resume: { key: created.resumeKey, expiresAt: created.resumeExpiresAt } };
    }
    const paid = sent.error.code === 'donation.checkout_completed' ? donationIdOf(sent.error) : undefined;
    if (paid) return { location: `/appeals/${encodeURIComponent(slug)}/thanks?donation=${paid}&again=1` };
    if (again || !startAgain.has(sent.error.code)) return { status: sent.status, error: sent.error };
    key = giftKey(hash(`again:${key}`), gift);
  }
}
