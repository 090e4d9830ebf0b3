import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import Stripe from 'stripe';
import type { Database } from '../../db/client';
import { seedDemoData } from '../../db/seed';
import { buildApp } from '../../server/app';
import { verifyLedger } from '../../server/ledger/service';
import { drainConcurrently, posterDefaults, type PosterDeps } from '../../server/payments/poster';
import { createStripeClient } from '../../server/payments/stripe-client';
import { testConfig } from '../helpers/config';
import { withBenchDatabase } from './bench-db';
import { startCpuProfile } from './cpu-profile';
import { startEmulatorThread, type EmulatorThread } from './emulator-thread';
import { paidCheckoutSession } from './paid-gift';
import { startTsWorker } from './ts-worker';
import { startWalByRelation } from './wal-by-relation';

// Webhook intake (POST /api/stripe/webhook of the real app) against a bare Fastify route that only
// parses the same JSON, measured in the same run with the same autocannon settings; then the
// poster's drain rate over exactly the events intake stored. The events are built from real paid
// Checkout Sessions of the emulator, so the poster does its real work on every one of them: its
// real fee read from Stripe over HTTP (the batch's charge listing, 100 charges a request), the
// ledger posting, the donation, progress and receipt rows.

/**
 * Real paid sessions, one event each, each posted at most once. Creating them is the slow part of
 * the run (~250/s on a 2-core box); an intake round stops when its share of the pool is used up
 * and is timed to its last answer.
 */
const eventPool = Number(process.env.WEBHOOK_EVENTS ?? 15_000);
const setupLanes = 32;
const connections = 64;
const warmUpSeconds = 2;
/** The webhook warm-up repeats these events (a repeat runs the same code; Stripe retries too). */
const warmUpEvents = 256;
/**
 * Bare and webhook runs alternate, so that both meet the same moments of a shared machine (the
 * bare route alone moved between 8,900 and 18,000 requests/s from one minute to the next).
 */
const rounds = 3;
const bareRoundSeconds = 3;
/** The app's own batch size unless DRAIN_BATCH says otherwise. */
const drainBatch = Number(process.env.DRAIN_BATCH ?? posterDefaults.batchSize);
const poolMax = 10; // the app's default DATABASE_POOL_MAX
const webhookSecret = 'whsec_bench_webhook_secret';
const webhookPath = '/api/stripe/webhook';
const publicUrl = 'http://localhost:3000';
const targets = { intakeRatio: 0.4, intakeP99Ms: 50 };

interface Signed {
  body: string;
  signature: string;
}

interface LoadResult {
  ok: number;
  bad: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Requests that had to repeat an event because the pool ran dry: a bug in the sizing here. */
  replayed: number;
  /** Every answer's latency in ms, so that rounds combine into true percentiles. */
  latencies: number[];
  /** CPU time the whole machine spent during the run (load generator included), in ms. */
  cpuMs?: number;
  /** CPU time of this process alone (the server under test and the load generator's thread), in ms. */
  ownCpuMs?: number;
  /** Bytes of write-ahead log Postgres wrote meanwhile (every database of the cluster). */
  walBytes?: number;
}

/**
 * The machine's busy CPU time so far in ms (Linux /proc/stat: user, nice, system, irq, softirq over
 * every CPU), or NaN elsewhere. Per event it says what a route or the poster costs the whole box,
 * which on two shared cores is what its rate comes down to.
 */
function machineCpuMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return ((f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** This process's CPU time so far in ms, every thread of it. */
function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Usage {
  cpuMs: number;
  ownCpuMs: number;
  walBytes: number;
}

/** Starts counting the machine's CPU, this process's and Postgres's WAL; the answer reads what was used since. */
async function startUsage(database: Database): Promise<() => Promise<Usage>> {
  const wal = await walPosition(database);
  const cpu = machineCpuMs();
  const own = ownCpuMs();
  return async () => ({ cpuMs: machineCpuMs() - cpu, ownCpuMs: ownCpuMs() - own, walBytes: (await walPosition(database)) - wal });
}

async function withCpu(database: Database, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const used = await startUsage(database);
  const result = await run();
  return { ...result, ...(await used()) };
}

/** Where Postgres's write-ahead log is, in bytes: what a phase writes is the difference. */
async function walPosition(database: Database): Promise<number> {
  const [row] = await database.rows<{ b: string }>(sql`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint::text AS b`);
  return Number(row!.b);
}

interface DrainResult {
  /** CPU time the whole machine spent (every process: Postgres, this one, the rest), in ms. */
  cpuMs: number;
  /** CPU time of this process (the poster and the Stripe emulator it calls), in ms. */
  ownCpuMs: number;
  walBytes: number;
  loops: number;
  events: number;
  failed: number;
  seconds: number;
  perSecond: number;
}

interface Afterwards {
  ledgerProblems: number;
  processed: number;
  leftOver: number;
  errors: string[];
}

export async function runWebhookBench(): Promise<void> {
  const started = performance.now();
  await withBenchDatabase(poolMax, async (database, url) => {
    const emulator = await startEmulatorThread({ disputeAfterMs: null });
    try {
      const stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: emulator.clientOptions });
      await seedDemoData(database.db);
      // Only the signed bodies outlive this line, and only in the load generator's thread.
      const load = startLoadWorker(await signedPool(database, stripe, emulator));
      collectGarbage();
      // Everything here shares the CPUs with Postgres and whatever else runs: say how busy they were.
      note(`${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} before intake; the Stripe emulator and the load generator run in threads of their own (main thread heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB)`);
      const { bare, intake, bareRuns, intakeRuns } = await measureIntake(database, url, stripe, load);
      printIntake(bare, intake, bareRuns, intakeRuns);
      const stored = await countEvents(database, 'pending');
      await quiesce(database);
      const drains = await measureDrains({ db: database.db, stripe, log: pino({ level: 'silent' }) }, database, stored, emulator);
      printDrains(stored, drains, intake);
      const after = await checkAfterwards(database, stored);
      printAfterwards(after, (performance.now() - started) / 1000);
      printTargets(bare, intake, drains, after);
    } finally {
      await emulator.close();
    }
  });
}

/**
 * A full collection now, so that the set-up's garbage (the paid sessions, the pool's bodies, which
 * only the load generator's thread keeps) is not collected in the middle of a measured round.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Leaves Postgres nothing of the previous phase's to finish (vacuuming the rows it wrote, flushing
 * its dirty pages) before a measured one. Left to autovacuum and the checkpointer, that work lands
 * on whatever runs next, and only the webhook rounds and the poster use the database.
 */
async function quiesce(database: Database): Promise<void> {
  await database.rows(sql`VACUUM (ANALYZE)`);
  // CHECKPOINT needs a superuser or pg_checkpoint; without them the run goes on as before.
  await database.rows(sql`CHECKPOINT`).catch((err: unknown) => note(`no CHECKPOINT before measuring: ${(err as Error).message}`));
}

// ---------------------------------------------------------------------------------------------
// Set-up: real donations, paid in the emulator, turned into signed checkout.session.completed events.

/** The pool of signed events, built from real paid sessions; the sessions themselves are dropped. */
async function signedPool(database: Database, stripe: Stripe, emulator: EmulatorThread): Promise<Signed[]> {
  const setup = await timed(() => createPaidSessions(database, stripe, emulator, eventPool));
  note(`\nwebhook benchmark set-up: ${eventPool} real paid Checkout Sessions in ${setup.seconds.toFixed(1)} s (${Math.round(eventPool / setup.seconds)}/s)`);
  const signed = signEvents(stripe, setup.value);
  note(`each event body ${Math.round(signed.reduce((n, s) => n + Buffer.byteLength(s.body), 0) / signed.length)} bytes on average, as the emulator's sessions are`);
  await quiesce(database);
  return signed;
}

