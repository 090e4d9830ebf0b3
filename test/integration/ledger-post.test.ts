import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { ledgerTransactions } from '../../db/schema/index';
import {
  balance,
  LedgerError,
  openAccounts,
  post,
  reverse,
  stagePostings,
  statement,
  verifyLedger,
  type PostingInput,
  type StatementLine,
} from '../../server/ledger/service';
import { AppError } from '../../server/errors';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { ledgerFingerprint, rawClient, withTriggersDisabled, type RawSql } from '../helpers/ledger-raw';
import { runLedgerVerifyCli, verifySummaryLine } from '../helpers/ledger-verify-cli';

// The ledger service as the rest of the app uses it: post, replay, conflict, reverse, balance,
// statement and verify, on a real Postgres database of its own.

let testDb: TestDatabase;
let raw: RawSql;

beforeAll(async () => {
  testDb = await createTestDatabase({ poolMax: 4 });
  raw = rawClient(testDb.url, 2);
});

afterAll(async () => {
  await raw?.end({ timeout: 5 });
  await testDb?.drop();
});

const db = () => testDb.database.db;

let setCount = 0;

/** A fresh chart for one test: USD and JPY pending/fees/appeals, unique codes. */
async function chart() {
  const n = ++setCount;
  const ids = await openAccounts(db(), [
    { code: `s${n}:stripe:pending`, currency: 'USD', type: 'asset' },
    { code: `s${n}:fees:stripe`, currency: 'USD', type: 'expense' },
    { code: `s${n}:appeal:a`, currency: 'USD', type: 'liability' },
    { code: `s${n}:appeal:b`, currency: 'USD', type: 'liability' },
    { code: `s${n}:stripe:pending`, currency: 'JPY', type: 'asset' },
    { code: `s${n}:appeal:a`, currency: 'JPY', type: 'liability' },
  ]);
  const id = (code: string, currency = 'USD') => ids.get(`s${n}:${code}|${currency}`)!;
  return {
    n,
    pending: id('stripe:pending'),
    fees: id('fees:stripe'),
    appealA: id('appeal:a'),
    appealB: id('appeal:b'),
    pendingJpy: id('stripe:pending', 'JPY'),
    appealJpy: id('appeal:a', 'JPY'),
  };
}
type Chart = Awaited<ReturnType<typeof chart>>;

/** A card donation: gross to the appeal, the fee to Stripe's fees, the rest pending at Stripe. */
function donation(c: Chart, key: string, grossMinor: bigint, feeMinor: bigint, appeal = c.appealA): PostingInput {
  return {
    idempotencyKey: `s${c.n}:${key}`,
    kind: 'donation',
    description: `donation ${key}`,
    entries: [
      { accountId: c.pending, amountMinor: grossMinor - feeMinor },
      { accountId: c.fees, amountMinor: feeMinor },
      { accountId: appeal, amountMinor: -grossMinor },
    ],
  };
}

async function balances(...ids: bigint[]): Promise<bigint[]> {
  return Promise.all(ids.map(async (id) => (await balance(db(), id)).balanceMinor));
}

/** The rejection of `promise`, which must be a LedgerError with `code`. */
async function ledgerError(promise: Promise<unknown>, code: string): Promise<LedgerError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `expected ${code}, but it succeeded`).toBeDefined();
  expect(error).toBeInstanceOf(LedgerError);
  expect((error as LedgerError).code).toBe(code);
  return error as LedgerError;
}

