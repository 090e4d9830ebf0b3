import type { Donation } from '../../db/schema/index';

/** A monthly gift's amount split as its donor chose it: the gift, and what covering the fees adds. */
export interface MonthlySplit {
  amountMinor: bigint;
  coverFeesMinor: bigint;
}

type GiftAmounts = Pick<Donation, 'amountMinor' | 'coverFeesMinor' | 'renewalAmountMinor' | 'renewalCoverFeesMinor'>;

/**
 * What a monthly gift charges each renewal from now on (on its first donation): the amount Stripe
 * last said it charges, else the amount first given.
 */
export function renewalAmountOf(d: GiftAmounts): MonthlySplit {
  return d.renewalAmountMinor === null
    ? { amountMinor: d.amountMinor, coverFeesMinor: d.coverFeesMinor }
    : { amountMinor: d.renewalAmountMinor, coverFeesMinor: d.renewalCoverFeesMinor ?? 0n };
}

export const chargedOf = (split: MonthlySplit) => split.amountMinor + split.coverFeesMinor;

/*
 * Stripe knows only what a subscription charges, not how much of it covers the fees. A change made
 * here puts the split in the subscription's metadata in the same update as the price, so whoever
 * reads the subscription later (the poster after our own write was lost, a renewal's invoice, whose
 * copy of the metadata is fixed when it is finalized) finds it beside the price it belongs to. In
 * the currency's ISO minor units, as our rows keep them.
 */
const giftKey = 'renewal_gift_minor';
const coverFeesKey = 'renewal_cover_fees_minor';

/** The metadata that records `split` on the subscription (merged into the rest by Stripe). */
export function splitMetadata(split: MonthlySplit): Record<string, string> {
  return { [giftKey]: split.amountMinor.toString(), [coverFeesKey]: split.coverFeesMinor.toString() };
}

/** The split recorded in a subscription's (or its invoice's copy of) metadata; null when there is none, or it is not ours to read. */
function splitInMetadata(metadata: Record<string, string> | null | undefined): MonthlySplit | null {
  const gift = metadata?.[giftKey];
  const coverFees = metadata?.[coverFeesKey];
  // Anyone with the Dashboard can edit metadata: only whole numbers of a charge's size are read.
  if (!gift || !coverFees || !/^[1-9]\d{0,14}$/.test(gift) || !/^\d{1,15}$/.test(coverFees)) return null;
  return { amountMinor: BigInt(gift), coverFeesMinor: BigInt(coverFees) };
}

/**
 * How a monthly charge of `chargedMinor` splits, the same for the poster following Stripe and for
 * a renewal's own row: as the first split chosen here that adds up to it (the one beside the price
 * in the subscription's metadata, the gift's amount from now on, the first gift's), else all of it
 * is the gift. A total nobody here chose (a price set in Stripe's Dashboard) covers no fees that
 * anyone asked to cover.
 */
export function splitOfCharge(chargedMinor: bigint, gift: GiftAmounts, subscriptionMetadata: Record<string, string> | null | undefined): MonthlySplit {
  const chosen = [splitInMetadata(subscriptionMetadata), renewalAmountOf(gift), { amountMinor: gift.amountMinor, coverFeesMinor: gift.coverFeesMinor }];
  return chosen.find((split): split is MonthlySplit => split !== null && chargedOf(split) === chargedMinor) ?? { amountMinor: chargedMinor, coverFeesMinor: 0n };
}
