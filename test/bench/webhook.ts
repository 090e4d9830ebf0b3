import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance as nodePerformance } from 'node:perf_hooks';
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
import { drainConcurrently, posterDefaults, type DrainResult as PosterDrained, type PosterDeps } from '../../server/payments/poster';
import { createStripeClient } from '../../server/payments/stripe-client';
import { testConfig, testPlatform } from '../helpers/config';
import { withBenchDatabase } from './bench-db';
import { startCpuProfile } from './cpu-profile';
import { startEmulatorThread, type EmulatorThread } from './emulator-thread';
import { watchGc, type GcUsage } from './gc-watch';
import { paidCheckoutSession } from './paid-gift';
import { startPosterThreads } from './poster-threads';
import { startTsWorker } from './ts-worker';
import { startWalByRelation } from './wal-by-relation';

// Webhook intake (POST /api/stripe/webhook of the real app) against a bare Fastify route that only
// parses the same JSON, measured in the same run with the same autocannon settings; and the
// poster's drain rate over exactly the events intake stored, round by round. The events are built
// from real paid Checkout Sessions of the emulator, so the poster does its real work on every one
// of them: its real fee read from Stripe over HTTP (the batch's charge listing, 100 charges a
// request), the ledger posting, the donation, progress and receipt rows.

/**
 * Real paid sessions, one event each, each posted at most once. Creating them is the slow part of
 * the run (250-320/s on a 2-core box); an intake round stops when its share of the pool is used up
 * and is timed to its last answer. Each round should last about as long as the bare route's 3 s:
 * with 15,000 events a round took half a second on a machine where intake ran 8,000/s, and measured
 * mostly its ramp-up (0.30x bare, against 0.36x in rounds of 1.3-1.5 s from 40,000).
 */
const eventPool = Number(process.env.WEBHOOK_EVENTS ?? 40_000);
const setupLanes = 32;
const connections = 64;
/** The bare route's warm-up. */
const warmUpSeconds = 2;
/**
 * The warm-up's events: intake stores each once, then the poster drains them, so that both run
 * compiled code with their statements prepared before anything is measured. Neither is timed. The
 * warm-up also takes the first writes after the set-up's checkpoint to the pages every batch
 * touches (the hot balance rows, the right-hand pages of growing indexes), which log whole pages.
 */
const warmUpEvents = 2_000;
/**
 * Each round runs the bare route, then intake, then the poster over what that intake stored, so
 * that all three meet the same moments of a shared machine (the bare route alone moved between
 * 8,900 and 18,000 requests/s from one minute to the next, and a poster measured after every
 * intake round ran up to a third slower than one measured right after its own).
 */
const rounds = 3;
const bareRoundSeconds = 3;
/** The app's own batch size unless DRAIN_BATCH says otherwise. */
const drainBatch = Number(process.env.DRAIN_BATCH ?? posterDefaults.batchSize);
/**
 * The app's loops side by side unless POSTER_LOOPS says otherwise: on a 2-core machine where two
 * loops left it 80% busy, three drained 3,712 events/s against 3,432 (one run each, within the
 * rounds' spread), not enough to change the app's default on one run.
 */
const drainLoops = Number(process.env.POSTER_LOOPS ?? posterDefaults.loops);
/**
 * POSTER_THREADS=n: the poster in n worker threads of its own, each with POSTER_LOOPS loops, as n
 * poster processes would run (poster-threads.ts). Not as the app runs it, which the output says.
 */
const drainThreads = Number(process.env.POSTER_THREADS ?? 0);
const posterShape = drainThreads > 0 ? `in ${drainThreads} worker threads of ${drainLoops} loops each (POSTER_THREADS; the app runs its loops in one thread)` : `as the app runs it (${drainLoops} pipelined loops)`;
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
  /** Time this process's main thread (the server) was busy rather than waiting, in ms. */
  mainBusyMs?: number;
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
  mainBusyMs: number;
}