describe('post', () => {
  // The basic promise: a batch lands in one go, and a replay of it is a no-op with the same ids.
  it('posts a batch, and a replay returns the same ids with created=false and moves nothing', async () => {
    const c = await chart();
    const batch = [donation(c, 'd1', 1000n, 59n), donation(c, 'd2', 2500n, 103n), donation(c, 'd3', 700n, 50n, c.appealB)];
    const first = await post(db(), batch);
    expect(first.map((r) => r.created)).toEqual([true, true, true]);
    expect(new Set(first.map((r) => r.transactionId)).size).toBe(3);
    expect(first.map((r) => r.idempotencyKey)).toEqual(batch.map((p) => p.idempotencyKey));
    expect(await balances(c.pending, c.fees, c.appealA, c.appealB)).toEqual([3988n, 212n, -3500n, -700n]);
    const before = await ledgerFingerprint(raw);

    const replay = await post(db(), batch);
    expect(replay).toEqual(first.map((r) => ({ ...r, created: false })));
    // Replaying in another order, or one at a time, is the same no-op.
    const reordered = await post(db(), [batch[2]!, batch[0]!]);
    expect(reordered.map((r) => [r.transactionId, r.created])).toEqual([[first[2]!.transactionId, false], [first[0]!.transactionId, false]]);
    expect((await post(db(), [batch[1]!]))[0]).toEqual({ ...first[1], created: false });
    expect(await ledgerFingerprint(raw)).toEqual(before);
    expect(await balances(c.pending, c.fees, c.appealA, c.appealB)).toEqual([3988n, 212n, -3500n, -700n]);
  });

  // Idempotency is about the money: the same key with other wording is still the same posting.
  it('treats the same key and money with a different description as a replay', async () => {
    const c = await chart();
    const [first] = await post(db(), [donation(c, 'd1', 1000n, 30n)]);
    const before = await ledgerFingerprint(raw);
    const [again] = await post(db(), [{ ...donation(c, 'd1', 1000n, 30n), description: 'reworded', metadata: { retry: 2 } }]);
    expect(again).toEqual({ ...first, created: false });
    expect(await ledgerFingerprint(raw)).toEqual(before);
  });

  // A batch that mixes new postings with replays writes only the new ones.
  it('writes only the new postings of a batch that also holds replays', async () => {
    const c = await chart();
    const [old] = await post(db(), [donation(c, 'old', 1000n, 30n)]);
    const results = await post(db(), [donation(c, 'new', 400n, 20n), donation(c, 'old', 1000n, 30n)]);
    expect(results[0]!.created).toBe(true);
    expect(results[1]).toEqual({ ...old, created: false });
    expect(await balances(c.pending, c.fees, c.appealA)).toEqual([1350n, 50n, -1400n]);
    expect((await balance(db(), c.appealA)).entryCount).toBe(2n);
  });

  // A key reused for different money is a bug upstream; it must not be booked, nor the batch.
  it('refuses the same key with different content (ledger.idempotency_conflict) and writes none of the batch', async () => {
    const c = await chart();
    await post(db(), [donation(c, 'd1', 1000n, 59n)]);
    const before = await ledgerFingerprint(raw);
    const error = await ledgerError(
      post(db(), [donation(c, 'fresh-1', 500n, 10n), donation(c, 'd1', 1000n, 60n), donation(c, 'fresh-2', 300n, 10n)]),
      'ledger.idempotency_conflict',
    );
    expect(error.message).toContain(`s${c.n}:d1`);
    expect(error.statusCode).toBe(409);
    // Other accounts, other kind: also a conflict.
    await ledgerError(post(db(), [{ ...donation(c, 'd1', 1000n, 59n, c.appealB) }]), 'ledger.idempotency_conflict');
    await ledgerError(post(db(), [{ ...donation(c, 'd1', 1000n, 59n), kind: 'grant' }]), 'ledger.idempotency_conflict');
    expect(await ledgerFingerprint(raw)).toEqual(before);
    expect((await raw`SELECT count(*)::int AS n FROM ledger_transactions WHERE idempotency_key LIKE ${`s${c.n}:fresh-%`}`)[0]!.n).toBe(0);
  });

  // A poster may see one event twice in one batch: identical copies collapse, different ones conflict.
  it('collapses identical duplicates inside one batch and refuses different ones', async () => {
    const c = await chart();
    const results = await post(db(), [donation(c, 'dup', 1000n, 30n), donation(c, 'other', 200n, 10n), donation(c, 'dup', 1000n, 30n)]);
    expect(results[0]!.transactionId).toBe(results[2]!.transactionId);
    expect(results[0]!.idempotencyKey).toBe(`s${c.n}:dup`);
    expect(await balances(c.pending, c.fees, c.appealA)).toEqual([1160n, 40n, -1200n]);
    const [row] = await raw`SELECT count(*)::int AS n FROM ledger_transactions WHERE idempotency_key = ${`s${c.n}:dup`}`;
    expect(row!.n).toBe(1);

    const before = await ledgerFingerprint(raw);
    await ledgerError(
      post(db(), [donation(c, 'dup2', 1000n, 30n), donation(c, 'fresh', 100n, 1n), donation(c, 'dup2', 1000n, 31n)]),
      'ledger.idempotency_conflict',
    );
    expect(await ledgerFingerprint(raw)).toEqual(before);
  });

  // Money that does not balance is refused before the database sees it, with a useful code.
  it('refuses unbalanced input (ledger.unbalanced), also when it only fails per currency', async () => {
    const c = await chart();
    await post(db(), [donation(c, 'seed', 1000n, 30n)]);
    const before = await ledgerFingerprint(raw);
    const unbalanced: PostingInput = {
      idempotencyKey: `s${c.n}:unbalanced`,
      kind: 'donation',
      entries: [
        { accountId: c.pending, amountMinor: 1000n },
        { accountId: c.appealA, amountMinor: -999n },
      ],
    };
    const error = await ledgerError(post(db(), [donation(c, 'ok', 100n, 1n), unbalanced]), 'ledger.unbalanced');
    expect(error.message).toMatch(/USD: off by 1/);
    // 100 USD against 100 JPY sums to zero as numbers but conjures dollars out of yen.
    const crossCurrency: PostingInput = {
      idempotencyKey: `s${c.n}:cross`,
      kind: 'fx',
      entries: [
        { accountId: c.pending, amountMinor: 100n },
        { accountId: c.appealJpy, amountMinor: -100n },
      ],
    };
    await ledgerError(post(db(), [crossCurrency]), 'ledger.unbalanced');
    // Shape errors are refused too: a zero entry, a single entry.
    await ledgerError(
      post(db(), [{ ...unbalanced, entries: [{ accountId: c.pending, amountMinor: 0n }, ...donation(c, 'z', 10n, 1n).entries] }]),
      'ledger.zero_amount',
    );
    await ledgerError(post(db(), [{ ...unbalanced, entries: [{ accountId: c.pending, amountMinor: 5n }] }]), 'ledger.too_few_entries');
    expect(await ledgerFingerprint(raw)).toEqual(before);
  });

  // A typo'd or stale account id must be a clear 404-style error, not a foreign-key crash.
  it('refuses an unknown account (ledger.unknown_account) and writes none of the batch', async () => {
    const c = await chart();
    const before = await ledgerFingerprint(raw);
    const error = await ledgerError(
      post(db(), [
        donation(c, 'ok', 100n, 1n),
        {
          idempotencyKey: `s${c.n}:ghost`,
          kind: 'donation',
          entries: [
            { accountId: c.pending, amountMinor: 100n },
            { accountId: 987_654_321n, amountMinor: -100n },
          ],
        },
      ]),
      'ledger.unknown_account',
    );
    expect(error.statusCode).toBe(404);
    expect(error.message).toContain('987654321');
    expect(await ledgerFingerprint(raw)).toEqual(before);
  });

  // The database refuses an overdraft at commit; post() must leave nothing behind.
  it('refuses a posting that would overdraw an account and writes none of the batch', async () => {
    const c = await chart();
    await post(db(), [donation(c, 'seed', 1000n, 10n)]);
    const before = await ledgerFingerprint(raw);
    const grant: PostingInput = {
      idempotencyKey: `s${c.n}:grant-too-big`,
      kind: 'grant',
      entries: [
        { accountId: c.appealA, amountMinor: 1001n },
        { accountId: c.pending, amountMinor: -1001n },
      ],
    };
    const error = await post(db(), [donation(c, 'fine', 500n, 5n, c.appealB), grant]).then(
      () => undefined,
      (err: unknown) => err as Error & { cause?: Error },
    );
    expect(error, 'an overdraft was booked').toBeDefined();
    expect(`${error!.message} ${error!.cause?.message ?? ''}`).toMatch(/would be overdrawn/);
    expect(await ledgerFingerprint(raw)).toEqual(before);
  });

  // post(tx) writes inside the caller's transaction, so a caller's rollback takes the postings too.
  it('posts inside a caller\'s transaction and is rolled back with it', async () => {
    const c = await chart();
    const before = await ledgerFingerprint(raw);
    await expect(
      db().transaction(async (tx) => {
        const [r] = await post(tx, [donation(c, 'in-tx', 1000n, 30n)]);
        expect(r!.created).toBe(true);
        tx.rollback();
      }),
    ).rejects.toThrow();
    expect(await ledgerFingerprint(raw)).toEqual(before);
  });

  // Callers nest transactions (drizzle's tx.transaction() is a SAVEPOINT); posting there must work.
  it('posts inside a nested transaction (savepoint) of the caller', async () => {
    const c = await chart();
    const results = await db().transaction(async (tx) => tx.transaction(async (savepoint) => post(savepoint, [donation(c, 'nested', 1000n, 30n)])));
    expect(results[0]!.created).toBe(true);
    expect(await balances(c.pending, c.fees, c.appealA)).toEqual([970n, 30n, -1000n]);
  });
});

