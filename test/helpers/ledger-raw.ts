import postgres from 'postgres';

// Raw SQL on the ledger tables, straight through postgres.js: what a script or a person in psql
// could do, with none of the service's checks in the way.

export type RawSql = postgres.Sql;

export function rawClient(url: string, max = 2): RawSql {
  return postgres(url, { max, onnotice: () => {} });
}

/** Everything a refused statement could have changed, as one comparable value. */
export interface LedgerFingerprint {
  accounts: number;
  transactions: number;
  entries: number;
  accountsMd5: string | null;
  transactionsMd5: string | null;
  entriesMd5: string | null;
}

export async function ledgerFingerprint(sql: RawSql): Promise<LedgerFingerprint> {
  const [row] = await sql<LedgerFingerprint[]>`
    SELECT (SELECT count(*)::int FROM ledger_accounts) AS accounts,
           (SELECT count(*)::int FROM ledger_transactions) AS transactions,
           (SELECT count(*)::int FROM ledger_entries) AS entries,
           (SELECT md5(string_agg(a::text, ',' ORDER BY a.id)) FROM ledger_accounts a) AS "accountsMd5",
           (SELECT md5(string_agg(t::text, ',' ORDER BY t.id)) FROM ledger_transactions t) AS "transactionsMd5",
           (SELECT md5(string_agg(e::text, ',' ORDER BY e.id)) FROM ledger_entries e) AS "entriesMd5"`;
  return row!;
}

export interface RawAccountSpec {
  code: string;
  currency: string;
  type: 'asset' | 'liability' | 'income' | 'expense' | 'equity';
  allowNegative?: boolean;
}

/** Opens accounts with a plain INSERT; returns their ids (as strings, postgres.js's int8). */
export async function rawOpenAccounts(sql: RawSql, specs: RawAccountSpec[]): Promise<string[]> {
  const ids: string[] = [];
  for (const s of specs) {
    const [row] = await sql<{ id: string }[]>`
      INSERT INTO ledger_accounts (code, currency, type, allow_negative)
      VALUES (${s.code}, ${s.currency}, ${s.type}, ${s.allowNegative ?? false})
      RETURNING id::text AS id`;
    ids.push(row!.id);
  }
  return ids;
}

/** Posts one transaction with plain INSERTs in one database transaction; returns its id. */
export async function rawPost(
  sql: RawSql,
  key: string,
  entries: { accountId: string; currency: string; amountMinor: bigint }[],
  opts: { reversesId?: string } = {},
): Promise<string> {
  return sql.begin(async (tx) => {
    const [t] = await tx<{ id: string }[]>`
      INSERT INTO ledger_transactions (idempotency_key, kind, occurred_at, content_hash, reverses_id)
      VALUES (${key}, 'test', now(), 'raw', ${opts.reversesId ?? null})
      RETURNING id::text AS id`;
    for (const e of entries) {
      await tx`INSERT INTO ledger_entries (transaction_id, account_id, currency, amount_minor)
               VALUES (${t!.id}, ${e.accountId}, ${e.currency}, ${e.amountMinor.toString()})`;
    }
    return t!.id;
  }) as Promise<string>;
}

export async function rawBalances(sql: RawSql, ids: string[]): Promise<bigint[]> {
  const rows = await sql<{ id: string; balance: string }[]>`
    SELECT id::text AS id, balance_minor::text AS balance FROM ledger_accounts WHERE id = ANY(${ids}::bigint[])`;
  const byId = new Map(rows.map((r) => [r.id, BigInt(r.balance)]));
  return ids.map((id) => byId.get(id)!);
}

/**
 * Runs `fn` with triggers disabled (session_replication_role = replica, superuser only): the one
 * way to corrupt a cached balance, used to prove that verification notices.
 */
export async function withTriggersDisabled<T>(sql: RawSql, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`;
    return fn(tx);
  }) as Promise<T>;
}
