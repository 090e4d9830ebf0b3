import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx, type Tx } from '../../db/client';
import { inIdList } from '../../db/id-list';
import { ledgerTransactions } from '../../db/schema/index';
import { LedgerError } from './errors';
import type { PostingInput, PostingResult } from './types';

export const postBatchSizeMax = 10_000;
const entriesPerPostingMax = 50;

/**
 * Writes many ledger transactions in one database transaction. Idempotent by key: a replay with
 * the same content returns the existing transaction; different content is a conflict. Balance rows
 * are locked in one fixed order (by id) so concurrent batches never deadlock, and the database
 * updates each cached balance once per batch (trigger `ledger_entries_apply`). Given a transaction
 * (`tx`), it writes inside it, so a caller can post and update its own rows atomically.
 */
export async function post(db: DbOrTx, batch: PostingInput[]): Promise<PostingResult[]> {
  if (batch.length === 0) return [];
  const run = async (tx: Tx) => {
    const staged = await stagePostings(tx, batch);
    await staged.writeEntries();
    return staged.results;
  };
  return isTransaction(db) ? run(db) : db.transaction(run).catch(translateDatabaseError);
}

/** Postings whose transactions are written and whose entries are not yet. */
export interface StagedPostings {
  /** One per input, as post() answers them. */
  results: PostingResult[];
  /** Locks the accounts the new postings touch and writes their entries; call once, before commit. */
  writeEntries(): Promise<void>;
}

/**
 * post() in two steps inside the caller's database transaction: the transactions first (which
 * says which postings are new), the entries when the caller says so. A caller that has other rows
 * to write puts them in between, so the account balance rows (hot: every gift touches the same
 * few) stay locked only for the entries and the commit, not for the caller's other writes. The
 * database still refuses to commit a transaction without its balanced entries.
 */
export async function stagePostings(tx: Tx, batch: PostingInput[]): Promise<StagedPostings> {
  if (batch.length > postBatchSizeMax) {
    throw new LedgerError('ledger.batch_too_large', `A batch holds at most ${postBatchSizeMax} postings.`);
  }
  if (batch.length === 0) return { results: [], writeEntries: async () => {} };
  const postings = uniqueByKey(batch);
  const currencies = await accountCurrencies(tx, sortedAccountIds(postings));
  for (const p of postings) assertBalanced(p.input, currencies);
  const byKey = await insertTransactions(tx, postings);
  const fresh = postings.filter((p) => byKey.get(p.input.idempotencyKey)?.created);
  let written = false;
  return {
    results: firstOccurrenceCreated(batch, batch.map((p) => byKey.get(p.idempotencyKey)!)),
    async writeEntries() {
      if (written || fresh.length === 0) return;
      written = true;
      // Balance rows are locked always in id order, so concurrent batches on a hot account queue
      // up and never deadlock.
      await lockAccounts(tx, sortedAccountIds(fresh));
      await insertEntries(tx, fresh, byKey, currencies);
    },
  };
}

// A key twice in one batch is one posting: only its first occurrence says it was created.
function firstOccurrenceCreated(batch: PostingInput[], results: PostingResult[]): PostingResult[] {
  const seen = new Set<string>();
  return results.map((r, i) => {
    const key = batch[i]!.idempotencyKey;
    const repeat = seen.has(key);
    seen.add(key);
    return repeat && r.created ? { ...r, created: false } : r;
  });
}

/** What the database refused at commit, as the ledger's own error codes rather than a 500. */
function translateDatabaseError(err: unknown): never {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause ?? (err as { code?: string; message?: string });
  if (cause?.code === '23514' && /overdrawn/.test(cause.message ?? '')) {
    throw new LedgerError('ledger.overdrawn', cause.message!.replace(/^ledger: /, ''));
  }
  if (cause?.code === '23503' && /reverses_id/.test(cause.message ?? '')) {
    throw new LedgerError('ledger.unknown_transaction', 'The transaction to reverse does not exist.');
  }
  throw err;
}

interface Prepared {
  input: PostingInput;
  hash: string;
}