describe('stagePostings', () => {
  /** Whether another connection could lock the account's balance row right now (without waiting). */
  const lockable = async (id: bigint) =>
    raw`SELECT id FROM ledger_accounts WHERE id = ${id.toString()} FOR NO KEY UPDATE NOWAIT`.then(
      () => true,
      (err: { code?: string }) => (err.code === '55P03' ? false : Promise.reject(err)),
    );

  // The point of the two steps: a caller's other writes happen while the hot balance rows are free.
  it('says what is new first and locks the balance rows only when the entries are written', async () => {
    const c = await chart();
    await post(db(), [donation(c, 'old', 1000n, 30n)]);
    await db().transaction(async (tx) => {
      const staged = await stagePostings(tx, [donation(c, 'new', 400n, 20n), donation(c, 'old', 1000n, 30n)]);
      expect(staged.results.map((r) => r.created)).toEqual([true, false]);
      expect(await lockable(c.pending)).toBe(true);
      await staged.writeEntries();
      expect(await lockable(c.pending)).toBe(false);
    });
    expect(await lockable(c.pending)).toBe(true);
    expect(await balances(c.pending, c.fees, c.appealA)).toEqual([1350n, 50n, -1400n]);
  });

  // Forgetting the second step cannot book a transaction without its entries.
  it('cannot commit staged transactions without their entries: the database refuses, nothing is kept', async () => {
    const c = await chart();
    const before = await ledgerFingerprint(raw);
    const attempt = db().transaction(async (tx) => {
      await stagePostings(tx, [donation(c, 'forgotten', 400n, 20n)]);
    });
    await expect(attempt).rejects.toThrow();
    await attempt.catch((err: { cause?: { message?: string } }) => expect(err.cause?.message ?? String(err)).toMatch(/fewer than two entries/));
    expect(await ledgerFingerprint(raw)).toEqual(before);
  });
});