/** A paid session and when it was paid: the `created` of the event Stripe makes of it. */
interface PaidSession {
  session: Stripe.Checkout.Session;
  paidAtSeconds: number;
}

/** Several lanes at once: each donation waits on Postgres and on the emulator's HTTP API in turn. */
async function createPaidSessions(database: Database, stripe: Stripe, emulator: EmulatorThread, n: number): Promise<PaidSession[]> {
  const sessions: PaidSession[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: setupLanes }, async () => {
      while (next < n) {
        const i = next++;
        sessions[i] = await createPaidSession(database, stripe, emulator, i);
      }
    }),
  );
  return sessions;
}

async function createPaidSession(database: Database, stripe: Stripe, emulator: EmulatorThread, i: number): Promise<PaidSession> {
  return paidCheckoutSession(
    { database, stripe, emulator, publicUrl },
    { slug: 'buck-a-brick', amountMinor: BigInt(100 * (1 + (i % 50))), donorEmail: `member${i}@example.org`, idempotencyKey: `bench-webhook-${i}` },
  );
}

/**
 * Signed before any load starts so that signing costs the load generator nothing while measured.
 * Each event says when its session was paid, as Stripe's do (the poster's charge listing relies on
 * that time; one shared timestamp for all of them would be a shape Stripe never sends).
 */
function signEvents(stripe: Stripe, sessions: PaidSession[]): Signed[] {
  const tag = Date.now().toString(36);
  return sessions.map(({ session, paidAtSeconds: created }, i) => {
    const body = JSON.stringify({
      id: `evt_bench_${tag}_${i}`,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created,
      data: { object: session },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'checkout.session.completed',
    });
    return { body, signature: stripe.webhooks.generateTestHeaderString({ payload: body, secret: webhookSecret }) };
  });
}

// ---------------------------------------------------------------------------------------------
// Intake. The load generator runs in its own thread: on the servers' event loop it would add its
// own work to every measured latency.

async function measureIntake(database: Database, url: string, stripe: Stripe, load: LoadWorker) {
  try {
    const bare = await startBareServer();
    const app = await startRealApp(database, url, stripe);
    // The baseline stores nothing, so it may send any body any number of times. Warming up on a
    // few events keeps the pool for the measured rounds, where every request carries an event the
    // server has not seen.
    await load.run({ url: bare.url, seconds: warmUpSeconds, bodies: 'any' });
    await load.run({ url: app.url, seconds: warmUpSeconds, bodies: 'warm-up' });
    const perRound = Math.floor((load.poolSize - warmUpEvents) / rounds) - 2 * connections;
    const bareRuns: LoadResult[] = [];
    const intakeRuns: LoadResult[] = [];
    for (let r = 0; r < rounds; r++) {
      bareRuns.push(await withCpu(database, () => load.run({ url: bare.url, seconds: bareRoundSeconds, bodies: 'any' })));
      // WEBHOOK_PROFILE_INTAKE=<file>: the server thread's CPU profile of the first webhook round.
      const profiling = r === 0 && process.env.WEBHOOK_PROFILE_INTAKE ? await startCpuProfile(process.env.WEBHOOK_PROFILE_INTAKE) : null;
      intakeRuns.push(await withCpu(database, () => load.run({ url: app.url, seconds: 30, bodies: 'fresh', limit: perRound })));
      await profiling?.stop();
    }
    await bare.app.close();
    // Lets requests autocannon dropped mid-flight finish, so the stored count below is final.
    await app.app.close();
    return { bare: combine(bareRuns), intake: combine(intakeRuns), bareRuns, intakeRuns };
  } finally {
    await load.close();
  }
}

