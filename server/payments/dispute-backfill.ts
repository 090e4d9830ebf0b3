import type Stripe from 'stripe';
import type { Db } from '../../db/client';
import { closedDisputeStatuses } from './dispute-status';
import { appealOf, donationByCharge } from './donations-store';
import { idOf } from './handlers/amounts';
import { recordAndAnnounce } from './handlers/dispute-record';
import type { Platform } from '../auth/permissions';

export interface DisputeBackfill {
  /** Open disputes of this app's gifts, now listed for treasurers. */
  recorded: number;
  /** Open disputes of charges that are not gifts of this app (another product on the same account). */
  notOurs: number;
}

/**
 * The disputes Stripe has open for this app's gifts, recorded as Stripe reports them now. The
 * treasury's list is kept from dispute events, so a dispute opened before this app kept them (or
 * while its endpoint did not send charge.dispute.updated) would stay off the list until it closed,
 * and those are the ones whose answer may be due soon. Those awaiting an answer are mailed to their
 * treasurers as their event would have been. Safe to run again: a row only moves on to a later
 * report, and a treasurer gets each mail once.
 */
export async function recordOpenDisputes(db: Db, platform: Platform, stripe: Stripe, publicUrl: string | undefined): Promise<DisputeBackfill> {
  const result: DisputeBackfill = { recorded: 0, notOurs: 0 };
  const reportedAt = new Date();
  for await (const dispute of stripe.disputes.list({ limit: 100 })) {
    if (closedDisputeStatuses.includes(dispute.status)) continue;
    const donation = await donationByCharge(db, idOf(dispute.charge));
    if (!donation) {
      result.notOurs++;
      continue;
    }
    // Its treasurers are told, as if its event had come (once per dispute, status and treasurer).
    await db.transaction(async (tx) => recordAndAnnounce(tx, platform, dispute, donation.id, reportedAt, await appealOf(tx, donation.appealId), publicUrl));
    result.recorded++;
  }
  return result;
}
