import { giftChoiceFields } from '$lib/gift-choice';
import type { AppealDetail, DonationPublic } from '$lib/types';
import { isUuidText } from '../../../../server/uuid-text';

/**
 * The giving form's first values, in the shape of its own fields: the signed-in person's address,
 * and, back from a canceled checkout (?donation=…&canceled=1), the gift as it was asked (its number
 * of units, suggested or typed amount, monthly, fees covered), so the donor does not start over. The
 * address is never read back from the gift: its id in a link must not show whose it was.
 */
export async function giftStartValues(fetch: typeof globalThis.fetch, appeal: AppealDetail, url: URL, email: string | undefined, locale: string): Promise<Record<string, string>> {
  const values: Record<string, string> = email ? { email } : {};
  const id = url.searchParams.get('donation') ?? '';
  if (!url.searchParams.has('canceled') || !isUuidText(id)) return values;
  const res = await fetch(`/api/donations/${id}`, { headers: { accept: 'application/json' } });
  if (!res.ok) return values;
  const gift = (await res.json()) as DonationPublic;
  if (gift.appealSlug !== appeal.slug || gift.currency !== appeal.currency || !['pending', 'canceled'].includes(gift.status)) return values;
  if (gift.frequency === 'monthly') values.monthly = 'on';
  if (gift.coverFeesMinor !== '0') values.coverFees = 'on';
  // A typed amount used to come back only as a suggestion equal to it: any other (¥2,500) came back
  // as the form's default, which Continue would then have given instead.
  return { ...values, ...giftChoiceFields(gift.amountMinor, appeal, locale) };
}