/** Starts counting the machine's CPU, this process's and Postgres's WAL; the answer reads what was used since. */
async function startUsage(database: Database): Promise<() => Promise<Usage>> {
  const wal = await walPosition(database);
  const cpu = machineCpuMs();
  const own = ownCpuMs();
  // The main thread runs the server during intake and the poster during a drain; the load
  // generator and the Stripe emulator have threads of their own. Read before the WAL query, whose
  // wait would count as idle.
  const loop = nodePerformance.eventLoopUtilization();
  return async () => {
    const { active } = nodePerformance.eventLoopUtilization(loop);
    return { cpuMs: machineCpuMs() - cpu, ownCpuMs: ownCpuMs() - own, mainBusyMs: active, walBytes: (await walPosition(database)) - wal };
  };
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
  /** Time the poster's thread was busy rather than waiting, in ms. */
  mainBusyMs: number;
  events: number;
  failed: number;
  seconds: number;
  perSecond: number;
  /** The poster thread's garbage collection (absent from the rounds' total). */
  gc?: GcUsage;
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
      const poster: PosterDeps = { db: database.db, stripe, log: pino({ level: 'silent' }), platform: testPlatform };
      const threads = drainThreads > 0 ? startPosterThreads(drainThreads, { databaseUrl: url, stripeHost: emulator.clientOptions, loops: drainLoops, batchSize: drainBatch, poolMax: Math.ceil(poolMax / drainThreads) }) : null;
      const drainAll: DrainAll = threads ? () => threads.drain() : () => drainConcurrently(poster, { batchSize: drainBatch, loops: drainLoops });
      const measured = await measureRounds(database, url, stripe, load, drainAll, emulator).finally(() => threads?.close());
      const { bare, intake, bareRuns, intakeRuns, drainRuns, late, checkpoints } = measured;
      printIntake(bare, intake, bareRuns, intakeRuns);
      const drained = combineDrains(drainRuns);
      printDrains(drainRuns, drained, intakeRuns, intake, late);
      note(checkpointEachPhase ? `a checkpoint before each measured phase (WEBHOOK_CHECKPOINT=each): ${checkpoints} in all` : `checkpoints during the rounds: ${checkpoints} (the last one ended the set-up)`);
      const after = await checkAfterwards(database);
      printAfterwards(after, (performance.now() - started) / 1000);
      printTargets(bare, intake, drained, after);
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
 * Leaves Postgres nothing of the previous phase's to finish before a round: the rows it wrote
 * vacuumed (left to autovacuum, that work lands on whatever runs next) and, with `checkpoint`, its
 * dirty pages written. Not between intake and its drain: the poster reads the rows intake just
 * wrote and pays for their first reading (hint bits) itself, as it does in service.
 *
 * The set-up ends with a checkpoint, so that no timed one (every 5 minutes by default) falls inside
 * the rounds, which take well under a minute; the rounds then run between checkpoints, as a
 * server mostly does. WEBHOOK_CHECKPOINT=each checkpoints before every measured phase instead:
 * each phase then runs just after a checkpoint, where the first change to every page writes the
 * whole page to the log. That is the worst case for the poster, whose batches touch a few thousand
 * pages of indexes on random keys (about 0.4 KB more log per event each round as they grow).
 */
async function quiesce(database: Database, checkpoint: boolean): Promise<void> {
  await database.rows(sql`VACUUM (ANALYZE)`);
  if (checkpoint) await forceCheckpoint(database);
}

async function forceCheckpoint(database: Database): Promise<void> {
  // CHECKPOINT needs a superuser or pg_checkpoint; without them the run goes on as before.
  await database.rows(sql`CHECKPOINT`).catch((err: unknown) => note(`no CHECKPOINT before measuring: ${(err as Error).message}`));
}

const checkpointEachPhase = process.env.WEBHOOK_CHECKPOINT === 'each';

/** Checkpoints Postgres has made so far, timed or asked for (CHECKPOINT, a full log); NaN when it does not say. */
async function checkpointCount(database: Database): Promise<number> {
  // Postgres 17 moved the counts from pg_stat_bgwriter to pg_stat_checkpointer.
  const [row] = await database
    .rows<{ n: number }>(sql`SELECT (num_timed + num_requested)::int AS n FROM pg_stat_checkpointer`)
    .catch(() => database.rows<{ n: number }>(sql`SELECT (checkpoints_timed + checkpoints_req)::int AS n FROM pg_stat_bgwriter`))
    .catch(() => [{ n: Number.NaN }]);
  return row!.n;
}

/**
 * Waits until intake has stored what it is going to: autocannon stops at its cap with requests
 * still in flight, and an event stored after the drain ended would be counted in the next round's.
 */
async function storedSettles(database: Database): Promise<void> {
  const stored = () => countEvents(database);
  let last = await stored();
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await stored();
    if (now === last) return;
    last = now;
  }
}

