import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  balance,
  LedgerError,
  openAccounts,
  post,
  reverse,
  verifyLedger,
  type AccountType,
  type EntryInput,
  type PostingInput,
  type PostingResult,
} from '../../server/ledger/service';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { ledgerFingerprint, rawClient, type RawSql } from '../helpers/ledger-raw';

// Random sequences of postings, replays, conflicts, reversals, overdraft attempts and concurrent
// batches, checked against a model kept in this file: whatever the sequence, the ledger must hold
// exactly what the model accepted, and every invariant must hold.

let testDb: TestDatabase;
let raw: RawSql;

beforeAll(async () => {
  testDb = await createTestDatabase({ poolMax: 6 });
  raw = rawClient(testDb.url, 2);
});

afterAll(async () => {
  await raw?.end({ timeout: 5 });
  await testDb?.drop();
});

const CURRENCIES = ['USD', 'JPY', 'KWD'] as const;
const ROLES = [
  ['pending', 'asset', false],
  ['fees', 'expense', false],
  ['appeal0', 'liability', false],
  ['appeal1', 'liability', false],
  ['clearing', 'equity', true],
  ['suspense', 'asset', true],
] as const satisfies readonly (readonly [string, AccountType, boolean])[];
type Role = (typeof ROLES)[number][0];

// ---- the operations, as data fast-check can generate and shrink ----------------------------------

const amount = fc.bigInt({ min: 1n, max: 10n ** 12n });
const cur = fc.integer({ min: 0, max: CURRENCIES.length - 1 });

type PostingSpec =
  | { t: 'donation'; cur: number; appeal: 0 | 1; gross: bigint; feePct: number }
  | { t: 'split'; cur: number; parts: bigint[] }
  | { t: 'adjust'; cur: number; amount: bigint; negative: boolean }
  | { t: 'fx'; cur: number; other: number; a: bigint; b: bigint }
  | { t: 'dup'; ref: number };

const postingSpec: fc.Arbitrary<PostingSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('donation' as const), cur, appeal: fc.constantFrom(0 as const, 1 as const), gross: amount, feePct: fc.integer({ min: 0, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('split' as const), cur, parts: fc.array(amount, { minLength: 2, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('adjust' as const), cur, amount, negative: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('fx' as const), cur, other: fc.integer({ min: 1, max: 2 }), a: amount, b: amount }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('dup' as const), ref: fc.nat() }) },
);

type Step =
  | { s: 'batch'; postings: PostingSpec[]; repeatFirst: boolean }
  | { s: 'concurrent'; batches: PostingSpec[][]; shareKey: boolean }
  | { s: 'reverse'; ref: number }
  | { s: 'grant'; cur: number; appeal: 0 | 1; pct: number }
  | { s: 'conflict'; ref: number; alongside: PostingSpec };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ s: fc.constant('batch' as const), postings: fc.array(postingSpec, { minLength: 1, maxLength: 6 }), repeatFirst: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      s: fc.constant('concurrent' as const),
      batches: fc.array(fc.array(postingSpec, { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 5 }),
      shareKey: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ s: fc.constant('reverse' as const), ref: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ s: fc.constant('grant' as const), cur, appeal: fc.constantFrom(0 as const, 1 as const), pct: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('conflict' as const), ref: fc.nat(), alongside: postingSpec }) },
);

// ---- one run: fresh accounts, the model, and the checks -------------------------------------------

interface Account {
  id: bigint;
  type: AccountType;
  allowNegative: boolean;
}

class Run {
  readonly tag = `pr${randomBytes(4).toString('hex')}`;
  accounts = new Map<string, Account>(); // `${role}|${currency}`
  /** Every posting the ledger accepted, by key: what was sent and the id it got. */
  accepted = new Map<string, { input: PostingInput; transactionId: bigint }>();
  acceptedOrder: string[] = [];
  reversals = new Map<string, string>(); // original key → reversal key
  private seq = 0;

