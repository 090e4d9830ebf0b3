import { execSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import Stripe from 'stripe';
import type { Database } from '../../db/client';
import { stripeEvents } from '../../db/schema/index';
import { seedDemoData } from '../../db/seed';
import { buildApp } from '../../server/app';
import { drainOnce } from '../../server/payments/poster';
import { createStripeClient } from '../../server/payments/stripe-client';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import { testConfig, testPlatform } from '../helpers/config';
import { withBenchDatabase } from './bench-db';
import { paidCheckoutSession } from './paid-gift';
import { loadRole, startWorker, streamsRole, type Delivery, type LoadResult } from './appeals-clients';

// Two questions about a popular appeal's page. (a) Reads: GET /api/appeals/:slug of the real app on
// real Postgres against a bare Fastify route answering a similar JSON body, same run, same load.
// (b) Live progress: thousands of open event streams on one appeal, then real gifts posted by the
// real poster (a paid Checkout Session of the emulator, its event in the inbox, drainOnce), timed
// from the poster's commit to each stream receiving the new total.

const slug = 'buck-a-brick';
const connections = 64;
const warmUpSeconds = 2;
/** Reads: the bare route and the app's take turns for this many rounds of this many seconds each. */
const readRounds = 4;
const roundSeconds = 5;
const streamCount = Number(process.env.BENCH_STREAMS ?? 5_000);
/** The stream clients run in threads of their own, off the server's event loop. */
const clientThreads = 4;
const postings = 5;
const giftMinor = 500;
const poolMax = 10; // the app's default DATABASE_POOL_MAX
const publicUrl = 'http://localhost:3000';
const targets = { readRatio: 0.5, deliveryP99Ms: 1_000 };

interface StreamResult {
  opened: number;
  failed: number;
  openSeconds: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  deliveries: Delivery[];
}

export async function runAppealsBench(): Promise<void> {
  const started = performance.now();
  checkFileLimit();
  await withBenchDatabase(poolMax, async (database, url) => {
    const emulator = await startStripeEmulator({ logger: false, disputeAfterMs: null });
    const app = await startRealApp(database, url);
    try {
      const stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: emulator.clientOptions });
      await seedDemoData(database.db);
      note(`\nappeals benchmark: ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} before reads`);
      const reads = await measureReads(app.url);
      printReads(reads);
      note(`\nload average ${loadavg()[0]!.toFixed(1)} before streams`);
      const streams = await measureStreams(database, stripe, emulator, app.url);
      printStreams(streams);
      note(`bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
      printTargets(reads, streams);
    } finally {
      await app.app.close();
      await emulator.close();
    }
  });
}

/** Each stream is two descriptors here (client and server end); say so rather than fail midway. */
function checkFileLimit(): void {
  const needed = streamCount * 2 + 500;
  const limit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  if (Number.isFinite(limit) && limit < needed) {
    throw new Error(`open-file limit ${limit} is below the ${needed} this run needs: run \`ulimit -n ${needed}\` first (or BENCH_STREAMS=<fewer>)`);
  }
}

/** The app as the server builds it, without the web UI or a worker (the bench drives the poster). */
async function startRealApp(database: Database, url: string): Promise<{ app: FastifyInstance; url: string }> {
  const config = testConfig({ DATABASE_URL: url, RUN_WORKER: 'false', PUBLIC_URL: publicUrl, LIVE_STREAMS_MAX: String(streamCount + 100), LIVE_STREAMS_PER_CLIENT_MAX: String(streamCount + 100) });
  const app = await buildApp({ config, database });
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

// ---------------------------------------------------------------------------------------------
// (a) Reads. The load generator runs in its own thread, as in the webhook bench.

/**
 * Both servers stay up and take turns, a few rounds each, so that a change in what else the shared
 * CPUs are doing falls on both alike; the ratio is of the totals.
 */
async function measureReads(appUrl: string): Promise<Reads> {
  const body = await (await fetch(`${appUrl}/api/appeals/${slug}`)).text();
  const load = startWorker(loadRole, {});
  const bare = Fastify({ logger: false });
  try {
    // The same object the real route answers, serialized by Fastify's default JSON serializer.
    const answer = JSON.parse(body) as unknown;
    bare.get('/api/appeals/:slug', async () => answer);
    const urls = { bare: `${await bare.listen({ port: 0, host: '127.0.0.1' })}/api/appeals/${slug}`, appeal: `${appUrl}/api/appeals/${slug}` };
    for (const url of Object.values(urls)) await load.ask({ url, connections, seconds: warmUpSeconds });
    const rounds: { bare: LoadResult; appeal: LoadResult }[] = [];
    for (let i = 0; i < readRounds; i++) {
      const b = await load.ask<LoadResult>({ url: urls.bare, connections, seconds: roundSeconds });
      const a = await load.ask<LoadResult>({ url: urls.appeal, connections, seconds: roundSeconds });
      rounds.push({ bare: b, appeal: a });
    }
    return { rounds, bare: combine(rounds.map((r) => r.bare)), real: combine(rounds.map((r) => r.appeal)), bodyBytes: Buffer.byteLength(body) };
  } finally {
    await bare.close();
    await load.close();
  }
}

interface Reads {
  rounds: { bare: LoadResult; appeal: LoadResult }[];
  bare: LoadResult;
  real: LoadResult;
  bodyBytes: number;
}

/** Totals over the rounds; the latency percentiles are the rounds' medians (autocannon gives no raw samples back). */
function combine(results: LoadResult[]): LoadResult {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ok = results.reduce((n, r) => n + r.ok, 0);
  return {
    ok,
    bad: results.reduce((n, r) => n + r.bad, 0),
    perSecond: ok / (results.length * roundSeconds),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
  };
}

// ---------------------------------------------------------------------------------------------
// (b) Streams. Client threads hold the sockets and note when each one sees the total it waits for.

async function measureStreams(database: Database, stripe: Stripe, emulator: StripeEmulator, appUrl: string): Promise<StreamResult> {
  const { port } = new URL(appUrl);
  const threads = Array.from({ length: clientThreads }, () => startWorker(streamsRole, { port: Number(port), path: `/api/appeals/${slug}/events` }));
  try {
    await Promise.all(threads.map((t) => t.ask({ type: 'ready' })));
    const rssBeforeMb = process.memoryUsage().rss / 1e6;
    const openStarted = performance.now();
    const opened = await Promise.all(threads.map((t, i) => t.ask<{ ok: number; failed: number }>({ type: 'open', count: share(streamCount, clientThreads, i) })));
    const openSeconds = (performance.now() - openStarted) / 1000;
    const rssAfterMb = process.memoryUsage().rss / 1e6;
    const deliveries: Delivery[] = [];
    for (let i = 0; i < postings; i++) {
      const event = await paidSessionEvent(stripe, database, emulator, i);
      await database.db.insert(stripeEvents).values(event);
      const expected = (await raisedGross(database)) + BigInt(giftMinor);
      await Promise.all(threads.map((t) => t.ask({ type: 'expect', raised: expected.toString() })));
      const r = await drainOnce({ db: database.db, stripe, log: pino({ level: 'silent' }), platform: testPlatform });
      // drainOnce returns right after its transaction commits: the NOTIFY went out then.
      const committedAtMs = performance.timeOrigin + performance.now();
      if (r.processed !== 1) throw new Error(`the poster processed ${r.processed} events, expected 1`);
      const parts = await Promise.all(threads.map((t) => t.ask<Delivery>({ type: 'committed', atMs: committedAtMs })));
      deliveries.push({ latenciesMs: parts.flatMap((p) => p.latenciesMs), missing: parts.reduce((n, p) => n + p.missing, 0) });
    }
    return {
      opened: opened.reduce((n, o) => n + o.ok, 0),
      failed: opened.reduce((n, o) => n + o.failed, 0),
      openSeconds,
      rssBeforeMb,
      rssAfterMb,
      deliveries,
    };
  } finally {
    await Promise.all(threads.map((t) => t.close()));
  }
}

const share = (total: number, parts: number, i: number) => Math.floor(total / parts) + (i < total % parts ? 1 : 0);

async function raisedGross(database: Database): Promise<bigint> {
  const [row] = await database.rows<{ raised: string }>(
    sql`SELECT coalesce((SELECT p.raised_gross_minor FROM appeal_progress p JOIN appeals a ON a.id = p.appeal_id WHERE a.slug = ${slug}), 0)::text AS raised`,
  );
  return BigInt(row!.raised);
}

/** A real gift up to the inbox: the donation, its Checkout Session paid in the emulator, the event Stripe would send. */
async function paidSessionEvent(stripe: Stripe, database: Database, emulator: StripeEmulator, i: number): Promise<typeof stripeEvents.$inferInsert> {
  const tag = `${Date.now().toString(36)}-${i}`;
  const { session, paidAtSeconds: created } = await paidCheckoutSession(
    { database, stripe, emulator: emulator.controls, publicUrl },
    { slug, amountMinor: BigInt(giftMinor), donorEmail: `member${i}@example.org`, idempotencyKey: `bench-appeals-${tag}` },
  );
  const payload = { id: `evt_bench_appeals_${tag}`, object: 'event', api_version: Stripe.API_VERSION, created, data: { object: session }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type: 'checkout.session.completed' };
  return { id: payload.id, type: payload.type, apiVersion: payload.api_version, stripeCreatedAt: new Date(created * 1000), payload: JSON.stringify(payload) };
}

// ---------------------------------------------------------------------------------------------
// Output.

const note = (line: string) => process.stdout.write(`${line}\n`);
const int = (n: number, width: number) => Math.round(n).toString().padStart(width);
const dec = (n: number, width: number, digits = 1) => n.toFixed(digits).padStart(width);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function printReads(r: Reads) {
  note(`reads: GET /api/appeals/${slug} (${r.bodyBytes} bytes), ${connections} connections, ${readRounds} alternating rounds of ${roundSeconds} s per route after a ${warmUpSeconds} s warm-up`);
  note(`ratio per round: ${r.rounds.map((x) => (x.appeal.perSecond / x.bare.perSecond).toFixed(2)).join(', ')}`);
  note('route       requests  non-2xx  req/s   p50 ms  p99 ms  ratio');
  for (const [name, x] of [['bare', r.bare], ['appeal', r.real]] as const) {
    note(`${name.padEnd(10)}  ${int(x.ok, 8)}  ${int(x.bad, 7)}  ${int(x.perSecond, 6)}  ${dec(x.p50, 6)}  ${dec(x.p99, 6)}  ${dec(x.perSecond / r.bare.perSecond, 5, 2)}x`);
  }
}

function printStreams(s: StreamResult) {
  note(`streams: ${s.opened} open on one appeal (${s.failed} failed) in ${s.openSeconds.toFixed(1)} s from ${clientThreads} client threads; process RSS (server and client threads) ${Math.round(s.rssBeforeMb)} → ${Math.round(s.rssAfterMb)} MB`);
  note(`${postings} gifts posted by drainOnce one after another; latency from the poster's commit to each stream's event`);
  note('gift  received  missing  p50 ms  p99 ms  max ms');
  s.deliveries.forEach((d, i) => {
    const sorted = [...d.latenciesMs].sort((a, b) => a - b);
    note(`${int(i + 1, 4)}  ${int(d.latenciesMs.length, 8)}  ${int(d.missing, 7)}  ${dec(percentile(sorted, 50), 6)}  ${dec(percentile(sorted, 99), 6)}  ${dec(sorted.at(-1) ?? NaN, 6)}`);
  });
}

function printTargets(reads: { bare: LoadResult; real: LoadResult }, s: StreamResult) {
  const ratio = reads.real.perSecond / reads.bare.perSecond;
  const readsMet = ratio >= targets.readRatio && reads.real.bad === 0;
  const all = s.deliveries.flatMap((d) => d.latenciesMs).sort((a, b) => a - b);
  const missing = s.deliveries.reduce((n, d) => n + d.missing, 0);
  const p99 = percentile(all, 99);
  const liveMet = s.opened === streamCount && missing === 0 && p99 < targets.deliveryP99Ms;
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  note(`target reads: >= ${targets.readRatio}x bare, no errors — got ${ratio.toFixed(2)}x, ${reads.real.bad} errors: ${verdict(readsMet)}`);
  note(`target live: ${streamCount} streams, every one gets every gift, p99 < ${targets.deliveryP99Ms} ms — got ${s.opened} streams, ${missing} missed, p99 ${p99.toFixed(0)} ms (max ${(all.at(-1) ?? NaN).toFixed(0)} ms): ${verdict(liveMet)}`);
  if (!readsMet || !liveMet) process.exitCode = 1;
}
