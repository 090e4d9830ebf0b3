import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balance, openAccounts, post, verifyLedger, type PostingInput, type PostingResult } from '../../server/ledger/service';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { rawClient } from '../helpers/ledger-raw';
import { runLedgerVerifyCli, verifySummaryLine } from '../helpers/ledger-verify-cli';

// Eight posters at once on real Postgres, as the worker process group runs them in production:
// 10,000 donations onto three hot appeals and a thousand quiet ones, every one debiting the same
// stripe:pending account, with some events delivered to two posters. Nothing may reach a caller
// (no deadlock, no serialization failure), and every cent must land exactly once.

const WORKERS = 8;
const POSTINGS = 10_000;
const HOT = 3;
const OTHERS = 1_000;
const DUPLICATES = 400;

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase({ poolMax: WORKERS });
});

afterAll(async () => {
  await testDb?.drop();
});

/** A small deterministic generator, so a failure can be rerun exactly. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ledger under concurrency', () => {
  // Hot appeals get thousands of postings at once from several posters; the sums must be exact.
  it('8 posters post 10,000 transactions on 3 hot and 1,000 other accounts with duplicate deliveries, exactly once each', async () => {
    const db = testDb.database.db;
    const specs = [
      { code: 'stripe:pending', currency: 'USD', type: 'asset' as const },
      ...Array.from({ length: HOT }, (_, i) => ({ code: `appeal:hot-${i}`, currency: 'USD', type: 'liability' as const })),
      ...Array.from({ length: OTHERS }, (_, i) => ({ code: `appeal:other-${i}`, currency: 'USD', type: 'liability' as const })),
    ];
    const ids = await openAccounts(db, specs);
    const pending = ids.get('stripe:pending|USD')!;
    const hot = Array.from({ length: HOT }, (_, i) => ids.get(`appeal:hot-${i}|USD`)!);
    const others = Array.from({ length: OTHERS }, (_, i) => ids.get(`appeal:other-${i}|USD`)!);
    expect(ids.size).toBe(1 + HOT + OTHERS);

    // The postings and, independently, the totals they must add up to.
    const random = prng(20_261_123);
    const expected = new Map<bigint, bigint>([[pending, 0n], ...[...hot, ...others].map((id) => [id, 0n] as [bigint, bigint])]);
    const postings: PostingInput[] = Array.from({ length: POSTINGS }, (_, i) => {
      const amountMinor = BigInt(1 + Math.floor(random() * 100_000));
      const target = random() < 0.6 ? hot[Math.floor(random() * HOT)]! : others[Math.floor(random() * OTHERS)]!;
      expected.set(pending, expected.get(pending)! + amountMinor);
      expected.set(target, expected.get(target)! - amountMinor);
      return {
        idempotencyKey: `stripe:evt_${i.toString().padStart(6, '0')}:charge`,
        kind: 'donation',
        entries: [
          { accountId: pending, amountMinor },
          { accountId: target, amountMinor: -amountMinor },
        ],
      };
    });

    // Deal the postings to the workers, then deliver some of them a second time to another worker,
    // at the same place in its queue, so both copies are usually in flight at the same moment.
    const queues: PostingInput[][] = Array.from({ length: WORKERS }, () => []);
    postings.forEach((p, i) => queues[i % WORKERS]!.push(p));
    for (let d = 0; d < DUPLICATES; d++) {
      const i = Math.floor(random() * POSTINGS);
      const to = (i % WORKERS + 1 + Math.floor(random() * (WORKERS - 1))) % WORKERS;
      queues[to]!.splice(Math.floor(i / WORKERS), 0, postings[i]!);
    }
    const batchesOf = (queue: PostingInput[]) => {
      const batches: PostingInput[][] = [];
      for (let at = 0; at < queue.length; ) {
        const size = 100 + Math.floor(random() * 151);
        batches.push(queue.slice(at, at + size));
        at += size;
      }
      return batches;
    };
    const work = queues.map(batchesOf);

    const results = new Map<string, PostingResult[]>();
    const started = performance.now();
    const settled = await Promise.allSettled(
      work.map(async (batches) => {
        for (const batch of batches) {
          const out = await post(db, batch);
          expect(out).toHaveLength(batch.length);
          // One result per key per call: a key twice in one batch is one posting (the same
          // transaction, and only the first occurrence says created).
          const perCall = new Map<string, PostingResult>();
          batch.forEach((p, i) => {
            const first = perCall.get(p.idempotencyKey);
            if (first) expect([out[i]!.transactionId, out[i]!.created]).toEqual([first.transactionId, false]);
            else perCall.set(p.idempotencyKey, out[i]!);
          });
          for (const [key, r] of perCall) results.set(key, [...(results.get(key) ?? []), r]);
        }
      }),
    );
    const elapsed = performance.now() - started;
    const sent = work.flat(2).length;
    process.stdout.write(
      `ledger concurrency: ${sent} postings (${POSTINGS} unique) in ${work.flat().length} batches from ${WORKERS} posters in ${Math.round(elapsed)} ms ` +
        `(${Math.round((sent / elapsed) * 1000)}/s)\n`,
    );
    // No error of any kind reaches a caller: no deadlock, no serialization failure, no conflict.
    expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);

    // Every key was created exactly once; a second delivery got the same transaction back.
    expect(results.size).toBe(POSTINGS);
    let replays = 0;
    for (const [key, rs] of results) {
      expect(new Set(rs.map((r) => r.transactionId)).size, key).toBe(1);
      expect(rs.filter((r) => r.created).length, key).toBe(1);
      replays += rs.length - 1;
    }
    // Nearly every second delivery was a separate call (a few landed in the same batch as the first).
    expect(replays).toBeGreaterThan(DUPLICATES * 0.9);

    // The sums are exact, account by account, and the database holds nothing more.
    const raw = rawClient(testDb.url, 1);
    try {
      const rows = await raw<{ id: string; balance: string; n: string }[]>`SELECT id::text AS id, balance_minor::text AS balance, entry_count::text AS n FROM ledger_accounts`;
      const actual = new Map(rows.map((r) => [BigInt(r.id), BigInt(r.balance)]));
      expect(actual).toEqual(expected);
      const [counts] = await raw<{ t: number; e: number; keys: number }[]>`
        SELECT (SELECT count(*)::int FROM ledger_transactions) AS t, (SELECT count(*)::int FROM ledger_entries) AS e,
               (SELECT count(DISTINCT idempotency_key)::int FROM ledger_transactions) AS keys`;
      expect(counts).toEqual({ t: POSTINGS, e: 2 * POSTINGS, keys: POSTINGS });
    } finally {
      await raw.end({ timeout: 5 });
    }
    expect((await balance(db, pending)).entryCount).toBe(BigInt(POSTINGS));
    const hotTotal = (await Promise.all(hot.map((id) => balance(db, id)))).reduce((sum, b) => sum + b.balanceMinor, 0n);
    expect(hotTotal).toBe(hot.reduce((sum, id) => sum + expected.get(id)!, 0n));

    const report = await verifyLedger(db);
    expect(report).toEqual({ accounts: 1 + HOT + OTHERS, transactions: POSTINGS, entries: 2 * POSTINGS, problems: [] });

    // The operator's command agrees, from its own process.
    const cli = await runLedgerVerifyCli(testDb.url);
    expect(cli.stderr.replace(/npm warn .*\n/g, '')).toBe('');
    expect(cli.code).toBe(0);
    const summary = cli.stdout.match(verifySummaryLine);
    expect(summary?.[0]).toBe(
      `ledger:verify postgres: ${1 + HOT + OTHERS} accounts, ${POSTINGS} transactions, ${2 * POSTINGS} entries — every balance equals its entries, every invariant holds`,
    );
    expect(elapsed).toBeLessThan(60_000);
  }, 120_000);
});