  async open() {
    const specs = CURRENCIES.flatMap((currency) =>
      ROLES.map(([role, type, allowNegative]) => ({ code: `${this.tag}:${role}`, currency, type, allowNegative })),
    );
    const ids = await openAccounts(testDb.database.db, specs);
    for (const s of specs) {
      this.accounts.set(`${s.code.slice(this.tag.length + 1)}|${s.currency}`, { id: ids.get(`${s.code}|${s.currency}`)!, type: s.type, allowNegative: s.allowNegative });
    }
  }

  acct(role: Role, curIndex: number): bigint {
    return this.accounts.get(`${role}|${CURRENCIES[curIndex % CURRENCIES.length]}`)!.id;
  }

  newKey(): string {
    return `${this.tag}:p${++this.seq}`;
  }

  /** The input for a spec; a `dup` re-sends an accepted posting unchanged (undefined if none yet). */
  build(spec: PostingSpec): PostingInput | undefined {
    switch (spec.t) {
      case 'donation': {
        const fee = (spec.gross * BigInt(spec.feePct)) / 100n;
        const entries: EntryInput[] = [
          { accountId: this.acct('pending', spec.cur), amountMinor: spec.gross - fee },
          { accountId: this.acct(spec.appeal ? 'appeal1' : 'appeal0', spec.cur), amountMinor: -spec.gross },
        ];
        // The fee is at most 10 %, so the net is never zero; a zero fee is left out (no zero entries).
        if (fee > 0n) entries.push({ accountId: this.acct('fees', spec.cur), amountMinor: fee });
        return { idempotencyKey: this.newKey(), kind: 'donation', entries };
      }
      case 'split': {
        // One donation credited in parts, several entries on the same appeal account.
        const total = spec.parts.reduce((a, b) => a + b, 0n);
        return {
          idempotencyKey: this.newKey(),
          kind: 'donation:split',
          entries: [
            { accountId: this.acct('pending', spec.cur), amountMinor: total },
            ...spec.parts.map((p, i) => ({ accountId: this.acct(i % 3 === 2 ? 'appeal1' : 'appeal0', spec.cur), amountMinor: -p })),
          ],
        };
      }
      case 'adjust': {
        const x = spec.negative ? -spec.amount : spec.amount;
        return {
          idempotencyKey: this.newKey(),
          kind: 'adjustment',
          entries: [
            { accountId: this.acct('clearing', spec.cur), amountMinor: x },
            { accountId: this.acct('suspense', spec.cur), amountMinor: -x },
          ],
        };
      }
      case 'fx': {
        const other = (spec.cur + spec.other) % CURRENCIES.length;
        return {
          idempotencyKey: this.newKey(),
          kind: 'fx',
          entries: [
            { accountId: this.acct('clearing', spec.cur), amountMinor: spec.a },
            { accountId: this.acct('suspense', spec.cur), amountMinor: -spec.a },
            { accountId: this.acct('clearing', other), amountMinor: -spec.b },
            { accountId: this.acct('suspense', other), amountMinor: spec.b },
          ],
        };
      }
      case 'dup': {
        const key = this.pick(spec.ref);
        return key === undefined ? undefined : this.accepted.get(key)!.input;
      }
    }
  }

  pick(ref: number): string | undefined {
    return this.acceptedOrder.length === 0 ? undefined : this.acceptedOrder[ref % this.acceptedOrder.length];
  }

  accept(input: PostingInput, result: PostingResult) {
    const known = this.accepted.get(input.idempotencyKey);
    if (known) {
      expect(result, `replay of ${input.idempotencyKey}`).toEqual({ idempotencyKey: input.idempotencyKey, transactionId: known.transactionId, created: false });
      stats.replayed++;
      return;
    }
    expect(result.created, input.idempotencyKey).toBe(true);
    stats.created++;
    expect(result.idempotencyKey).toBe(input.idempotencyKey);
    this.accepted.set(input.idempotencyKey, { input, transactionId: result.transactionId });
    this.acceptedOrder.push(input.idempotencyKey);
  }