/** Rounds together: events over time; latency percentiles from every answer of every round. */
function combine(runs: LoadResult[]): LoadResult {
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const latencies = runs.flatMap((r) => r.latencies);
  return {
    ok,
    bad: runs.reduce((n, r) => n + r.bad, 0),
    seconds,
    perSecond: ok / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    replayed: runs.reduce((n, r) => n + r.replayed, 0),
    latencies,
    cpuMs: runs.reduce((n, r) => n + (r.cpuMs ?? Number.NaN), 0),
    ownCpuMs: runs.reduce((n, r) => n + (r.ownCpuMs ?? Number.NaN), 0),
    walBytes: runs.reduce((n, r) => n + (r.walBytes ?? Number.NaN), 0),
  };
}

function percentile(sorted: number[], q: number): number {
  const all = [...sorted].sort((a, b) => a - b);
  return all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? 0;
}

async function startBareServer(): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  app.post(webhookPath, async () => ({ received: true }));
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

/** The app as the server builds it, without the web UI; RUN_WORKER off, so no poster runs during intake. */
async function startRealApp(database: Database, url: string, stripe: Stripe): Promise<{ app: FastifyInstance; url: string }> {
  const config = testConfig({ DATABASE_URL: url, RUN_WORKER: 'false', PUBLIC_URL: publicUrl });
  const app = await buildApp({ config, database, stripe: { client: stripe, webhookSecret } });
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

interface RunRequest {
  url: string;
  seconds: number;
  /** any: at random from the pool; warm-up: at random from its first events; fresh: each unused one once. */
  bodies: 'any' | 'warm-up' | 'fresh';
  /** At most this many requests (fresh runs: the round's share of the pool). */
  limit?: number;
}

type LoadWorker = ReturnType<typeof startLoadWorker>;

/** Starts this file again in a worker thread, as the load generator. */
function startLoadWorker(signed: Signed[]) {
  const worker = startTsWorker(import.meta.url, { role: loadRole, signed });
  return {
    poolSize: signed.length,
    run: (req: RunRequest) => worker.ask<LoadResult>(req),
    close: () => worker.close(),
  };
}

const loadRole = 'webhook-bench-load';

// autocannon ships no types; this is the part of its API used here.
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}
type Autocannon = ((opts: Record<string, unknown>) => PromiseLike<unknown> & { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void }) & {
  // Off the main thread autocannon answers raw, histogram-encoded results; this decodes them.
  aggregateResult(results: unknown[], opts: Record<string, unknown>): AutocannonResult;
};

/** The worker side: one autocannon run per message; the position in the pool carries over. */
function serveLoad(signed: Signed[]) {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  let cursor = warmUpEvents;
  parentPort!.on('message', async (req: RunRequest) => {
    let replayed = 0;
    const pick = () => (req.bodies === 'fresh' ? cursor++ : Math.floor(Math.random() * (req.bodies === 'any' ? signed.length : warmUpEvents)));
    const setupRequest = (r: AutocannonRequest): AutocannonRequest => {
      const i = pick();
      if (i >= signed.length) replayed++;
      const one = signed[i % signed.length]!;
      return { ...r, method: 'POST', path: webhookPath, headers: { 'content-type': 'application/json', 'stripe-signature': one.signature }, body: one.body };
    };
    const opts = { url: req.url, connections, duration: req.seconds, ...(req.bodies === 'fresh' ? requestCap(signed.length - cursor, req.limit) : {}) };
    const started = performance.now();
    let lastAnswer = started;
    const latencies: number[] = [];
    const run = autocannon({ ...opts, requests: [{ setupRequest }] });
    run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      lastAnswer = performance.now();
      latencies.push(ms);
    });
    const result = autocannon.aggregateResult([await run], opts);
    parentPort!.postMessage(summarize(result, (lastAnswer - started) / 1000, replayed, latencies));
  });
}

/**
 * Each client builds its next request before it needs it, so a run takes up to two bodies per
 * connection more than it answers: keep that many back so that no body is ever sent twice.
 */
