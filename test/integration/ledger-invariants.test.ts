import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import {
  ledgerFingerprint,
  rawBalances,
  rawClient,
  rawOpenAccounts,
  rawPost,
  type RawSql,
} from '../helpers/ledger-raw';

// Every invariant of the ledger is attacked here with raw SQL, as a script or a person in psql
// could: none of these go through the service, so the database itself has to refuse them.

let testDb: TestDatabase;
let sql: RawSql;

beforeAll(async () => {
  testDb = await createTestDatabase({ poolMax: 1 });
  sql = rawClient(testDb.url, 2);
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await testDb?.drop();
});

// SQLSTATEs the migration raises (restrict_violation, check_violation) and the constraints' own.
const RESTRICT = '23001';
const CHECK = '23514';
const FOREIGN_KEY = '23503';
const UNIQUE = '23505';

interface PgError {
  code: string;
  message: string;
}

/** Awaits a statement that must be refused; returns the database's error. */
async function refused(statement: Promise<unknown>, code: string, message: RegExp): Promise<PgError> {
  let error: unknown;
  try {
    await statement;
  } catch (err) {
    error = err;
  }
  expect(error, 'the database accepted it').toBeDefined();
  expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
  return error as PgError;
}

type Outcome = { stage: 'statement' | 'commit'; error: PgError } | { stage: 'committed' };

/** BEGIN, `statements`, COMMIT on one connection; says where (if anywhere) the database refused. */
async function attempt(statements: (c: RawSql) => Promise<void>): Promise<Outcome> {
  const c = await sql.reserve();
  try {
    await c`BEGIN`;
    try {
      await statements(c as unknown as RawSql);
    } catch (err) {
      await c`ROLLBACK`;
      return { stage: 'statement', error: err as PgError };
    }
    try {
      await c`COMMIT`;
    } catch (err) {
      return { stage: 'commit', error: err as PgError };
    }
    return { stage: 'committed' };
  } finally {
    await c`ROLLBACK`.catch(() => {});
    c.release();
  }
}

/**
 * BEGIN, `statements` (each must succeed on its own), then COMMIT, which must be refused: the
 * checks that can only be judged on the whole transaction run at commit.
 */
async function refusedAtCommit(statements: (c: RawSql) => Promise<void>, code: string, message: RegExp): Promise<PgError> {
  const outcome = await attempt(statements);
  expect(outcome.stage === 'statement' ? outcome.error : undefined, 'a statement before COMMIT failed').toBeUndefined();
  expect(outcome.stage, 'the database committed it').toBe('commit');
  const error = (outcome as { error: PgError }).error;
  expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
  return error;
}

async function committed(statements: (c: RawSql) => Promise<void>): Promise<void> {
  const outcome = await attempt(statements);
  if (outcome.stage !== 'committed') throw outcome.error;
}

async function newTransaction(c: RawSql, key: string, reversesId: string | null = null): Promise<string> {
  const [t] = await c<{ id: string }[]>`
    INSERT INTO ledger_transactions (idempotency_key, kind, occurred_at, content_hash, reverses_id)
    VALUES (${key}, 'test', now(), 'raw', ${reversesId}) RETURNING id::text AS id`;
  return t!.id;
}

async function newEntry(c: RawSql, transactionId: string, accountId: string, currency: string, amountMinor: bigint): Promise<void> {
  await c`INSERT INTO ledger_entries (transaction_id, account_id, currency, amount_minor)
          VALUES (${transactionId}, ${accountId}, ${currency}, ${amountMinor.toString()})`;
}

let fixtureCount = 0;

/**
 * Fresh accounts for one test (codes unique to it) and one committed donation of 10.00 USD:
 * debit stripe:pending, credit the appeal.
 */
