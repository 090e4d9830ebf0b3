import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client';
import { endMonthlyGiftsOfClosedAppeals } from '../../server/appeals/closed-appeal-gifts';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// The closing's job ran without a lock: two worker processes at once both read the same gifts and
// both asked Stripe to end each one (the same idempotency key kept it to one ending, and Stripe
// answered the second 409 while the first ran, logged as an error). Now one run at a time, across
// processes, on Postgres and on the embedded PGlite alike.

let h: PaymentsHarness;
/** A second process's pool on the same database. */
let other: Database;

beforeAll(async () => {
  h = await startPaymentsHarness();
  other = await openDatabase({ databaseUrl: h.testDb.url, poolMax: 2 });
  // Connected before the race, as a worker that has been running is.
  await other.rows(sql`SELECT 1`);
});

afterAll(async () => {
  await other?.close();
  await h?.close();
});

/**
 * A process's Stripe client, counting the subscription endings it asks for, by subscription. Each
 * ending takes a moment first, as Stripe across the internet does (the emulator answers at once):
 * long enough for the other process to start its run while this one is under way.
 */
function countingStripe(cancels: Map<string, number>): Stripe {
  const stripe = h.emulator.client();
  stripe.on('request', (e: { method: string; path: string }) => {
    const ended = /^\/v1\/subscriptions\/([^/?]+)$/.exec(e.path);
    if (e.method === 'DELETE' && ended) cancels.set(ended[1]!, (cancels.get(ended[1]!) ?? 0) + 1);
  });
  const cancel = stripe.subscriptions.cancel.bind(stripe.subscriptions) as (...args: unknown[]) => ReturnType<Stripe['subscriptions']['cancel']>;
  stripe.subscriptions.cancel = (async (...args: unknown[]) => {
    await new Promise((resolve) => setTimeout(resolve, stripeMs));
    return cancel(...args);
  }) as Stripe['subscriptions']['cancel'];
  return stripe;
}
const stripeMs = 200;

/** A log that keeps what was said at error. */
function errorLog(errors: unknown[]) {
  return pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });
}

/** A run of `name` that, once it holds the name, goes on until `finish` is called. */
function heldRun(database: Database, name: string, value: string) {
  let held!: () => void;
  let finish!: () => void;
  const holds = new Promise<void>((resolve) => (held = resolve));
  const run = database.runAlone(name, () => new Promise<string>((resolve) => ((finish = () => resolve(value)), held())));
  return { holds, run, finish: () => finish() };
}

describe('the closed-appeal job, started in two processes at once', () => {
  it('ends each gift at Stripe once, with nothing logged as an error', async () => {
    const start = Math.floor(Date.now() / 1000);
    const gifts = [];
    for (const email of ['ana@example.org', 'kei@example.org', 'ola@example.org']) gifts.push(await h.monthlyGiftOnClock(email, start));
    const closed = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/close', headers: { cookie: await signIn(h.app, 'organizer@ue222.demo') } });
    expect(closed.statusCode, closed.body).toBe(200);

    const cancels = new Map<string, number>();
    const errors: unknown[] = [];
    const run = (database: Database) =>
      endMonthlyGiftsOfClosedAppeals({ db: database.db, runAlone: database.runAlone, stripe: countingStripe(cancels), publicUrl: 'http://localhost:3000', log: errorLog(errors) }, 50);
    const runs = await Promise.all([run(h.testDb.database), run(other)]);

    expect(Object.fromEntries(cancels)).toEqual(Object.fromEntries(gifts.map((g) => [g.subId, 1])));
    // One run ended them all; the other, finding it under way, left them to it.
    expect(runs.map((r) => r.ended).sort()).toEqual([0, gifts.length]);
    expect(errors).toEqual([]);
  });

  it('lets one run hold its name across processes until it ends, and a run in the same process wait its turn', async () => {
    const first = heldRun(h.testDb.database, 'test:one-at-a-time', 'first');
    await first.holds;
    expect(await other.runAlone('test:one-at-a-time', async () => 'second')).toEqual({ ran: false });
    expect(await h.testDb.database.runAlone('test:one-at-a-time', async () => 'same process')).toEqual({ ran: false });
    // Another name is not held.
    expect(await other.runAlone('test:another', async () => 'other name')).toEqual({ ran: true, value: 'other name' });
    first.finish();
    expect(await first.run).toEqual({ ran: true, value: 'first' });
    expect(await other.runAlone('test:one-at-a-time', async () => 'after')).toEqual({ ran: true, value: 'after' });
  });

  it('lets go of the name when the run fails', async () => {
    await expect(h.testDb.database.runAlone('test:fails', async () => Promise.reject(new Error('Stripe is away')))).rejects.toThrow('Stripe is away');
    expect(await other.runAlone('test:fails', async () => 'again')).toEqual({ ran: true, value: 'again' });
  });
});

// Embedded mode is one process (the data directory is locked to it), whose one PGlite connection
// every query shares: two runs of the job in it still take turns.
describe('on PGlite', () => {
  let dataDir: string;
  let database: Database;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sf-run-alone-'));
    database = await openDatabase({ dataDir });
    await database.migrate();
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs one of two runs started at once, and the job runs on it', async () => {
    expect(database.driver).toBe('pglite');
    const first = heldRun(database, 'test:pglite', 'first');
    await first.holds;
    expect(await database.runAlone('test:pglite', async () => 'second')).toEqual({ ran: false });
    first.finish();
    expect(await first.run).toEqual({ ran: true, value: 'first' });
    const job = { db: database.db, runAlone: database.runAlone, stripe: h.emulator.client(), log: pino({ level: 'silent' }) };
    expect(await endMonthlyGiftsOfClosedAppeals(job, 50)).toEqual({ seen: 0, ended: 0 });
  });
});