function requestCap(left: number, limit = Infinity): { maxOverallRequests: number } {
  const cap = Math.min(left - 2 * connections, limit);
  if (cap < connections) throw new Error(`the event pool is used up (${left} left); raise eventPool`);
  return { maxOverallRequests: cap };
}

/** Timed to the last answer, not by autocannon, which rounds a run that ran out up to its 1 s tick. */
function summarize(result: AutocannonResult, seconds: number, replayed: number, latencies: number[]): LoadResult {
  const ok = result['2xx'];
  const bad = result.non2xx + result.errors + result.timeouts;
  return { ok, bad, seconds, perSecond: ok / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), replayed, latencies };
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === loadRole) {
  serveLoad((workerData as { signed: Signed[] }).signed);
}

// ---------------------------------------------------------------------------------------------
// Drain: half the inbox with the poster as the app runs it (posterDefaults.loops side by side),
// the rest with one loop alone, for comparison.

async function measureDrains(deps: PosterDeps, database: Database, stored: number, emulator: EmulatorThread): Promise<DrainResult[]> {
  // WEBHOOK_PROFILE_DRAIN=<file>: the poster thread's CPU profile while the app's poster drains,
  // and WEBHOOK_PROFILE_EMULATOR=<file> the Stripe emulator thread's.
  const profiling = process.env.WEBHOOK_PROFILE_DRAIN ? await startCpuProfile(process.env.WEBHOOK_PROFILE_DRAIN) : null;
  const emulatorProfiling = process.env.WEBHOOK_PROFILE_EMULATOR ? await emulator.startCpuProfile(process.env.WEBHOOK_PROFILE_EMULATOR) : null;
  const app = await drain(deps, database, posterDefaults.loops, Math.ceil(stored / 2));
  await profiling?.stop();
  await emulatorProfiling?.stop();
  // Each phase starts as the first did: the previous one's dead rows vacuumed, its pages written.
  await quiesce(database);
  // WEBHOOK_WAL=1: where the one-loop drain's write-ahead log went, by table and index.
  const wal = process.env.WEBHOOK_WAL ? await startWalByRelation(database) : null;
  const one = await drain(deps, database, 1, Infinity);
  if (wal) console.table(await wal.stop());
  return [app, one];
}

/** The app's poster (drainConcurrently) with `loops` loops until `limit` events are claimed or nothing is claimable. */
async function drain(deps: PosterDeps, database: Database, loops: number, limit: number): Promise<DrainResult> {
  const used = await startUsage(database);
  const started = performance.now();
  const r = await drainConcurrently(deps, { batchSize: drainBatch, loops }, (claimed) => claimed >= limit);
  const seconds = (performance.now() - started) / 1000;
  return { loops, events: r.processed, failed: r.failed, seconds, perSecond: r.processed / seconds, ...(await used()) };
}

// ---------------------------------------------------------------------------------------------
// Checks and output.

async function checkAfterwards(database: Database, stored: number): Promise<Afterwards> {
  const report = await verifyLedger(database.db);
  const processed = await countEvents(database, 'processed');
  const errors = await database.rows<{ last_error: string; n: number }>(
    sql`SELECT last_error, count(*)::int AS n FROM stripe_events WHERE last_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 3`,
  );
  return { ledgerProblems: report.problems.length, processed, leftOver: stored - processed, errors: errors.map((e) => `${e.n}× ${e.last_error}`) };
}