async function fixture() {
  const n = ++fixtureCount;
  const [pending, appeal, available, pendingEur, appealEur, emptyAppeal, clearing, fees] = await rawOpenAccounts(sql, [
    { code: `t${n}:stripe:pending`, currency: 'USD', type: 'asset' },
    { code: `t${n}:appeal:a`, currency: 'USD', type: 'liability' },
    { code: `t${n}:stripe:available`, currency: 'USD', type: 'asset' },
    { code: `t${n}:stripe:pending`, currency: 'EUR', type: 'asset' },
    { code: `t${n}:appeal:a`, currency: 'EUR', type: 'liability' },
    { code: `t${n}:appeal:empty`, currency: 'USD', type: 'liability' },
    { code: `t${n}:fx:clearing`, currency: 'USD', type: 'asset', allowNegative: true },
    { code: `t${n}:fees:stripe`, currency: 'USD', type: 'expense' },
  ]);
  const donation = await rawPost(sql, `t${n}:donation`, [
    { accountId: pending!, currency: 'USD', amountMinor: 1000n },
    { accountId: appeal!, currency: 'USD', amountMinor: -1000n },
  ]);
  return { n, pending: pending!, appeal: appeal!, available: available!, pendingEur: pendingEur!, appealEur: appealEur!, emptyAppeal: emptyAppeal!, clearing: clearing!, fees: fees!, donation };
}

