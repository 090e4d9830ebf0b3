import { eq, sql } from 'drizzle-orm';
import { queryRows, type Db, type DbOrTx } from '../../../db/client';
import { ledgerEntries, ledgerTransactions } from '../../../db/schema/index';
import type { PostingInput } from '../../ledger/service';

/*
 * What an event that undoes an earlier one (a refund the bank returned, a payout that failed) asks
 * before it posts the reversal: whether the earlier one is posted, or still waiting to be.
 */

/** A kind of event that posts what is to be undone; one of its statuses may mean it posts nothing. */
export interface PostingEvent {
  type: string;
  /** Statuses of the event's object for which it does not post (a refund.updated reporting a failure). */
  unlessStatus?: string[];
}

/**
 * Whether the inbox still holds an event of one of `events` about `objectId` to post (waiting, or
 * in a batch under way in another poster), other than `exceptEventId`. Ask it before looking for
 * the posting, in this order: an event that another poster's batch commits in between is then
 * either still pending here or already posted there, never neither. Rare (asked only when
 * something is to be undone), so a scan of the pending events; the CASE parses only those types'
 * bodies, since Postgres may test a WHERE in any order.
 */
export async function eventPending(db: Db, objectId: string, events: PostingEvent[], exceptEventId = ''): Promise<boolean> {
  const object = storedEventObject;
  const whens = events.map(({ type, unlessStatus }) =>
    unlessStatus?.length
      ? sql`WHEN type = ${type} THEN CASE WHEN ${object}->>'status' NOT IN (${sql.join(unlessStatus.map((s) => sql`${s}`), sql`, `)}) THEN ${object}->>'id' END`
      : sql`WHEN type = ${type} THEN ${object}->>'id'`,
  );
  const rows = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM stripe_events
         WHERE status = 'pending' AND id <> ${exceptEventId} AND CASE ${sql.join(whens, sql` `)} END = ${objectId}`,
  );
  return rows[0]!.n > 0;
}

/**
 * A stored event's object, as JSON Postgres can read fields of. A `\u0000` escape anywhere in it
 * (a NUL typed into a Stripe field) makes Postgres refuse to read any text out of it (22P05), and
 * with it every query scanning the inbox: the escape is read as U+FFFD instead, for the ids and
 * statuses these queries compare (a backslash written before "u0000" reads differently too, in
 * text no query looks at).
 */
export const storedEventObject = sql`replace(payload, '\\u0000', '\\ufffd')::json->'data'->'object'`;

/**
 * The posting that undoes the one posted under `reversedKey` (its entries negated, linked to it),
 * described by `posting`; undefined when nothing was posted under that key.
 */
export async function reversalOf(db: Db, reversedKey: string, posting: Omit<PostingInput, 'entries' | 'reversesId'>): Promise<PostingInput | undefined> {
  const postedId = await postedIdOf(db, reversedKey);
  if (postedId === undefined) return undefined;
  const entries = await db.select().from(ledgerEntries).where(eq(ledgerEntries.transactionId, postedId));
  return { ...posting, reversesId: postedId, entries: entries.map((e) => ({ accountId: e.accountId, amountMinor: -e.amountMinor })) };
}

/** The ledger transaction posted under an idempotency key, if any (in `db`'s view: a transaction sees its own). */
async function postedIdOf(db: DbOrTx, idempotencyKey: string): Promise<bigint | undefined> {
  const [posted] = await db.select({ id: ledgerTransactions.id }).from(ledgerTransactions).where(eq(ledgerTransactions.idempotencyKey, idempotencyKey));
  return posted?.id;
}

/** What the posting under an idempotency key was posted for (its metadata), if anything is posted under it. */
export async function postedMetadataOf(db: DbOrTx, idempotencyKey: string): Promise<Record<string, unknown> | undefined> {
  const [posted] = await db.select({ metadata: ledgerTransactions.metadata }).from(ledgerTransactions).where(eq(ledgerTransactions.idempotencyKey, idempotencyKey));
  return posted?.metadata;
}

/** Whether anything is posted under an idempotency key. */
export async function isPosted(db: DbOrTx, idempotencyKey: string): Promise<boolean> {
  return (await postedIdOf(db, idempotencyKey)) !== undefined;
}

/**
 * The idempotency keys of a gift's postings of `kind` that stand (none reverses them), oldest
 * first: a chargeback's loss, a refund's return to that loss.
 */
export async function standingPostingsOf(db: DbOrTx, kind: string, donationId: string): Promise<string[]> {
  const rows = await queryRows<{ key: string }>(
    db,
    sql`SELECT t.idempotency_key AS key FROM ledger_transactions t
         WHERE t.kind = ${kind} AND t.metadata->>'donationId' = ${donationId}
           AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.reverses_id = t.id)
         ORDER BY t.id`,
  );
  return rows.map((r) => r.key);
}