async function countEvents(database: Database, status: string): Promise<number> {
  const [row] = await database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM stripe_events WHERE status = ${status}`);
  return row!.n;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - started) / 1000 };
}

const note = (line: string) => process.stdout.write(`${line}\n`);
const int = (n: number, width: number) => Math.round(n).toString().padStart(width);
const dec = (n: number, width: number, digits = 1) => n.toFixed(digits).padStart(width);

function printIntake(bare: LoadResult, intake: LoadResult, bareRuns: LoadResult[], intakeRuns: LoadResult[]) {
  note(`intake: ${connections} connections after a ${warmUpSeconds} s warm-up each; ${rounds} rounds of ${bareRoundSeconds} s bare, then webhook until its share of the pool is used`);
  note('route       events  non-2xx  seconds  events/s  p50 ms  p99 ms  ratio  CPU us/event: machine, this process (server + load generator)  WAL bytes/event');
  const row = (name: string, x: LoadResult, base: LoadResult) =>
    note(`${name.padEnd(10)}  ${int(x.ok, 6)}  ${int(x.bad, 7)}  ${dec(x.seconds, 7, 2)}  ${int(x.perSecond, 8)}  ${dec(x.p50, 6)}  ${dec(x.p99, 6)}  ${dec(x.perSecond / base.perSecond, 5, 2)}x  ${int(((x.cpuMs ?? Number.NaN) * 1000) / x.ok, 8)}  ${int(((x.ownCpuMs ?? Number.NaN) * 1000) / x.ok, 6)}  ${int((x.walBytes ?? Number.NaN) / x.ok, 6)}`);
  for (let r = 0; r < bareRuns.length; r++) {
    row(`bare ${r + 1}`, bareRuns[r]!, bareRuns[r]!);
    row(`webhook ${r + 1}`, intakeRuns[r]!, bareRuns[r]!);
  }
  row('bare', bare, bare);
  row('webhook', intake, bare);
  if (intake.replayed > 0) note(`warning: ${intake.replayed} requests repeated an event: the pool was too small`);
}

function printDrains(stored: number, drains: DrainResult[], intake: LoadResult) {
  note(`\nposter: ${stored} stored events, batches of ${drainBatch}, about half with the poster as the app runs it (${posterDefaults.loops} pipelined loops), the rest with one loop`);
  note('   loops  events  failed  seconds  events/s  vs intake  CPU us/event: machine, this process (poster + emulator)  WAL bytes/event');
  for (const d of drains) {
    note(`${int(d.loops, 8)}  ${int(d.events, 6)}  ${int(d.failed, 6)}  ${dec(d.seconds, 7, 2)}  ${int(d.perSecond, 8)}  ${dec(d.perSecond / intake.perSecond, 8, 2)}x  ${int((d.cpuMs * 1000) / d.events, 8)}  ${int((d.ownCpuMs * 1000) / d.events, 6)}  ${int(d.walBytes / d.events, 6)}`);
  }
}

function printAfterwards(a: Afterwards, totalSeconds: number) {
  note(`\nledger:verify after the run: ${a.ledgerProblems} problems; ${a.processed} events processed, ${a.leftOver} not`);
  for (const e of a.errors) note(`  last error: ${e}`);
  note(`bench time ${totalSeconds.toFixed(0)} s`);
}

function printTargets(bare: LoadResult, intake: LoadResult, drains: DrainResult[], after: Afterwards) {
  const ratio = intake.perSecond / bare.perSecond;
  const intakeMet = ratio >= targets.intakeRatio && intake.p99 < targets.intakeP99Ms && intake.bad === 0 && intake.replayed === 0;
  const app = drains[0]!;
  const drainMet = app.perSecond > intake.perSecond;
  const cleanMet = after.ledgerProblems === 0 && after.leftOver === 0;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  note(`target intake: >= ${targets.intakeRatio}x bare and p99 < ${targets.intakeP99Ms} ms, no errors — got ${ratio.toFixed(2)}x, p99 ${intake.p99.toFixed(0)} ms, ${intake.bad} errors: ${verdict(intakeMet)}`);
  note(`target poster: as the app runs it (${app.loops} loops), drains faster than intake — got ${Math.round(app.perSecond)}/s vs ${Math.round(intake.perSecond)}/s: ${verdict(drainMet)}`);
  note(`target ledger: 0 problems, every stored event processed: ${verdict(cleanMet)}`);
  if (!intakeMet || !drainMet || !cleanMet) process.exitCode = 1;
}
