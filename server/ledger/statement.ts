import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client';
import { AppError } from '../errors';
import { bigintMax, inBigintRange, isLedgerId } from './bigint';
import { LedgerError } from './errors';
import { isUuidText } from '../uuid-text';
import { uuidOrNull } from '../uuid-sql';

export interface StatementLine {
  entryId: bigint;
  transactionId: bigint;
  idempotencyKey: string;
  kind: string;
  description: string;
  occurredAt: Date;
  postedAt: Date;
  amountMinor: bigint;
  /** The account's balance right after this entry. */
  balanceAfterMinor: bigint;
  /** The gift the posting belongs to (its metadata says), so a treasurer can open it; else null. */
  donationId: string | null;
  /** That gift's appeal, if the posting names a gift. */
  appeal: { slug: string; title: string; language: string } | null;
}

export const statementPageMax = 500;

// The cursor carries the last line's entry id and the balance before it, so each page is one
// indexed range scan and the running balance stays exact without summing from the start.
function encode(entryId: bigint, balanceBefore: bigint): string {
  return Buffer.from(`${entryId}:${balanceBefore}`).toString('base64url');
}

const invalidCursor = () => new AppError(400, 'invalid_cursor', 'The cursor is not one this API gave out.');

function decode(cursor: string): { entryId: bigint; balanceBefore: bigint } {
  const m = /^(\d{1,19}):(-?\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  // Both are bigints in Postgres: beyond their range they are no entry's and no balance.
  if (!m || !isLedgerId(m[1]!) || !inBigintRange(BigInt(m[2]!))) throw invalidCursor();
  return { entryId: BigInt(m[1]!), balanceBefore: BigInt(m[2]!) };
}

/** An account's entries, newest first, with the running balance; keyset-paginated. */
export async function statement(
  db: DbOrTx,
  accountId: bigint,
  opts: { cursor?: string; limit?: number; from?: Date; to?: Date } = {},
): Promise<{ currency: string; lines: StatementLine[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), statementPageMax);
  const bounds = await dateBounds(db, accountId, opts);
  const after = opts.cursor ? decode(opts.cursor) : bounds.upper;
  // One statement, one snapshot: the starting balance and the page agree even while postings land.
  const rows = await queryRows<Record<string, string>>(
    db,
    sql`WITH acct AS (SELECT currency, balance_minor FROM ledger_accounts WHERE id = ${accountId.toString()}::bigint),
         page AS (
           SELECT e.id, e.transaction_id, e.amount_minor, t.idempotency_key, t.kind, t.description, t.occurred_at, t.posted_at,
                  t.metadata->>'donationId' AS donation_id
             FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
            WHERE e.account_id = ${accountId.toString()}::bigint
              AND e.id < ${(after ? after.entryId : bigintMax).toString()}::bigint
              AND e.id >= ${bounds.lowestEntryId.toString()}::bigint
            ORDER BY e.id DESC LIMIT ${limit + 1})
       SELECT acct.currency, acct.balance_minor::text AS balance, page.id::text AS entry_id, page.transaction_id::text AS transaction_id,
              page.amount_minor::text AS amount, page.idempotency_key, page.kind, page.description,
              page.occurred_at, page.posted_at, page.donation_id, ap.slug AS appeal_slug, ap.title AS appeal_title, ap.language AS appeal_language,
              (coalesce(sum(page.amount_minor) OVER (ORDER BY page.id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::text AS newer_sum
         FROM acct LEFT JOIN page ON true
         -- The cast only of a well-formed id, so the join uses the gifts' primary key.
         LEFT JOIN donations d ON d.id = ${uuidOrNull(sql.raw('page.donation_id'))}
         LEFT JOIN appeals ap ON ap.id = d.appeal_id
        ORDER BY page.id DESC`,
  );
  if (rows.length === 0) throw new LedgerError('ledger.unknown_account', `No ledger account ${accountId}.`);
  const currency = rows[0]!.currency!;
  const start = after ? after.balanceBefore : BigInt(rows[0]!.balance!);
  const lines = rows
    .filter((r) => r.entry_id != null)
    .map((r) => ({
      entryId: BigInt(r.entry_id!),
      transactionId: BigInt(r.transaction_id!),
      idempotencyKey: r.idempotency_key!,
      kind: r.kind!,
      description: r.description!,
      occurredAt: new Date(r.occurred_at!),
      postedAt: new Date(r.posted_at!),
      amountMinor: BigInt(r.amount!),
      balanceAfterMinor: start - BigInt(r.newer_sum!),
      donationId: isUuidText(r.donation_id) ? r.donation_id : null,
      appeal: r.appeal_slug && r.appeal_title && r.appeal_language ? { slug: r.appeal_slug, title: r.appeal_title, language: r.appeal_language } : null,
    }));
  const page = lines.slice(0, limit);
  // The database holds every balance as a bigint: one beyond its range means the cursor's balance was made up.
  if (after && page.some((l) => !inBigintRange(l.balanceAfterMinor))) throw invalidCursor();
  const last = page.at(-1);
  const more = lines.length > limit && last;
  return { currency, lines: page, nextCursor: more ? encode(last.entryId, last.balanceAfterMinor - last.amountMinor) : null };
}

/**
 * A date range as a range of entry ids, so the page stays one contiguous run of the account's
 * entries and every running balance stays exact: the range ends before the first entry posted at
 * or after `to` (its balance before is the balance less everything from there on) and starts at
 * the first entry posted at or after `from`.
 */
async function dateBounds(db: DbOrTx, accountId: bigint, opts: { from?: Date; to?: Date }) {
  const account = accountId.toString();
  let upper: { entryId: bigint; balanceBefore: bigint } | undefined;
  let lowestEntryId = 0n;
  if (opts.to) {
    const [row] = await queryRows<{ first_id: string | null; later_sum: string | null; balance: string | null }>(
      db,
      sql`WITH first AS (
            SELECT min(e.id) AS id FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
             WHERE e.account_id = ${account}::bigint AND t.posted_at >= ${opts.to.toISOString()}::timestamptz)
          SELECT (SELECT id FROM first)::text AS first_id,
                 (SELECT sum(amount_minor) FROM ledger_entries WHERE account_id = ${account}::bigint AND id >= (SELECT id FROM first))::text AS later_sum,
                 (SELECT balance_minor FROM ledger_accounts WHERE id = ${account}::bigint)::text AS balance`,
    );
    if (row?.first_id && row.balance !== null) {
      upper = { entryId: BigInt(row.first_id), balanceBefore: BigInt(row.balance) - BigInt(row.later_sum ?? '0') };
    }
  }
  if (opts.from) {
    const [row] = await queryRows<{ first_id: string | null }>(
      db,
      sql`SELECT min(e.id)::text AS first_id FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
           WHERE e.account_id = ${account}::bigint AND t.posted_at >= ${opts.from.toISOString()}::timestamptz`,
    );
    // Nothing posted since `from`: an empty range.
    lowestEntryId = row?.first_id ? BigInt(row.first_id) : bigintMax;
  }
  return { upper, lowestEntryId };
}