  /** The balances the model expects, from the accepted postings alone. */
  modelBalances(): Map<bigint, { balance: bigint; entries: bigint }> {
    const out = new Map<bigint, { balance: bigint; entries: bigint }>();
    for (const a of this.accounts.values()) out.set(a.id, { balance: 0n, entries: 0n });
    for (const { input } of this.accepted.values()) {
      for (const e of input.entries) {
        const m = out.get(e.accountId)!;
        m.balance += e.amountMinor;
        m.entries += 1n;
      }
    }
    return out;
  }

  /** Would these entries, applied now, overdraw an account that may not go negative? */
  overdraws(entries: EntryInput[]): boolean {
    const balances = this.modelBalances();
    const after = new Map<bigint, bigint>();
    for (const e of entries) after.set(e.accountId, (after.get(e.accountId) ?? balances.get(e.accountId)!.balance) + e.amountMinor);
    for (const [id, b] of after) {
      const a = [...this.accounts.values()].find((x) => x.id === id)!;
      const normal = a.type === 'asset' || a.type === 'expense' ? b : -b;
      if (!a.allowNegative && normal < 0n) return true;
    }
    return false;
  }
}

/** How often each path was taken, over all runs: printed, and the common ones must be non-zero. */
const stats = { created: 0, replayed: 0, collapsedInBatch: 0, concurrentBatches: 0, concurrentSameKey: 0, reversed: 0, reversedAgain: 0, refusedOverdraft: 0, conflicts: 0, grants: 0 };

async function rejection(promise: Promise<unknown>): Promise<(Error & { code?: string; cause?: Error }) | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => err as Error & { code?: string; cause?: Error },
  );
}

