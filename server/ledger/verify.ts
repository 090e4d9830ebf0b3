import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client';

export interface VerifyReport {
  accounts: number;
  transactions: number;
  entries: number;
  problems: string[];
}

const problemLimit = 100;

/** Recomputes every balance from the entries and re-checks every invariant, from scratch. */
export async function verifyLedger(db: DbOrTx): Promise<VerifyReport> {
  const [counts] = await queryRows<{ accounts: string; transactions: string; entries: string }>(
    db,
    sql`SELECT (SELECT count(*) FROM ledger_accounts)::text AS accounts,
               (SELECT count(*) FROM ledger_transactions)::text AS transactions,
               (SELECT count(*) FROM ledger_entries)::text AS entries`,
  );
  const checks: [string, ReturnType<typeof sql>][] = [
    ['balance differs from its entries', sql`
      SELECT a.code || ' ' || a.currency || ': cached ' || a.balance_minor || ' / ' || a.entry_count || ' entries, entries say ' || coalesce(e.total, 0) || ' / ' || coalesce(e.n, 0) AS problem
        FROM ledger_accounts a LEFT JOIN (SELECT account_id, sum(amount_minor) AS total, count(*) AS n FROM ledger_entries GROUP BY account_id) e ON e.account_id = a.id
       WHERE a.balance_minor <> coalesce(e.total, 0) OR a.entry_count <> coalesce(e.n, 0)`],
    ['unbalanced transaction', sql`
      SELECT 'transaction ' || transaction_id || ' ' || currency || ' sums to ' || sum(amount_minor) AS problem
        FROM ledger_entries GROUP BY transaction_id, currency HAVING sum(amount_minor) <> 0`],
    ['transaction with fewer than two entries', sql`
      SELECT 'transaction ' || t.id || ' (' || t.idempotency_key || ') has ' || count(e.id) || ' entries' AS problem
        FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id GROUP BY t.id HAVING count(e.id) < 2`],
    ['entry without its account', sql`
      SELECT 'entry ' || e.id || ' names account ' || e.account_id || ', which does not exist' AS problem
        FROM ledger_entries e LEFT JOIN ledger_accounts a ON a.id = e.account_id WHERE a.id IS NULL`],
    ['entry in another currency than its account', sql`
      SELECT 'entry ' || e.id || ' is ' || e.currency || ', its account ' || a.currency AS problem
        FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE e.currency <> a.currency`],
    ['zero entry', sql`SELECT 'entry ' || id || ' is zero' AS problem FROM ledger_entries WHERE amount_minor = 0`],
    ['overdrawn account', sql`
      SELECT a.code || ' ' || a.currency || ' is overdrawn: ' || a.balance_minor AS problem
        FROM ledger_accounts a WHERE NOT a.allow_negative AND ledger_normal_balance(a.type, a.balance_minor) < 0`],
    ['reversal that does not mirror its original', sql`
      SELECT 'transaction ' || r.id || ' does not mirror ' || r.reverses_id AS problem
        FROM ledger_transactions r
       WHERE r.reverses_id IS NOT NULL AND EXISTS (
         SELECT account_id, sum(amount_minor) FROM ledger_entries WHERE transaction_id IN (r.id, r.reverses_id)
          GROUP BY account_id HAVING sum(amount_minor) <> 0)`],
  ];
  const problems: string[] = [];
  for (const [label, query] of checks) {
    const rows = await queryRows<{ problem: string }>(db, sql`${query} LIMIT ${problemLimit}`);
    problems.push(...rows.map((r) => `${label}: ${r.problem}`));
  }
  return { accounts: Number(counts!.accounts), transactions: Number(counts!.transactions), entries: Number(counts!.entries), problems };
}

// `npm run ledger:verify`: the ledger of DATABASE_URL (or the embedded one); exits 1 on any problem.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { loadConfig } = await import('../config');
  const { runCli } = await import('../cli');
  const { openDatabase } = await import('../../db/client');
  await runCli(async () => {
    const config = loadConfig();
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 1 });
    try {
      const report = await verifyLedger(database.db);
      process.stdout.write(
        `ledger:verify ${database.driver}: ${report.accounts} accounts, ${report.transactions} transactions, ${report.entries} entries — ` +
          `${report.problems.length === 0 ? 'every balance equals its entries, every invariant holds' : `${report.problems.length} problem(s)`}\n`,
      );
      for (const p of report.problems) process.stdout.write(`  ${p}\n`);
      return report.problems.length === 0 ? 0 : 1;
    } finally {
      await database.close();
    }
  });
}
