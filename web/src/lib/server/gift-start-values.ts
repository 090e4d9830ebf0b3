import { giftChoiceFields } from '$lib/gift-choice';
import { apiSend } from './api';
import type { AppealDetail, DonationPublic, DonationTyped } from '$lib/types';
import { isUuidText } from '../../../../server/uuid-text';

type Fetch = typeof globalThis.fetch;

interface StartFrom {
  /** The page's address: ?donation=…&canceled=1 when Checkout's Cancel led back to it. */
  url: URL;
  signedInEmail: string | undefined;
  locale: string;
  /** The key this browser was given when it started its latest gift to the appeal (a cookie). */
  resumeKey: string | undefined;
}

/**
 * The giving form's first values, in the shape of its own fields: the signed-in person's address,
 * and, back from a canceled checkout (?donation=…&canceled=1), the gift as it was asked (its number
 * of units, suggested or typed amount, monthly, fees covered), so the donor does not start over.
 * What she typed (name, address, message, her choices) comes back only to the browser that holds
 * the gift's key: its id in a link must not show whose it was.
 */
export async function giftStartValues(fetch: Fetch, appeal: AppealDetail, from: StartFrom): Promise<Record<string, string>> {
  const values: Record<string, string> = from.signedInEmail ? { email: from.signedInEmail } : {};
  const id = from.url.searchParams.get('donation') ?? '';
  if (!from.url.searchParams.has('canceled') || !isUuidText(id)) return values;
  const res = await fetch(`/api/donations/${id}`, { headers: { accept: 'application/json' } });
  if (!res.ok) return values;
  const gift = (await res.json()) as DonationPublic;
  if (gift.appealSlug !== appeal.slug || gift.currency !== appeal.currency || !['pending', 'canceled'].includes(gift.status)) return values;
  if (gift.frequency === 'monthly') values.monthly = 'on';
  if (gift.coverFeesMinor !== '0') values.coverFees = 'on';
  // A typed amount used to come back only as a suggestion equal to it: any other (¥2,500) came back
  // as the form's default, which Continue would then have given instead.
  return { ...values, ...(await typedFields(fetch, id, from.resumeKey)), ...giftChoiceFields(gift.amountMinor, appeal, from.locale) };
}

/** What the donor typed for the gift, as the form's fields; nothing without its key, or once refused. */
async function typedFields(fetch: Fetch, donationId: string, key: string | undefined): Promise<Record<string, string>> {
  if (!key) return {};
  const sent = await apiSend<DonationTyped>(fetch, 'POST', `/api/donations/${donationId}/resume`, { key });
  if (!sent.ok) return {};
  const typed = sent.body;
  const fields: Record<string, string> = {};
  if (typed.donorName) fields.name = typed.donorName;
  if (typed.donorEmail) fields.email = typed.donorEmail;
  if (typed.message) fields.message = typed.message;
  if (typed.anonymous) fields.anonymous = 'on';
  if (typed.updatesOptIn) fields.updates = 'on';
  return fields;
}