async function execute(run: Run, s: Step): Promise<void> {
  const db = testDb.database.db;
  switch (s.s) {
    case 'batch': {
      const inputs = s.postings.map((p) => run.build(p)).filter((p): p is PostingInput => p !== undefined);
      if (s.repeatFirst && inputs.length > 0) inputs.push({ ...inputs[0]!, entries: [...inputs[0]!.entries].reverse() });
      if (inputs.length === 0) return;
      const onlyReplays = inputs.every((p) => run.accepted.has(p.idempotencyKey));
      const before = onlyReplays ? await ledgerFingerprint(raw) : undefined;
      const results = await post(db, inputs);
      expect(results).toHaveLength(inputs.length);
      // A posting repeated inside the batch collapses to one transaction.
      const byKey = new Map<string, bigint>();
      inputs.forEach((input, i) => {
        const seen = byKey.get(input.idempotencyKey);
        if (seen !== undefined) {
          expect(results[i]!.transactionId).toBe(seen);
          stats.collapsedInBatch++;
        } else run.accept(input, results[i]!);
        byKey.set(input.idempotencyKey, results[i]!.transactionId);
      });
      // Replays change nothing at all.
      if (before) expect(await ledgerFingerprint(raw)).toEqual(before);
      return;
    }
    case 'concurrent': {
      const batches = s.batches.map((b) => b.map((p) => run.build(p)).filter((p): p is PostingInput => p !== undefined));
      // The same new posting sent by two posters at once: one creates it, the other replays it.
      const fresh = batches[0]!.find((p) => !run.accepted.has(p.idempotencyKey));
      if (s.shareKey && fresh) batches[1]!.push(fresh);
      const nonEmpty = batches.filter((b) => b.length > 0);
      const results = await Promise.all(nonEmpty.map((b) => post(db, b)));
      stats.concurrentBatches += nonEmpty.length;
      const created = new Map<string, PostingResult[]>();
      nonEmpty.forEach((batch, bi) =>
        batch.forEach((input, i) => {
          const r = results[bi]![i]!;
          const known = run.accepted.get(input.idempotencyKey);
          if (known) {
            expect(r).toEqual({ idempotencyKey: input.idempotencyKey, transactionId: known.transactionId, created: false });
            stats.replayed++;
          } else {
            created.set(input.idempotencyKey, [...(created.get(input.idempotencyKey) ?? []), r]);
          }
        }),
      );
      for (const [key, rs] of created) {
        expect(new Set(rs.map((r) => r.transactionId)).size, key).toBe(1);
        expect(rs.filter((r) => r.created), key).toHaveLength(1);
        if (rs.length > 1) stats.concurrentSameKey++;
        const input = nonEmpty.flat().find((p) => p.idempotencyKey === key)!;
        run.accept(input, rs.find((r) => r.created)!);
      }
      return;
    }
    case 'reverse': {
      const key = run.pick(s.ref);
      if (key === undefined) return;
      const original = run.accepted.get(key)!;
      const existing = run.reversals.get(key);
      if (existing) {
        const before = await ledgerFingerprint(raw);
        const r = await reverse(db, original.transactionId, { reason: 'again' });
        expect(r).toEqual({ idempotencyKey: existing, transactionId: run.accepted.get(existing)!.transactionId, created: false });
        stats.reversedAgain++;
        expect(await ledgerFingerprint(raw)).toEqual(before);
        return;
      }
      const input: PostingInput = {
        idempotencyKey: `reverse:${key}`,
        kind: `reversal:${original.input.kind}`,
        reversesId: original.transactionId,
        entries: original.input.entries.map((e) => ({ accountId: e.accountId, amountMinor: -e.amountMinor })),
      };
      if (run.overdraws(input.entries)) {
        // Money already granted out cannot be reversed back: the database refuses at commit.
        const before = await ledgerFingerprint(raw);
        const err = await rejection(reverse(db, original.transactionId, { reason: 'refund' }));
        expect(err, `reversal of ${key} overdraws, yet was accepted`).toBeDefined();
        expect(`${err!.message} ${err!.cause?.message ?? ''}`).toMatch(/would be overdrawn/);
        expect(await ledgerFingerprint(raw)).toEqual(before);
        stats.refusedOverdraft++;
        return;
      }
      const r = await reverse(db, original.transactionId, { reason: 'refund' });
      expect(r.created).toBe(true);
      run.accept(input, r);
      run.reversals.set(key, input.idempotencyKey);
      stats.reversed++;
      return;
    }
    case 'grant': {
      // Pay part (or more than all) of an appeal's money out: debit the appeal, credit pending.
      const appeal = run.acct(s.appeal ? 'appeal1' : 'appeal0', s.cur);
      const held = -(run.modelBalances().get(appeal)!.balance);
      const amountMinor = (held * BigInt(s.pct)) / 100n + 1n;
      const input: PostingInput = {
        idempotencyKey: run.newKey(),
        kind: 'grant',
        entries: [
          { accountId: appeal, amountMinor },
          { accountId: run.acct('pending', s.cur), amountMinor: -amountMinor },
        ],
      };
      if (run.overdraws(input.entries)) {
        const before = await ledgerFingerprint(raw);
        const err = await rejection(post(db, [input]));
        expect(err, `grant ${amountMinor} overdraws, yet was accepted`).toBeDefined();
        expect(`${err!.message} ${err!.cause?.message ?? ''}`).toMatch(/would be overdrawn/);
        expect(await ledgerFingerprint(raw)).toEqual(before);
        stats.refusedOverdraft++;
        return;
      }
      const [r] = await post(db, [input]);
      expect(r!.created).toBe(true);
      run.accept(input, r!);
      stats.grants++;
      return;
    }
    case 'conflict': {
      const key = run.pick(s.ref);
      if (key === undefined) return;
      const original = run.accepted.get(key)!.input;
      const changed: PostingInput = { ...original, entries: original.entries.map((e) => ({ ...e, amountMinor: e.amountMinor * 2n })) };
      const alongside = run.build(s.alongside);
      const batch = alongside && !run.accepted.has(alongside.idempotencyKey) ? [alongside, changed] : [changed];
      const before = await ledgerFingerprint(raw);
      const err = await rejection(post(db, batch));
      expect(err).toBeInstanceOf(LedgerError);
      expect(err!.code).toBe(original.reversesId === undefined ? 'ledger.idempotency_conflict' : 'ledger.already_reversed');
      stats.conflicts++;
      expect(await ledgerFingerprint(raw)).toEqual(before);
      return;
    }
  }
}