describe('balance', () => {
  // The cached balance is what appeal pages show; it must equal what was posted, with the count.
  it('returns the cached balance, currency and entry count; unknown account is ledger.unknown_account', async () => {
    const c = await chart();
    await post(db(), [
      {
        idempotencyKey: `s${c.n}:yen-1`,
        kind: 'donation',
        entries: [
          { accountId: c.pendingJpy, amountMinor: 3000n },
          { accountId: c.appealJpy, amountMinor: -3000n },
        ],
      },
      {
        idempotencyKey: `s${c.n}:yen-2`,
        kind: 'donation',
        entries: [
          { accountId: c.pendingJpy, amountMinor: 500n },
          { accountId: c.appealJpy, amountMinor: -200n },
          { accountId: c.appealJpy, amountMinor: -300n },
        ],
      },
    ]);
    expect(await balance(db(), c.appealJpy)).toEqual({ balanceMinor: -3500n, currency: 'JPY', entryCount: 3n });
    expect(await balance(db(), c.pendingJpy)).toEqual({ balanceMinor: 3500n, currency: 'JPY', entryCount: 2n });
    expect(await balance(db(), c.appealB)).toEqual({ balanceMinor: 0n, currency: 'USD', entryCount: 0n });
    await ledgerError(balance(db(), 123_456_789n), 'ledger.unknown_account');
  });
});

