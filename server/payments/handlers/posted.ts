import { eq, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client';
import { ledgerEntries, ledgerTransactions } from '../../../db/schema/index';
import type { EntryInput } from '../../ledger/service';

/*
 * What an event that undoes an earlier one (a refund the bank returned, a payout that failed) asks
 * before it posts the reversal: whether the earlier one is posted, or still waiting to be.
 */

/**
 * Whether the inbox still holds an event of `type` about `objectId` to post (waiting, or in a batch
 * under way in another poster). Ask it before looking for the posting, in this order: an event that
 * another poster's batch commits in between is then either still pending here or already posted
 * there, never neither. Rare (asked only when something is to be undone), so a scan of the pending
 * events; the CASE parses only that type's bodies, since Postgres may test a WHERE in any order.
 */
export async function eventPending(db: Db, type: string, objectId: string): Promise<boolean> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM stripe_events
         WHERE status = 'pending' AND CASE WHEN type = ${type} THEN payload::json->'data'->'object'->>'id' END = ${objectId}`,
  );
  return rows[0]!.n > 0;
}

/** The ledger transaction posted under `idempotencyKey` and the entries that undo it, if it was posted. */
export async function reversalOf(db: Db, idempotencyKey: string): Promise<{ id: bigint; entries: EntryInput[] } | undefined> {
  const [posted] = await db.select({ id: ledgerTransactions.id }).from(ledgerTransactions).where(eq(ledgerTransactions.idempotencyKey, idempotencyKey));
  if (!posted) return undefined;
  const entries = await db.select().from(ledgerEntries).where(eq(ledgerEntries.transactionId, posted.id));
  return { id: posted.id, entries: entries.map((e) => ({ accountId: e.accountId, amountMinor: -e.amountMinor })) };
}