/** After a sequence: the database holds exactly the model, and every invariant holds. */
async function checkEverything(run: Run): Promise<void> {
  const report = await verifyLedger(testDb.database.db);
  expect(report.problems).toEqual([]);

  // Every cached balance and entry count equals the sum of what the model accepted.
  const model = run.modelBalances();
  for (const [key, a] of run.accounts) {
    const b = await balance(testDb.database.db, a.id);
    expect({ account: key, balance: b.balanceMinor, entries: b.entryCount }).toEqual({ account: key, balance: model.get(a.id)!.balance, entries: model.get(a.id)!.entries });
  }

  // Each accepted key exists exactly once, with the id post() returned, and no other key exists.
  const rows = await raw<{ k: string; id: string; n: number }[]>`
    SELECT idempotency_key AS k, min(id)::text AS id, count(*)::int AS n FROM ledger_transactions
     WHERE idempotency_key LIKE ${`${run.tag}:%`} OR idempotency_key LIKE ${`reverse:%${run.tag}:%`}
     GROUP BY idempotency_key`;
  expect(rows.filter((r) => r.n !== 1)).toEqual([]);
  expect(new Map(rows.map((r) => [r.k, BigInt(r.id)]))).toEqual(new Map([...run.accepted].map(([k, v]) => [k, v.transactionId])));

  // Each transaction holds exactly the entries that were sent for it (replays added none).
  const ids = [...run.accounts.values()].map((a) => a.id.toString());
  const entries = await raw<{ t: string; a: string; v: string }[]>`
    SELECT transaction_id::text AS t, account_id::text AS a, amount_minor::text AS v FROM ledger_entries
     WHERE account_id = ANY(${ids}::bigint[])`;
  const actual = new Map<string, string[]>();
  for (const e of entries) actual.set(e.t, [...(actual.get(e.t) ?? []), `${e.a}:${e.v}`]);
  const expected = new Map<string, string[]>();
  for (const { input, transactionId } of run.accepted.values()) {
    expected.set(transactionId.toString(), input.entries.map((e) => `${e.accountId}:${e.amountMinor}`));
  }
  const sorted = (m: Map<string, string[]>) => new Map([...m].map(([k, v]) => [k, [...v].sort()]));
  expect(sorted(actual)).toEqual(sorted(expected));
}

describe('ledger properties', () => {
  // The invariants must hold for any mix of operations, not just the examples we thought of.
  it('after any sequence of postings, replays, conflicts, reversals, grants and concurrent batches, the ledger equals the model', async () => {
    const started = Date.now();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 16 }), async (steps) => {
        runs++;
        const run = new Run();
        await run.open();
        for (const s of steps) await execute(run, s);
        await checkEverything(run);
      }),
      { numRuns: 40, endOnFailure: true },
    );
    process.stdout.write(`ledger properties: ${runs} runs in ${Date.now() - started} ms, ${JSON.stringify(stats)}\n`);
    // A generator that never reaches these paths would prove nothing about them.
    for (const path of ['created', 'replayed', 'concurrentBatches', 'concurrentSameKey', 'reversed', 'refusedOverdraft', 'conflicts', 'grants'] as const) {
      expect(stats[path], path).toBeGreaterThan(0);
    }
  }, 120_000);
});
