import type { DbOrTx } from '../../db/client';
import { platformTreasurers, treasurersOf, type Platform } from '../auth/permissions';

/**
 * Who is told of what Stripe did to a gift's money (a dispute, a refund the bank sent back): the
 * treasurers of its organization (and above it, where their grant reaches down), and the
 * platform's, since the Stripe account is the platform's; each once.
 */
export async function treasurersOfGift(tx: DbOrTx, platform: Platform, organizationId: string) {
  const all = [...(await treasurersOf(tx, organizationId)), ...(await platformTreasurers(tx, platform))];
  return [...new Map(all.map((t) => [t.userId, t])).values()];
}