function isTransaction(db: DbOrTx): db is Tx {
  return 'rollback' in db;
}

/** Duplicates inside one batch collapse to one posting, or conflict if their content differs. */
function uniqueByKey(batch: PostingInput[]): Prepared[] {
  const byKey = new Map<string, Prepared>();
  for (const input of batch) {
    assertShape(input);
    const prepared = { input, hash: contentHash(input) };
    const seen = byKey.get(input.idempotencyKey);
    if (seen && seen.hash !== prepared.hash) throw conflict(input.idempotencyKey);
    byKey.set(input.idempotencyKey, prepared);
  }
  // Sorted keys: two batches sharing keys take the unique-index locks in the same order.
  return [...byKey.values()].sort((a, b) => (a.input.idempotencyKey < b.input.idempotencyKey ? -1 : 1));
}

const keyLengthMax = 255;

function assertShape(p: PostingInput): void {
  if (p.idempotencyKey.length === 0 || p.idempotencyKey.length > keyLengthMax) {
    throw new LedgerError('ledger.invalid_key', `An idempotency key has 1 to ${keyLengthMax} characters.`);
  }
  if (p.entries.length < 2) {
    throw new LedgerError('ledger.too_few_entries', `Posting ${p.idempotencyKey} needs at least 2 entries.`);
  }
  if (p.entries.length > entriesPerPostingMax) {
    throw new LedgerError('ledger.too_many_entries', `Posting ${p.idempotencyKey} has more than ${entriesPerPostingMax} entries.`);
  }
  if (p.entries.some((e) => e.amountMinor === 0n)) {
    throw new LedgerError('ledger.zero_amount', `Posting ${p.idempotencyKey} has a zero entry.`);
  }
}

/** What makes two postings "the same": the money, not the wording. */
export function contentHash(p: PostingInput): string {
  const entries = p.entries
    .map((e) => `${e.accountId}:${e.amountMinor}`)
    .sort()
    .join(',');
  return createHash('sha256').update(`${p.kind}|${p.reversesId ?? ''}|${entries}`).digest('hex');
}

function conflict(key: string): LedgerError {
  return new LedgerError('ledger.idempotency_conflict', `Idempotency key ${key} was already used for a different posting.`);
}