describe('posted entries and transactions are append-only', () => {
  // A posted amount must never change: corrections are reversing transactions.
  it('refuses UPDATE of an entry', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`UPDATE ledger_entries SET amount_minor = amount_minor + 1 WHERE transaction_id = ${f.donation}`, RESTRICT, /UPDATE on ledger_entries is not allowed/);
    // Even a statement that would keep every sum the same (moving an entry to another account).
    await refused(sql`UPDATE ledger_entries SET account_id = ${f.available} WHERE account_id = ${f.pending}`, RESTRICT, /append-only/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // Deleting entries would silently change balances and history.
  it('refuses DELETE of entries', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`DELETE FROM ledger_entries WHERE transaction_id = ${f.donation}`, RESTRICT, /DELETE on ledger_entries is not allowed/);
    await refused(sql`DELETE FROM ledger_entries`, RESTRICT, /append-only/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // A transaction's key, kind and date are part of the audit trail.
  it('refuses UPDATE of a transaction', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`UPDATE ledger_transactions SET description = 'edited' WHERE id = ${f.donation}`, RESTRICT, /UPDATE on ledger_transactions is not allowed/);
    await refused(sql`UPDATE ledger_transactions SET idempotency_key = idempotency_key || ':x' WHERE id = ${f.donation}`, RESTRICT, /append-only/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // Removing a transaction (even with its entries, in one go) must be impossible.
  it('refuses DELETE of a transaction', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`DELETE FROM ledger_transactions WHERE id = ${f.donation}`, RESTRICT, /DELETE on ledger_transactions is not allowed/);
    await refused(
      sql.begin(async (tx) => {
        await tx`DELETE FROM ledger_entries WHERE transaction_id = ${f.donation}`;
        await tx`DELETE FROM ledger_transactions WHERE id = ${f.donation}`;
      }),
      RESTRICT,
      /DELETE on ledger_entries is not allowed/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // TRUNCATE skips row triggers, so it needs its own statement trigger on each table.
  it('refuses TRUNCATE of entries and of transactions', async () => {
    await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`TRUNCATE ledger_entries`, RESTRICT, /TRUNCATE on ledger_entries is not allowed/);
    // Listing both tables gets past the foreign key check, so the triggers are what refuse.
    await refused(sql`TRUNCATE ledger_transactions, ledger_entries`, RESTRICT, /TRUNCATE on ledger_(transactions|entries) is not allowed/);
    await refused(sql`TRUNCATE ledger_transactions CASCADE`, RESTRICT, /TRUNCATE on ledger_(transactions|entries) is not allowed/);
    await refused(sql`TRUNCATE ledger_accounts CASCADE`, RESTRICT, /TRUNCATE on ledger_(accounts|transactions|entries) is not allowed/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
    expect(before.entries).toBeGreaterThan(0);
  });
});

describe('a transaction balances per currency, checked at commit', () => {
  // Each INSERT is fine on its own; only the whole transaction can be judged, so COMMIT refuses.
  it('refuses an unbalanced transaction at COMMIT, after its inserts succeeded', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    let inserted = 0;
    await refusedAtCommit(
      async (c) => {
        const t = await newTransaction(c, `t${f.n}:unbalanced`);
        await newEntry(c, t, f.pending, 'USD', 500n);
        inserted++;
        await newEntry(c, t, f.appeal, 'USD', -499n);
        inserted++;
        // Inside the transaction the entries are there and the cached balance already moved.
        const [row] = await c<{ n: number }[]>`SELECT count(*)::int AS n FROM ledger_entries WHERE transaction_id = ${t}`;
        expect(row!.n).toBe(2);
        expect(await rawBalances(c, [f.pending])).toEqual([1500n]);
      },
      CHECK,
      new RegExp(`transaction \\d+ \\(t${f.n}:unbalanced\\) is unbalanced: its USD entries sum to 1 instead of 0`),
    );
    expect(inserted).toBe(2);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // The deferred check is what lets a poster write a transaction entry by entry.
  it('commits a balanced transaction written entry by entry in one database transaction', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await committed(async (c) => {
      const t = await newTransaction(c, `t${f.n}:entry-by-entry`);
      await newEntry(c, t, f.pending, 'USD', 941n);
      await newEntry(c, t, f.fees, 'USD', 59n);
      await newEntry(c, t, f.appeal, 'USD', -1000n);
    });
    const after = await ledgerFingerprint(sql);
    expect(after.transactions).toBe(before.transactions + 1);
    expect(after.entries).toBe(before.entries + 3);
    expect(await rawBalances(sql, [f.pending, f.fees, f.appeal])).toEqual([1941n, 59n, -2000n]);
  });

  // USD +100 / EUR -100 sums to zero as numbers, but it creates dollars out of euros.
  it('refuses a transaction that sums to zero overall but not per currency', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refusedAtCommit(
      async (c) => {
        const t = await newTransaction(c, `t${f.n}:cross-currency`);
        await newEntry(c, t, f.pending, 'USD', 100n);
        await newEntry(c, t, f.appealEur, 'EUR', -100n);
      },
      CHECK,
      /transaction \d+ \(t\d+:cross-currency\) is unbalanced: its (USD entries sum to 100|EUR entries sum to -100) instead of 0/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // The same check seen from the other side: balanced in each currency is fine.
  it('commits a two-currency transaction that balances in each currency', async () => {
    const f = await fixture();
    await committed(async (c) => {
      const t = await newTransaction(c, `t${f.n}:two-currencies`);
      await newEntry(c, t, f.pending, 'USD', 100n);
      await newEntry(c, t, f.appeal, 'USD', -100n);
      await newEntry(c, t, f.pendingEur, 'EUR', 70n);
      await newEntry(c, t, f.appealEur, 'EUR', -70n);
    });
    expect(await rawBalances(sql, [f.pending, f.appeal, f.pendingEur, f.appealEur])).toEqual([1100n, -1100n, 70n, -70n]);
  });

  // An account has one currency; an entry in another would mix currencies in one balance.
  // Entries hang off a transaction that exists; the set-based trigger check replaces a row-by-row FK.
  it('refuses an entry for a transaction that does not exist', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(
      sql`INSERT INTO ledger_entries (transaction_id, account_id, currency, amount_minor) VALUES (987654321, ${f.pending}, 'USD', 5)`,
      FOREIGN_KEY,
      /refers to transaction 987654321, which does not exist/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  it('refuses an entry whose currency is not its account\'s', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(
      sql.begin(async (c) => {
        const t = await newTransaction(c as unknown as RawSql, `t${f.n}:wrong-currency`);
        await newEntry(c as unknown as RawSql, t, f.pending, 'EUR', 100n);
        await newEntry(c as unknown as RawSql, t, f.appealEur, 'EUR', -100n);
      }),
      FOREIGN_KEY,
      new RegExp(`entry in EUR for account ${f.pending}, which is in USD`),
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // One statement whose entries name one account in its own currency and in another: the right
  // one must not carry the wrong one through (the check is per account and currency, not per account).
  it('refuses a statement that gives one account entries in two currencies', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(
      sql.begin(async (c) => {
        const t = await newTransaction(c as unknown as RawSql, `t${f.n}:mixed-currency`);
        await c`INSERT INTO ledger_entries (transaction_id, account_id, currency, amount_minor)
                VALUES (${t}, ${f.pending}, 'USD', 100), (${t}, ${f.pending}, 'EUR', 100), (${t}, ${f.appeal}, 'USD', -100), (${t}, ${f.appealEur}, 'EUR', -100)`;
      }),
      FOREIGN_KEY,
      new RegExp(`entry in EUR for account ${f.pending}, which is in USD`),
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  it('refuses an entry for an account that does not exist', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(
      sql.begin(async (c) => {
        const t = await newTransaction(c as unknown as RawSql, `t${f.n}:no-account`);
        await newEntry(c as unknown as RawSql, t, '987654321', 'USD', 100n);
        await newEntry(c as unknown as RawSql, t, f.appeal, 'USD', -100n);
      }),
      FOREIGN_KEY,
      /entry refers to account 987654321, which does not exist/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // A zero entry carries no money and only hides what a transaction did.
  it('refuses a zero amount', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(
      sql.begin(async (c) => {
        const t = await newTransaction(c as unknown as RawSql, `t${f.n}:zero`);
        await newEntry(c as unknown as RawSql, t, f.pending, 'USD', 0n);
        await newEntry(c as unknown as RawSql, t, f.pending, 'USD', 100n);
        await newEntry(c as unknown as RawSql, t, f.appeal, 'USD', -100n);
      }),
      CHECK,
      /ledger_entries_amount_non_zero/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // Double entry means at least two sides; one entry can never be a movement of money.
  it('refuses a transaction with one entry', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refusedAtCommit(
      async (c) => {
        const t = await newTransaction(c, `t${f.n}:one-entry`);
        await newEntry(c, t, f.pending, 'USD', 100n);
      },
      CHECK,
      /fewer than two entries|is unbalanced/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // An empty transaction sums to zero trivially, so it needs a check of its own.
  it('refuses a transaction with zero entries', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refusedAtCommit(
      async (c) => {
        await newTransaction(c, `t${f.n}:no-entries`);
      },
      CHECK,
      new RegExp(`transaction \\d+ \\(t${f.n}:no-entries\\) has fewer than two entries`),
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // A committed transaction is closed: one more entry would rewrite (and unbalance) it. The
  // database may refuse the INSERT itself or the COMMIT; either way nothing may change.
  it('refuses an entry added later to an already committed transaction', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    const outcome = await attempt(async (c) => {
      await newEntry(c, f.donation, f.pending, 'USD', 5n);
    });
    expect(outcome.stage).not.toBe('committed');
    expect((outcome as { error: PgError }).error).toMatchObject({
      code: expect.stringMatching(new RegExp(`^(${RESTRICT}|${CHECK})$`)),
      message: expect.stringMatching(new RegExp(`transaction ${f.donation} (\\(t${f.n}:donation\\) is unbalanced|is already committed)`)),
    });
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // Appending a balanced pair keeps the sums but still rewrites a posted transaction (its entries
  // would no longer match its content hash, and a replay of its key would claim the old content).
  it('refuses a balanced pair of entries added later to an already committed transaction', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    const outcome = await attempt(async (c) => {
      await newEntry(c, f.donation, f.pending, 'USD', 5000n);
      await newEntry(c, f.donation, f.appeal, 'USD', -5000n);
    });
    expect(outcome.stage, `two entries were appended to committed transaction ${f.donation}`).not.toBe('committed');
    expect((outcome as { error: PgError }).error.message).toMatch(new RegExp(`transaction ${f.donation} is already committed`));
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // Savepoints are ordinary (drizzle's nested transactions, PL/pgSQL exception blocks): a
  // transaction written with its entries inside one is not "already committed" and must commit.
  it('commits a balanced transaction written inside a savepoint', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    const outcome = await attempt(async (c) => {
      await c`SAVEPOINT posting`;
      const t = await newTransaction(c, `t${f.n}:in-savepoint`);
      await newEntry(c, t, f.pending, 'USD', 250n);
      await newEntry(c, t, f.appeal, 'USD', -250n);
      await c`RELEASE SAVEPOINT posting`;
    });
    expect(outcome.stage === 'committed' ? undefined : outcome.error.message, 'refused').toBeUndefined();
    const after = await ledgerFingerprint(sql);
    expect(after.transactions).toBe(before.transactions + 1);
    expect(await rawBalances(sql, [f.pending, f.appeal])).toEqual([1250n, -1250n]);
  });
});

describe('accounts that may not go negative never do at commit', () => {
  // Stripe can never hold less than nothing: crediting an asset below zero is refused.
  it('refuses an asset account credited below zero', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refusedAtCommit(
      async (c) => {
        const t = await newTransaction(c, `t${f.n}:asset-overdraft`);
        await newEntry(c, t, f.pending, 'USD', 100n);
        await newEntry(c, t, f.available, 'USD', -100n);
      },
      CHECK,
      new RegExp(`account t${f.n}:stripe:available \\(USD\\) would be overdrawn: balance -100`),
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // An appeal cannot give away more than it holds: debiting a liability below zero is refused.
  it('refuses a liability account debited below zero', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refusedAtCommit(
      async (c) => {
        // The appeal holds 10.00 (balance -1000); paying out 10.01 takes it past zero.
        const t = await newTransaction(c, `t${f.n}:liability-overdraft`);
        await newEntry(c, t, f.appeal, 'USD', 1001n);
        await newEntry(c, t, f.clearing, 'USD', -1001n);
      },
      CHECK,
      new RegExp(`account t${f.n}:appeal:a \\(USD\\) would be overdrawn: balance 1`),
    );
    await refusedAtCommit(
      async (c) => {
        const t = await newTransaction(c, `t${f.n}:empty-liability-overdraft`);
        await newEntry(c, t, f.emptyAppeal, 'USD', 1n);
        await newEntry(c, t, f.pending, 'USD', -1n);
      },
      CHECK,
      new RegExp(`account t${f.n}:appeal:empty \\(USD\\) would be overdrawn`),
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // The check is on the balance at commit, so a transaction may pass through zero on its way.
  it('allows an account to dip below zero inside a transaction if it is back by commit', async () => {
    const f = await fixture();
    await committed(async (c) => {
      const t = await newTransaction(c, `t${f.n}:dip`);
      await newEntry(c, t, f.available, 'USD', -300n);
      await newEntry(c, t, f.available, 'USD', 300n);
      await newEntry(c, t, f.pending, 'USD', 50n);
      await newEntry(c, t, f.appeal, 'USD', -50n);
    });
    expect(await rawBalances(sql, [f.available, f.pending, f.appeal])).toEqual([0n, 1050n, -1050n]);
  });

  // Clearing and suspense accounts are allowed to run negative; the flag must be honoured.
  it('lets allow_negative accounts go below zero', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await committed(async (c) => {
      const t = await newTransaction(c, `t${f.n}:allowed-negative`);
      await newEntry(c, t, f.clearing, 'USD', -2500n);
      await newEntry(c, t, f.fees, 'USD', 2500n);
    });
    expect(await rawBalances(sql, [f.clearing, f.fees])).toEqual([-2500n, 2500n]);
    expect((await ledgerFingerprint(sql)).transactions).toBe(before.transactions + 1);
  });

  // Turning the flag off on an overdrawn account would leave an overdraft behind.
  // The overdraft rule is part of what an account is: switching it would let money be overdrawn
  // (on) or strand a balance that is already below zero (off).
  it('refuses changing allow_negative either way', async () => {
    const f = await fixture();
    await rawPost(sql, `t${f.n}:to-negative`, [
      { accountId: f.clearing, currency: 'USD', amountMinor: -10n },
      { accountId: f.fees, currency: 'USD', amountMinor: 10n },
    ]);
    const before = await ledgerFingerprint(sql);
    await refused(sql`UPDATE ledger_accounts SET allow_negative = false WHERE id = ${f.clearing}`, RESTRICT, /cannot change its id, code, currency, type or overdraft rule/);
    await refused(sql`UPDATE ledger_accounts SET allow_negative = true WHERE id = ${f.pending}`, RESTRICT, /cannot change its id, code, currency, type or overdraft rule/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });
});

describe('accounts', () => {
  // A balance is derived from entries; setting it directly would make the ledger lie.
  it('refuses setting balance_minor (or entry_count) directly', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`UPDATE ledger_accounts SET balance_minor = balance_minor - 1000 WHERE id = ${f.appeal}`, RESTRICT, new RegExp(`balance of account t${f.n}:appeal:a is derived from its entries`));
    await refused(sql`UPDATE ledger_accounts SET balance_minor = 0`, RESTRICT, /is derived from its entries and cannot be set/);
    await refused(sql`UPDATE ledger_accounts SET entry_count = entry_count + 1 WHERE id = ${f.pending}`, RESTRICT, /is derived from its entries/);
    // Nor can an account be opened with money already in it.
    await refused(
      sql`INSERT INTO ledger_accounts (code, currency, type, balance_minor) VALUES (${`t${f.n}:opened-rich`}, 'USD', 'asset', 1000000)`,
      CHECK,
      /must open with a zero balance/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // Entries carry the account's currency and sign convention; neither may change under them.
  it('refuses changing an account\'s currency or type', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`UPDATE ledger_accounts SET currency = 'EUR' WHERE id = ${f.pending}`, RESTRICT, /cannot change its id, code, currency, type or overdraft rule/);
    await refused(sql`UPDATE ledger_accounts SET currency = 'EUR' WHERE id = ${f.available}`, RESTRICT, /cannot change its id, code, currency, type or overdraft rule/);
    // asset → liability would flip the meaning of its balance (and the overdraft rule).
    await refused(sql`UPDATE ledger_accounts SET type = 'liability' WHERE id = ${f.pending}`, RESTRICT, /cannot change its id, code, currency, type or overdraft rule/);
    await refused(sql`UPDATE ledger_accounts SET code = code || ':renamed' WHERE id = ${f.available}`, RESTRICT, /cannot change its id, code, currency, type or overdraft rule/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // An account is referenced by history; even one without entries stays.
  it('refuses deleting an account', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(sql`DELETE FROM ledger_accounts WHERE id = ${f.available}`, RESTRICT, /DELETE on ledger_accounts is not allowed/);
    await refused(sql`DELETE FROM ledger_accounts WHERE id = ${f.pending}`, RESTRICT, /DELETE on ledger_accounts is not allowed/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });
});

describe('reversals', () => {
  // A posting can be corrected once; a second reversal would double the correction.
  it('refuses a second reversal of the same transaction', async () => {
    const f = await fixture();
    const entries = [
      { accountId: f.pending, currency: 'USD', amountMinor: -1000n },
      { accountId: f.appeal, currency: 'USD', amountMinor: 1000n },
    ];
    await rawPost(sql, `t${f.n}:reversal-1`, entries, { reversesId: f.donation });
    expect(await rawBalances(sql, [f.pending, f.appeal])).toEqual([0n, 0n]);
    // Give the accounts money again so the second reversal cannot fail for an overdraft instead.
    await rawPost(sql, `t${f.n}:donation-2`, [
      { accountId: f.pending, currency: 'USD', amountMinor: 1000n },
      { accountId: f.appeal, currency: 'USD', amountMinor: -1000n },
    ]);
    const before = await ledgerFingerprint(sql);
    await refused(rawPost(sql, `t${f.n}:reversal-2`, entries, { reversesId: f.donation }), UNIQUE, /reverses_id/);
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });

  // The idempotency key is the ledger's replay protection; the database must hold it too.
  it('refuses a second transaction with the same idempotency key', async () => {
    const f = await fixture();
    const before = await ledgerFingerprint(sql);
    await refused(
      rawPost(sql, `t${f.n}:donation`, [
        { accountId: f.pending, currency: 'USD', amountMinor: 1000n },
        { accountId: f.appeal, currency: 'USD', amountMinor: -1000n },
      ]),
      UNIQUE,
      /idempotency_key/,
    );
    expect(await ledgerFingerprint(sql)).toEqual(before);
  });
});