describe('statement', () => {
  async function allEntries(accountId: bigint) {
    const rows = await raw<{ id: string; amount: string }[]>`
      SELECT e.id::text AS id, e.amount_minor::text AS amount FROM ledger_entries e WHERE e.account_id = ${accountId.toString()} ORDER BY e.id`;
    return rows.map((r) => ({ id: BigInt(r.id), amount: BigInt(r.amount) }));
  }

  /** The expected lines from the entries themselves: newest first, running balance after each. */
  function expectedLines(entries: { id: bigint; amount: bigint }[]) {
    let running = 0n;
    const lines = entries.map((e) => ({ entryId: e.id, amountMinor: e.amount, balanceAfterMinor: (running += e.amount) }));
    return lines.reverse();
  }

  const pick = (l: StatementLine) => ({ entryId: l.entryId, amountMinor: l.amountMinor, balanceAfterMinor: l.balanceAfterMinor });

  // Treasurers page through statements; every entry once, newest first, balances right on every page.
  it('pages through every entry exactly once, newest first, with running balances across page boundaries', async () => {
    const c = await chart();
    // 23 entries on appeal A over 13 transactions, some with two entries on A, one a reversal.
    let seq = 0;
    for (let i = 0; i < 10; i++) {
      const gross = BigInt(100 + i * 37);
      await post(db(), [donation(c, `s-${seq++}`, gross, BigInt(i))].map((p) => ({ ...p, entries: p.entries.filter((e) => e.amountMinor !== 0n) })));
    }
    const split = await post(db(), [
      1, 2, 3,
    ].map((k) => ({
      idempotencyKey: `s${c.n}:split-${k}`,
      kind: 'donation',
      entries: [
        { accountId: c.pending, amountMinor: BigInt(k * 1000) },
        { accountId: c.appealA, amountMinor: BigInt(-k * 400) },
        { accountId: c.appealA, amountMinor: BigInt(-k * 600) },
      ],
    })));
    await reverse(db(), split[1]!.transactionId, { reason: 'refund' });
    const entries = await allEntries(c.appealA);
    expect(entries).toHaveLength(10 + 6 + 2);
    const expected = expectedLines(entries);

    for (const limit of [1, 4, 5, 7, 18, 50]) {
      const seen: StatementLine[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await statement(db(), c.appealA, { cursor, limit });
        expect(page.currency).toBe('USD');
        expect(page.lines.length).toBeLessThanOrEqual(limit);
        seen.push(...page.lines);
        cursor = page.nextCursor ?? undefined;
        pages++;
        expect(pages).toBeLessThanOrEqual(entries.length + 1);
      } while (cursor);
      expect(seen.map(pick), `limit ${limit}`).toEqual(expected);
      expect(pages).toBe(Math.ceil(entries.length / limit));
    }
    // The newest line's balance is the account's balance.
    const [top] = (await statement(db(), c.appealA, { limit: 1 })).lines;
    expect(top!.balanceAfterMinor).toBe((await balance(db(), c.appealA)).balanceMinor);
    expect(top!.kind).toBe('reversal:donation');
  });

  // A posting landing between two page fetches must not shift the balances of the older pages.
  it('keeps older pages exact while new postings land between page fetches', async () => {
    const c = await chart();
    for (let i = 0; i < 6; i++) await post(db(), [donation(c, `p-${i}`, BigInt(1000 + i), 1n)]);
    const expected = expectedLines(await allEntries(c.appealA));
    const first = await statement(db(), c.appealA, { limit: 3 });
    expect(first.lines.map(pick)).toEqual(expected.slice(0, 3));
    await post(db(), [donation(c, 'late', 99_999n, 1n)]);
    const second = await statement(db(), c.appealA, { limit: 3, cursor: first.nextCursor! });
    expect(second.lines.map(pick)).toEqual(expected.slice(3, 6));
    expect(second.nextCursor).toBeNull();
  });

  // An account without entries, an unknown account, and a forged cursor each get a clear answer.
  it('answers an empty account, an unknown account and a forged cursor', async () => {
    const c = await chart();
    expect(await statement(db(), c.appealB)).toEqual({ currency: 'USD', lines: [], nextCursor: null });
    await ledgerError(statement(db(), 999_999_999n), 'ledger.unknown_account');
    const forged = await statement(db(), c.appealA, { cursor: 'bm9wZQ' }).then(() => undefined, (e: unknown) => e);
    expect(forged).toBeInstanceOf(AppError);
    expect((forged as AppError).code).toBe('invalid_cursor');
  });
});