// ---------------------------------------------------------------------------------------------
// Set-up: real donations, paid in the emulator, turned into signed checkout.session.completed events.

/** The pool of signed events, built from real paid sessions; the sessions themselves are dropped. */
async function signedPool(database: Database, stripe: Stripe, emulator: EmulatorThread): Promise<Signed[]> {
  const setup = await timed(() => createPaidSessions(database, stripe, emulator, eventPool));
  note(`\nwebhook benchmark set-up: ${eventPool} real paid Checkout Sessions in ${setup.seconds.toFixed(1)} s (${Math.round(eventPool / setup.seconds)}/s)`);
  const signed = signEvents(stripe, setup.value);
  note(`each event body ${Math.round(signed.reduce((n, s) => n + Buffer.byteLength(s.body), 0) / signed.length)} bytes on average, as the emulator's sessions are`);
  await quiesce(database, true);
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
// The rounds. The load generator runs in its own thread: on the servers' event loop it would add
// its own work to every measured latency.

/** Drains the inbox until nothing is claimable, the poster's way under test. */
type DrainAll = () => Promise<PosterDrained>;

async function measureRounds(database: Database, url: string, stripe: Stripe, load: LoadWorker, poster: DrainAll, emulator: EmulatorThread) {
  try {
    const bare = await startBareServer();
    const app = await startRealApp(database, url, stripe);
    // The baseline stores nothing, so it may send any body any number of times; every request to
    // the app carries an event it has not seen.
    await load.run({ url: bare.url, seconds: warmUpSeconds, bodies: 'any' });
    await load.run({ url: app.url, seconds: 30, bodies: 'fresh', limit: warmUpEvents });
    await drain(poster, database);
    // Each run may take up to two bodies per connection more than it answers (requestCap).
    const perRound = Math.floor((load.poolSize - warmUpEvents - 2 * connections) / rounds) - 2 * connections;
    const bareRuns: LoadResult[] = [];
    const intakeRuns: LoadResult[] = [];
    const drainRuns: DrainResult[] = [];
    const checkpointsBefore = await checkpointCount(database);
    for (let r = 0; r < rounds; r++) {
      bareRuns.push(await withCpu(database, () => load.run({ url: bare.url, seconds: bareRoundSeconds, bodies: 'any' })));
      // Each round starts alike: the previous one's dead rows vacuumed.
      await quiesce(database, checkpointEachPhase);
      // WEBHOOK_PROFILE_INTAKE=<file>: the server thread's CPU profile of the first webhook round.
      const profiling = r === 0 && process.env.WEBHOOK_PROFILE_INTAKE ? await startCpuProfile(process.env.WEBHOOK_PROFILE_INTAKE) : null;
      intakeRuns.push(await withCpu(database, () => load.run({ url: app.url, seconds: 30, bodies: 'fresh', limit: perRound })));
      await profiling?.stop();
      await storedSettles(database);
      if (checkpointEachPhase) await forceCheckpoint(database);
      drainRuns.push(r === 0 ? await drainProfiled(poster, database, emulator) : await drain(poster, database));
    }
    const checkpoints = (await checkpointCount(database)) - checkpointsBefore;
    await bare.app.close();
    // Lets requests autocannon dropped mid-flight finish; the events they stored are drained
    // (unmeasured), so that every stored event is checked afterwards.
    await app.app.close();
    const late = await drain(poster, database);
    return { bare: combine(bareRuns), intake: combine(intakeRuns), bareRuns, intakeRuns, drainRuns, late: late.events, checkpoints };
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
    mainBusyMs: runs.reduce((n, r) => n + (r.mainBusyMs ?? Number.NaN), 0),
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
  /** any: at random from the pool; fresh: each unused one once. */
  bodies: 'any' | 'fresh';
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
  let cursor = 0;
  parentPort!.on('message', async (req: RunRequest) => {
    let replayed = 0;
    const pick = () => (req.bodies === 'fresh' ? cursor++ : Math.floor(Math.random() * signed.length));
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
// Drain: the poster as the app runs it (posterDefaults.loops side by side) over what intake stored.

/**
 * The first round's drain, with what the environment asks to be recorded: WEBHOOK_PROFILE_DRAIN=<file>
 * the poster thread's CPU profile, WEBHOOK_PROFILE_EMULATOR=<file> the Stripe emulator thread's,
 * WEBHOOK_WAL=1 where its write-ahead log went, by table and index.
 */
async function drainProfiled(deps: DrainAll, database: Database, emulator: EmulatorThread): Promise<DrainResult> {
  const profiling = process.env.WEBHOOK_PROFILE_DRAIN ? await startCpuProfile(process.env.WEBHOOK_PROFILE_DRAIN) : null;
  const emulatorProfiling = process.env.WEBHOOK_PROFILE_EMULATOR ? await emulator.startCpuProfile(process.env.WEBHOOK_PROFILE_EMULATOR) : null;
  const wal = process.env.WEBHOOK_WAL ? await startWalByRelation(database) : null;
  const result = await drain(deps, database);
  await profiling?.stop();
  await emulatorProfiling?.stop();
  if (wal) console.table(await wal.stop());
  return result;
}

/** The poster under test until nothing is claimable. */
async function drain(drainAll: DrainAll, database: Database): Promise<DrainResult> {
  const used = await startUsage(database);
  const collected = watchGc();
  const started = performance.now();
  const r = await drainAll();
  const seconds = (performance.now() - started) / 1000;
  const gc = collected();
  return { events: r.processed, failed: r.failed, seconds, perSecond: r.processed / seconds, gc, ...(await used()) };
}

function combineDrains(runs: DrainResult[]): DrainResult {
  const sum = (f: (d: DrainResult) => number) => runs.reduce((n, d) => n + f(d), 0);
  const events = sum((d) => d.events);
  const seconds = sum((d) => d.seconds);
  return { events, failed: sum((d) => d.failed), seconds, perSecond: events / seconds, cpuMs: sum((d) => d.cpuMs), ownCpuMs: sum((d) => d.ownCpuMs), walBytes: sum((d) => d.walBytes), mainBusyMs: sum((d) => d.mainBusyMs) };
}

// ---------------------------------------------------------------------------------------------
// Checks and output.

async function checkAfterwards(database: Database): Promise<Afterwards> {
  const report = await verifyLedger(database.db);
  const stored = await countEvents(database);
  const processed = await countEvents(database, 'processed');
  const errors = await database.rows<{ last_error: string; n: number }>(
    sql`SELECT last_error, count(*)::int AS n FROM stripe_events WHERE last_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 3`,
  );
  return { ledgerProblems: report.problems.length, processed, leftOver: stored - processed, errors: errors.map((e) => `${e.n}× ${e.last_error}`) };
}

/** Events in the inbox, in `status` or in all. */
async function countEvents(database: Database, status?: string): Promise<number> {
  const [row] = await database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM stripe_events ${status ? sql`WHERE status = ${status}` : sql``}`);
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
/**
 * How busy the machine's CPUs and the main thread were over a phase, in %: a phase limited by its
 * JavaScript shows a main thread near 100; one with both well below it waits on something else.
 */
const busy = (x: { cpuMs?: number; mainBusyMs?: number; seconds: number }) =>
  `${int((100 * (x.cpuMs ?? Number.NaN)) / (x.seconds * 1000 * cpus().length), 4)}  ${int((100 * (x.mainBusyMs ?? Number.NaN)) / (x.seconds * 1000), 4)}`;

function printIntake(bare: LoadResult, intake: LoadResult, bareRuns: LoadResult[], intakeRuns: LoadResult[]) {
  note(`intake: ${connections} connections after a warm-up each (bare ${warmUpSeconds} s; webhook ${warmUpEvents} events, which the poster then drained); ${rounds} rounds of ${bareRoundSeconds} s bare, then webhook until its share of the pool is used, then the poster`);
  note('route       events  non-2xx  seconds  events/s  p50 ms  p99 ms  ratio  CPU us/event: machine, this process (server + load generator)  WAL bytes/event  busy %: machine, server thread');
  const row = (name: string, x: LoadResult, base: LoadResult) =>
    note(`${name.padEnd(10)}  ${int(x.ok, 6)}  ${int(x.bad, 7)}  ${dec(x.seconds, 7, 2)}  ${int(x.perSecond, 8)}  ${dec(x.p50, 6)}  ${dec(x.p99, 6)}  ${dec(x.perSecond / base.perSecond, 5, 2)}x  ${int(((x.cpuMs ?? Number.NaN) * 1000) / x.ok, 8)}  ${int(((x.ownCpuMs ?? Number.NaN) * 1000) / x.ok, 6)}  ${int((x.walBytes ?? Number.NaN) / x.ok, 6)}  ${busy(x)}`);
  for (let r = 0; r < bareRuns.length; r++) {
    row(`bare ${r + 1}`, bareRuns[r]!, bareRuns[r]!);
    row(`webhook ${r + 1}`, intakeRuns[r]!, bareRuns[r]!);
  }
  row('bare', bare, bare);
  row('webhook', intake, bare);
  if (intake.replayed > 0) note(`warning: ${intake.replayed} requests repeated an event: the pool was too small`);
}

function printDrains(runs: DrainResult[], all: DrainResult, intakeRuns: LoadResult[], intake: LoadResult, late: number) {
  note(`\nposter: ${posterShape}, batches of ${drainBatch}, each round over the events that round's intake stored`);
  note('round    events  failed  seconds  events/s  vs intake  CPU us/event: machine, this process (poster + emulator)  WAL bytes/event  busy %: machine, poster thread');
  const row = (name: string, d: DrainResult, base: LoadResult) =>
    note(`${name.padEnd(7)}  ${int(d.events, 6)}  ${int(d.failed, 6)}  ${dec(d.seconds, 7, 2)}  ${int(d.perSecond, 8)}  ${dec(d.perSecond / base.perSecond, 8, 2)}x  ${int((d.cpuMs * 1000) / d.events, 8)}  ${int((d.ownCpuMs * 1000) / d.events, 6)}  ${int(d.walBytes / d.events, 6)}  ${busy(d)}`);
  runs.forEach((d, r) => row(`${r + 1}`, d, intakeRuns[r]!));
  row('all', all, intake);
  if (late > 0) note(`${late} events stored after the last round's drain, drained unmeasured`);
  note(`the poster thread's garbage collection, by round: pauses (scavenges, mark-compact steps), paused us/event, heap MB before -> after`);
  runs.forEach((d, r) => {
    if (d.gc) note(`${r + 1}        ${int(d.gc.minor, 4)}  ${int(d.gc.major, 3)}  ${int((d.gc.pausedMs * 1000) / d.events, 6)}  ${int(d.gc.heapBeforeMb, 5)} -> ${int(d.gc.heapAfterMb, 4)}`);
  });
}

function printAfterwards(a: Afterwards, totalSeconds: number) {
  note(`\nledger:verify after the run: ${a.ledgerProblems} problems; ${a.processed} events processed, ${a.leftOver} not`);
  for (const e of a.errors) note(`  last error: ${e}`);
  note(`bench time ${totalSeconds.toFixed(0)} s`);
}

function printTargets(bare: LoadResult, intake: LoadResult, app: DrainResult, after: Afterwards) {
  const ratio = intake.perSecond / bare.perSecond;
  const intakeMet = ratio >= targets.intakeRatio && intake.p99 < targets.intakeP99Ms && intake.bad === 0 && intake.replayed === 0;
  const drainMet = app.perSecond > intake.perSecond;
  const cleanMet = after.ledgerProblems === 0 && after.leftOver === 0;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  note(`target intake: >= ${targets.intakeRatio}x bare and p99 < ${targets.intakeP99Ms} ms, no errors — got ${ratio.toFixed(2)}x, p99 ${intake.p99.toFixed(0)} ms, ${intake.bad} errors: ${verdict(intakeMet)}`);
  note(`target poster: ${posterShape}, drains faster than intake — got ${Math.round(app.perSecond)}/s vs ${Math.round(intake.perSecond)}/s: ${verdict(drainMet)}`);
  note(`target ledger: 0 problems, every stored event processed: ${verdict(cleanMet)}`);
  if (!intakeMet || !drainMet || !cleanMet) process.exitCode = 1;
}
