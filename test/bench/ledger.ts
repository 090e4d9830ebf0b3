import postgres from 'postgres';
import { openAccounts, post, verifyLedger, type PostingInput } from '../../server/ledger/service';
import type { Database } from '../../db/client';
import { withBenchDatabase } from './bench-db';

// Postings per second through post() against a naive baseline measured in the same run: one
// database transaction per posting doing `UPDATE … SET balance = balance + $1` and two entry
// inserts, on plain tables without the ledger's triggers. Both sides use the same connections.
const concurrency = 4;
const spreadAccounts = 10_000;
const batchSizes = [1, 100, 1_000];
const postingsFor = (batch: number) => (batch === 1 ? 2_000 : batch === 100 ? 20_000 : 40_000);
const naivePostings = 4_000;

type Scenario = 'hot' | 'spread';

interface Row {
  scenario: Scenario;
  batch: number;
  postings: number;
  seconds: number;
  perSecond: number;
  naivePerSecond: number;
}

export async function runLedgerBench(): Promise<void> {
  await withBenchDatabase(concurrency, async (database, url) => {
    const accounts = await setUpAccounts(database);
    const naive = postgres(url, { max: concurrency, onnotice: () => {} });
    await setUpNaive(naive);
    const rows: Row[] = [];
    for (const scenario of ['hot', 'spread'] as const) {
      const naivePerSecond = await measureNaive(naive, scenario);
      for (const batch of batchSizes) {
        const { postings, seconds } = await measureLedger(database, accounts, scenario, batch);
        rows.push({ scenario, batch, postings, seconds, perSecond: postings / seconds, naivePerSecond });
        printRow(rows.at(-1)!);
      }
    }
    await naive.end();
    const report = await verifyLedger(database.db);
    process.stdout.write(`\nledger:verify after the run: ${report.transactions} transactions, ${report.problems.length} problems\n`);
    if (report.problems.length > 0) process.exitCode = 1;
    printTargets(rows);
  });
}

interface Accounts {
  pending: bigint;
  hotAppeal: bigint;
  assets: bigint[];
  appeals: bigint[];
}

async function setUpAccounts(database: Database): Promise<Accounts> {
  const specs = [
    { code: 'stripe:pending', currency: 'USD', type: 'asset' as const },
    { code: 'appeal:hot', currency: 'USD', type: 'liability' as const },
    ...Array.from({ length: spreadAccounts }, (_, i) => [
      { code: `bank:${i}`, currency: 'USD', type: 'asset' as const },
      { code: `appeal:${i}`, currency: 'USD', type: 'liability' as const },
    ]).flat(),
  ];
  const ids = new Map<string, bigint>();
  for (let i = 0; i < specs.length; i += 2_000) {
    for (const [k, v] of await openAccounts(database.db, specs.slice(i, i + 2_000))) ids.set(k, v);
  }
  return {
    pending: ids.get('stripe:pending|USD')!,
    hotAppeal: ids.get('appeal:hot|USD')!,
    assets: Array.from({ length: spreadAccounts }, (_, i) => ids.get(`bank:${i}|USD`)!),
    appeals: Array.from({ length: spreadAccounts }, (_, i) => ids.get(`appeal:${i}|USD`)!),
  };
}

let keySeq = 0;

function posting(accounts: Accounts, scenario: Scenario, n: number): PostingInput {
  const [debit, credit] =
    scenario === 'hot' ? [accounts.pending, accounts.hotAppeal] : [accounts.assets[n % spreadAccounts]!, accounts.appeals[n % spreadAccounts]!];
  return {
    idempotencyKey: `bench:${scenario}:${keySeq++}`,
    kind: 'gift',
    entries: [
      { accountId: debit, amountMinor: 100n },
      { accountId: credit, amountMinor: -100n },
    ],
  };
}

async function measureLedger(database: Database, accounts: Accounts, scenario: Scenario, batch: number) {
  const total = postingsFor(batch);
  const batches = Array.from({ length: Math.ceil(total / batch) }, (_, b) =>
    Array.from({ length: batch }, (_, i) => posting(accounts, scenario, b * batch + i)),
  );
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) await post(database.db, batches[next++]!);
    }),
  );
  return { postings: total, seconds: (performance.now() - started) / 1000 };
}

async function setUpNaive(sql: postgres.Sql) {
  await sql`CREATE TABLE naive_accounts (id bigint PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)`;
  await sql`CREATE TABLE naive_entries (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES naive_accounts, amount bigint NOT NULL)`;
  await sql`INSERT INTO naive_accounts (id) SELECT generate_series(0, ${2 * spreadAccounts + 1})`;
}

async function measureNaive(sql: postgres.Sql, scenario: Scenario): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < naivePostings) {
        const n = next++;
        const [debit, credit] = scenario === 'hot' ? [0, 1] : [2 + (n % spreadAccounts), 2 + spreadAccounts + (n % spreadAccounts)];
        await sql.begin(async (tx) => {
          await tx`UPDATE naive_accounts SET balance = balance + ${100} WHERE id = ${debit}`;
          await tx`UPDATE naive_accounts SET balance = balance - ${100} WHERE id = ${credit}`;
          await tx`INSERT INTO naive_entries (account_id, amount) VALUES (${debit}, ${100}), (${credit}, ${-100})`;
        });
      }
    }),
  );
  return naivePostings / ((performance.now() - started) / 1000);
}

function printRow(r: Row) {
  if (r.scenario === 'hot' && r.batch === batchSizes[0]) {
    process.stdout.write(`\nledger benchmark: real Postgres, ${concurrency} connections on both sides\n`);
    process.stdout.write('scenario  batch  postings  seconds  postings/s  naive/s  ratio\n');
  }
  process.stdout.write(
    `${r.scenario.padEnd(8)}  ${String(r.batch).padStart(5)}  ${String(r.postings).padStart(8)}  ${r.seconds.toFixed(2).padStart(7)}  ` +
      `${Math.round(r.perSecond).toString().padStart(10)}  ${Math.round(r.naivePerSecond).toString().padStart(7)}  ${(r.perSecond / r.naivePerSecond).toFixed(1).padStart(5)}x\n`,
  );
}

function printTargets(rows: Row[]) {
  const hot = rows.find((r) => r.scenario === 'hot' && r.batch === 1_000)!;
  const ratio = hot.perSecond / hot.naivePerSecond;
  const met = hot.perSecond >= 10_000 && ratio >= 5;
  process.stdout.write(
    `target (hot account, batch 1,000): >= 10,000 postings/s and >= 5x naive — got ${Math.round(hot.perSecond)}/s, ${ratio.toFixed(1)}x: ${met ? 'met' : 'NOT met'}\n`,
  );
  if (!met) process.exitCode = 1;
}