describe('reverse', () => {
  // Corrections are new transactions with every entry negated, linked to the original.
  it('negates every entry, links to the original, and is idempotent', async () => {
    const c = await chart();
    await post(db(), [donation(c, 'keep', 5000n, 100n)]);
    const [original] = await post(db(), [donation(c, 'refunded', 1000n, 59n)]);
    const reversal = await reverse(db(), original!.transactionId, { reason: 'refund requested' });
    expect(reversal.created).toBe(true);
    expect(reversal.idempotencyKey).toBe(`reverse:s${c.n}:refunded`);
    expect(await balances(c.pending, c.fees, c.appealA)).toEqual([4900n, 100n, -5000n]);

    const entries = await raw<{ t: string; a: string; v: string }[]>`
      SELECT transaction_id::text AS t, account_id::text AS a, amount_minor::text AS v FROM ledger_entries
       WHERE transaction_id IN (${original!.transactionId.toString()}, ${reversal.transactionId.toString()}) ORDER BY account_id, transaction_id`;
    const of = (t: bigint) => entries.filter((e) => e.t === t.toString()).map((e) => [e.a, BigInt(e.v)] as const);
    expect(of(reversal.transactionId)).toEqual(of(original!.transactionId).map(([a, v]) => [a, -v]));
    const [row] = await db().select().from(ledgerTransactions).where(eq(ledgerTransactions.id, reversal.transactionId));
    expect(row).toMatchObject({ reversesId: original!.transactionId, kind: 'reversal:donation', description: 'refund requested' });

    const before = await ledgerFingerprint(raw);
    const again = await reverse(db(), original!.transactionId, { reason: 'clicked twice' });
    expect(again).toEqual({ ...reversal, created: false });
    expect(await ledgerFingerprint(raw)).toEqual(before);
    await ledgerError(reverse(db(), 888_888_888n, { reason: 'x' }), 'ledger.unknown_transaction');
  });

  // Two treasurers clicking "refund" at the same moment must get one reversal and no error. To
  // make the race real, a lock on ledger_transactions holds all four callers just before their
  // INSERT and releases them together.
  it('reverses once, without an error, when reversals of the same transaction race', async () => {
    const c = await chart();
    const rounds = 40;
    const originals = await post(db(), Array.from({ length: rounds }, (_, i) => donation(c, `raced-${i}`, 1000n, 59n)));
    const errors: string[] = [];
    for (const original of originals) {
      const gate = await raw.reserve();
      let calls: Promise<PromiseSettledResult<Awaited<ReturnType<typeof reverse>>>[]>;
      try {
        await gate`BEGIN`;
        await gate`LOCK TABLE ledger_transactions IN SHARE MODE`;
        calls = Promise.allSettled([1, 2, 3, 4].map(() => reverse(db(), original.transactionId, { reason: 'race' })));
        for (let waited = 0; ; waited += 5) {
          const [w] = await gate<{ n: number }[]>`
            SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'ledger_transactions'::regclass AND NOT granted`;
          if (w!.n >= 4 || waited > 5_000) break;
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        await gate`COMMIT`;
        gate.release();
      }
      const results = await calls;
      const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      for (const r of results) {
        if (r.status === 'rejected') {
          const e = r.reason as Error & { code?: string; cause?: Error & { code?: string } };
          errors.push(`${original.idempotencyKey}: ${e.code ?? e.cause?.code} ${e.cause?.message ?? e.message}`);
        }
      }
      expect(new Set(ok.map((r) => r.transactionId)).size).toBe(1);
      expect(ok.filter((r) => r.created).length).toBeLessThanOrEqual(1);
    }
    expect(errors.slice(0, 3), `${errors.length} of ${4 * rounds} concurrent reverse() calls failed`).toEqual([]);
    expect(await balances(c.pending, c.fees, c.appealA)).toEqual([0n, 0n, 0n]);
    const [row] = await raw`SELECT count(*)::int AS n FROM ledger_transactions WHERE idempotency_key LIKE ${`reverse:s${c.n}:raced-%`}`;
    expect(row!.n).toBe(rounds);
  }, 60_000);

  // Keys may be up to 255 characters; two different transactions must never share a reversal.
  it('reverses two transactions whose long keys differ only after their first 247 characters', async () => {
    const c = await chart();
    const long = (tail: string) => ({ ...donation(c, 'x', 1000n, 10n), idempotencyKey: `s${c.n}:`.padEnd(250, 'k') + tail });
    const a = long('one-a');
    const b = long('one-b');
    expect(a.idempotencyKey).toHaveLength(255);
    const [ra, rb] = await post(db(), [a, b]);
    await reverse(db(), ra!.transactionId, { reason: 'refund a' });
    const second = await reverse(db(), rb!.transactionId, { reason: 'refund b' }).then(
      (r) => ({ ok: r }),
      (err: unknown) => ({ err: err as Error }),
    );
    expect('err' in second ? `${(second.err as LedgerError).code}: ${second.err.message}` : undefined, 'the second reversal was refused').toBeUndefined();
    expect(await balances(c.pending, c.fees, c.appealA)).toEqual([0n, 0n, 0n]);
  });
});

describe('verify', () => {
  // After every kind of posting above, recomputing from entries must agree with every cached value.
  it('reports no problems after all of the above', async () => {
    const report = await verifyLedger(db());
    expect(report.problems).toEqual([]);
    expect(report.transactions).toBeGreaterThan(20);
    const [counts] = await raw`SELECT (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM ledger_accounts) AS accounts`;
    expect(report.entries).toBe(counts!.entries);
    expect(report.accounts).toBe(counts!.accounts);
  });

  // verify is only worth running if it notices corruption: break a cached balance behind the triggers.
  it('reports a cached balance that differs from its entries (and the CLI exits 1)', async () => {
    const c = await chart();
    await post(db(), [donation(c, 'to-break', 1000n, 30n)]);
    await withTriggersDisabled(raw, (tx) => tx`UPDATE ledger_accounts SET balance_minor = balance_minor - 1 WHERE id = ${c.appealA.toString()}`);
    try {
      const report = await verifyLedger(db());
      expect(report.problems).toEqual([`balance differs from its entries: s${c.n}:appeal:a USD: cached -1001 / 1 entries, entries say -1000 / 1`]);
      const cli = await runLedgerVerifyCli(testDb.url);
      expect(cli.code).toBe(1);
      expect(cli.stdout.match(verifySummaryLine)?.[5]).toBe('1');
      expect(cli.stdout).toContain(`s${c.n}:appeal:a USD: cached -1001`);
    } finally {
      await withTriggersDisabled(raw, (tx) => tx`UPDATE ledger_accounts SET balance_minor = balance_minor + 1 WHERE id = ${c.appealA.toString()}`);
    }
    expect((await verifyLedger(db())).problems).toEqual([]);
  }, 60_000);

  // An unbalanced transaction smuggled in behind the triggers must be found as well.
  it('reports an unbalanced transaction written behind the triggers', async () => {
    const c = await chart();
    const [t] = await withTriggersDisabled(raw, async (tx) => {
      const rows = await tx<{ id: string }[]>`
        INSERT INTO ledger_transactions (idempotency_key, kind, occurred_at, content_hash)
        VALUES (${`s${c.n}:smuggled`}, 'test', now(), 'x') RETURNING id::text AS id`;
      await tx`INSERT INTO ledger_entries (transaction_id, account_id, currency, amount_minor)
               VALUES (${rows[0]!.id}, ${c.pending.toString()}, 'USD', 100), (${rows[0]!.id}, ${c.appealA.toString()}, 'USD', -90)`;
      return rows;
    });
    try {
      const problems = (await verifyLedger(db())).problems;
      expect(problems).toContain(`unbalanced transaction: transaction ${t!.id} USD sums to 10`);
      // The triggers were off, so the cached balances were not moved either.
      expect(problems.filter((p) => p.startsWith('balance differs'))).toHaveLength(2);
    } finally {
      await withTriggersDisabled(raw, async (tx) => {
        await tx`DELETE FROM ledger_entries WHERE transaction_id = ${t!.id}`;
        await tx`DELETE FROM ledger_transactions WHERE id = ${t!.id}`;
      });
    }
    expect((await verifyLedger(db())).problems).toEqual([]);
  });
});

// No foreign key stands behind the account check any more (migration 0024): verify still finds an
// entry whose account is missing.
describe('entries written behind the triggers', () => {
  it('reports an entry whose account does not exist', async () => {
    const c = await chart();
    const [t] = await withTriggersDisabled(raw, async (tx) => {
      const rows = await tx<{ id: string }[]>`
        INSERT INTO ledger_transactions (idempotency_key, kind, occurred_at, content_hash)
        VALUES (${`s${c.n}:no-account`}, 'test', now(), 'x') RETURNING id::text AS id`;
      await tx`INSERT INTO ledger_entries (transaction_id, account_id, currency, amount_minor)
               VALUES (${rows[0]!.id}, 987654321, 'USD', 100), (${rows[0]!.id}, ${c.appealA.toString()}, 'USD', -100)`;
      return rows;
    });
    try {
      const problems = (await verifyLedger(db())).problems;
      expect(problems.filter((p) => p.startsWith('entry without its account'))).toEqual([expect.stringMatching(/^entry without its account: entry \d+ names account 987654321, which does not exist$/)]);
    } finally {
      await withTriggersDisabled(raw, async (tx) => {
        await tx`DELETE FROM ledger_entries WHERE transaction_id = ${t!.id}`;
        await tx`DELETE FROM ledger_transactions WHERE id = ${t!.id}`;
      });
    }
    expect((await verifyLedger(db())).problems).toEqual([]);
  });
});

describe('errors a caller can act on', () => {
  const codeOf = (p: Promise<unknown>) => p.then(() => 'no error', (err: unknown) => (err as LedgerError).code ?? String(err));

  // An overdraft is refused by the database at commit; callers get a ledger code, not a raw 23514.
  it('an overdraft is ledger.overdrawn and changes nothing', async () => {
    const c = await chart();
    const before = await balances(c.pending, c.appealA);
    const refund: PostingInput = { idempotencyKey: `s${c.n}:too-big-refund`, kind: 'refund', entries: [{ accountId: c.appealA, amountMinor: 500n }, { accountId: c.pending, amountMinor: -500n }] };
    expect(await codeOf(post(db(), [refund]))).toBe('ledger.overdrawn');
    expect(await balances(c.pending, c.appealA)).toEqual(before);
  });

  // Keys are bounded; entries too; a reversal must name a transaction that exists.
  it('bad keys, too many entries and an unknown reversal target have their own codes', async () => {
    const c = await chart();
    expect(await codeOf(post(db(), [{ ...donation(c, 'k', 100n, 10n), idempotencyKey: 'x'.repeat(256) }]))).toBe('ledger.invalid_key');
    expect(await codeOf(post(db(), [{ ...donation(c, 'k', 100n, 10n), idempotencyKey: '' }]))).toBe('ledger.invalid_key');
    const many = Array.from({ length: 51 }, (_, i) => ({ accountId: i % 2 ? c.appealA : c.pending, amountMinor: i % 2 ? -1n : 1n }));
    expect(await codeOf(post(db(), [{ idempotencyKey: `s${c.n}:many`, kind: 'x', entries: many }]))).toBe('ledger.too_many_entries');
    expect(await codeOf(post(db(), [{ ...donation(c, 'rev', 100n, 10n), reversesId: 999_999_999n }]))).toBe('ledger.unknown_transaction');
  });

  // A key twice in one batch is one posting, and only its first result says it was created.
  it('duplicates inside a batch report created once', async () => {
    const c = await chart();
    const gift = donation(c, 'twice', 1000n, 30n);
    const results = await post(db(), [gift, gift]);
    expect(results.map((r) => r.created)).toEqual([true, false]);
    expect(results[0]!.transactionId).toBe(results[1]!.transactionId);
  });
});
