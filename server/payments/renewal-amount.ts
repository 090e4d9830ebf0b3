import type { Donation } from '../../db/schema/index';

/** A monthly gift's amount split as its donor chose it: the gift, and what covering the fees adds. */
export interface MonthlySplit {
  amountMinor: bigint;
  coverFeesMinor: bigint;
}

/**
 * What a monthly gift charges each renewal from now on (on its first donation): the amount its
 * donor changed it to, else the amount first given.
 */
export function renewalAmountOf(d: Pick<Donation, 'amountMinor' | 'coverFeesMinor' | 'renewalAmountMinor' | 'renewalCoverFeesMinor'>): MonthlySplit {
  return d.renewalAmountMinor === null
    ? { amountMinor: d.amountMinor, coverFeesMinor: d.coverFeesMinor }
    : { amountMinor: d.renewalAmountMinor, coverFeesMinor: d.renewalCoverFeesMinor ?? 0n };
}

export const chargedOf = (split: MonthlySplit) => split.amountMinor + split.coverFeesMinor;