function sortedAccountIds(postings: Prepared[]): bigint[] {
  const ids = new Set(postings.flatMap((p) => p.input.entries.map((e) => e.accountId)));
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const idArray = (ids: bigint[]) => `{${ids.join(',')}}`;

/** Currencies never change (a trigger guards them), so they are read without a lock. */
async function accountCurrencies(tx: DbOrTx, ids: bigint[]): Promise<Map<bigint, string>> {
  const found = await queryRows<{ id: string; currency: string }>(
    tx,
    sql`SELECT id::text AS id, currency FROM ledger_accounts WHERE id = ANY(${idArray(ids)}::bigint[])`,
  );
  const currencies = new Map(found.map((r) => [BigInt(r.id), r.currency]));
  const missing = ids.filter((id) => !currencies.has(id));
  if (missing.length > 0) {
    throw new LedgerError('ledger.unknown_account', `No ledger account ${missing.slice(0, 5).join(', ')}.`, { accountIds: missing.slice(0, 20).map(String) });
  }
  return currencies;
}

// FOR NO KEY UPDATE: the lock the balance update takes anyway, and no stronger: reads of the
// accounts (another batch's currencies, a statement) go on meanwhile.
async function lockAccounts(tx: DbOrTx, ids: bigint[]): Promise<void> {
  await tx.execute(sql`SELECT id FROM ledger_accounts WHERE id = ANY(${idArray(ids)}::bigint[]) ORDER BY id FOR NO KEY UPDATE`);
}

function assertBalanced(p: PostingInput, currencies: Map<bigint, string>): void {
  const sums = new Map<string, bigint>();
  for (const e of p.entries) {
    const currency = currencies.get(e.accountId)!;
    sums.set(currency, (sums.get(currency) ?? 0n) + e.amountMinor);
  }
  for (const [currency, sum] of sums) {
    if (sum !== 0n) {
      throw new LedgerError('ledger.unbalanced', `Posting ${p.idempotencyKey} does not balance in ${currency}: off by ${sum}.`);
    }
  }
}

// Batches travel as JSON text read by json_to_recordset: as jsonb, Postgres would first build the
// whole batch as a binary document only to take it apart (1,000 postings: 18-28 ms against 9-11).
async function insertTransactions(tx: DbOrTx, postings: Prepared[]): Promise<Map<string, PostingResult>> {
  const payload = JSON.stringify(
    postings.map(({ input: p, hash }) => ({
      k: p.idempotencyKey,
      kind: p.kind,
      d: p.description ?? '',
      at: (p.occurredAt ?? new Date()).toISOString(),
      m: p.metadata ?? {},
      h: hash,
      r: p.reversesId?.toString() ?? null,
    })),
  );
  const inserted = await queryRows<{ id: string; k: string }>(
    tx,
    sql`INSERT INTO ledger_transactions (idempotency_key, kind, description, occurred_at, metadata, content_hash, reverses_id)
        SELECT x.k, x.kind, x.d, x.at, x.m, x.h, x.r
          FROM json_to_recordset(${payload}::text::json) AS x(k text, kind text, d text, at timestamptz, m jsonb, h text, r bigint)
        ON CONFLICT DO NOTHING
        RETURNING id::text AS id, idempotency_key AS k`,
  );
  const results = new Map<string, PostingResult>(
    inserted.map((r) => [r.k, { idempotencyKey: r.k, transactionId: BigInt(r.id), created: true }]),
  );
  const replayed = postings.filter((p) => !results.has(p.input.idempotencyKey));
  if (replayed.length > 0) await matchReplays(tx, replayed, results);
  return results;
}

/** A key posted before: the same content is a no-op, other content is a conflict. */
async function matchReplays(tx: DbOrTx, replayed: Prepared[], results: Map<string, PostingResult>) {
  const keys = replayed.map((p) => p.input.idempotencyKey);
  const existing = await queryRows<{ id: string; k: string; h: string }>(
    tx,
    sql`SELECT id::text AS id, idempotency_key AS k, content_hash AS h FROM ledger_transactions
         WHERE ${inIdList(ledgerTransactions.idempotencyKey, keys)}`,
  );
  const byKey = new Map(existing.map((r) => [r.k, r]));
  for (const p of replayed) {
    const found = byKey.get(p.input.idempotencyKey);
    // No arbiter on the insert: a reversal that lost a race on reverses_id lands here, not in an error.
    if (!found && p.input.reversesId !== undefined) {
      throw new LedgerError('ledger.already_reversed', `Transaction ${p.input.reversesId} is already reversed.`);
    }
    if (!found) throw new Error(`ledger: key ${p.input.idempotencyKey} neither inserted nor found`);
    if (found.h !== p.hash) {
      if (p.input.reversesId !== undefined) {
        throw new LedgerError('ledger.already_reversed', `Transaction ${p.input.reversesId} is already reversed.`);
      }
      throw conflict(p.input.idempotencyKey);
    }
    results.set(p.input.idempotencyKey, { idempotencyKey: p.input.idempotencyKey, transactionId: BigInt(found.id), created: false });
  }
}

async function insertEntries(tx: DbOrTx, postings: Prepared[], results: Map<string, PostingResult>, currencies: Map<bigint, string>) {
  if (postings.length === 0) return;
  const entries = postings.flatMap(({ input: p }) => {
    const transactionId = results.get(p.idempotencyKey)!.transactionId.toString();
    return p.entries.map((e) => ({ t: transactionId, a: e.accountId.toString(), c: currencies.get(e.accountId), v: e.amountMinor.toString() }));
  });
  // One INSERT statement: the balance trigger then touches each account once for the whole batch.
  await tx.execute(
    sql`INSERT INTO ledger_entries (transaction_id, account_id, currency, amount_minor)
        SELECT x.t, x.a, x.c, x.v FROM json_to_recordset(${JSON.stringify(entries)}::text::json) AS x(t bigint, a bigint, c text, v bigint)`,
  );
}
