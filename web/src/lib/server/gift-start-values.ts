import { suggestedAmountsMinor, suggestedUnits } from '$lib/amounts';
import type { AppealDetail, DonationPublic } from '$lib/types';
import { isUuidText } from '../../../../server/uuid-text';

/**
 * The giving form's first values, in the shape of its own fields: the signed-in person's address,
 * and, back from a canceled checkout (?donation=…&canceled=1), the gift as it was asked (its number
 * of units or suggested amount, monthly, fees covered), so the donor does not start over. The
 * address is never read back from the gift: its id in a link must not show whose it was.
 */
export async function giftStartValues(fetch: typeof globalThis.fetch, appeal: AppealDetail, url: URL, email: string | undefined): Promise<Record<string, string>> {
  const values: Record<string, string> = email ? { email } : {};
  const id = url.searchParams.get('donation') ?? '';
  if (!url.searchParams.has('canceled') || !isUuidText(id)) return values;
  const res = await fetch(`/api/donations/${id}`, { headers: { accept: 'application/json' } });
  if (!res.ok) return values;
  const gift = (await res.json()) as DonationPublic;
  if (gift.appealSlug !== appeal.slug || gift.currency !== appeal.currency || !['pending', 'canceled'].includes(gift.status)) return values;
  if (gift.frequency === 'monthly') values.monthly = 'on';
  if (gift.coverFeesMinor !== '0') values.coverFees = 'on';
  const amount = BigInt(gift.amountMinor);
  if (appeal.unit) {
    const price = BigInt(appeal.unit.priceMinor);
    if (amount % price !== 0n) return values;
    const units = amount / price;
    if ((suggestedUnits as readonly number[]).includes(Number(units))) values.units = units.toString();
    else values.unitsOther = units.toString();
  } else if (suggestedAmountsMinor(appeal.currency).includes(gift.amountMinor)) {
    values.preset = gift.amountMinor;
  }
  return values;
}
