import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, type Database } from '../../db/client';
import { appeals, organizations } from '../../db/schema/index';
import { buildApp } from '../../server/app';
import { AppealCache } from '../../server/appeals/cache';
import { liveDefaults, ProgressHub } from '../../server/appeals/live';
import { closeExpiredAppeals } from '../../server/appeals/manage-service';
import { testConfig } from '../helpers/config';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { openSse, type SseClient, type SseEvent } from '../helpers/sse';
import { startTcpProxy } from '../helpers/tcp-proxy';

// Live progress end to end on real Postgres: a real gift through the emulator, the webhook and the
// real poster, whose NOTIFY reaches every app instance on the database through its one LISTEN.

let h: PaymentsHarness;
let second: { app: FastifyInstance; database: Database; url: string };
const opened: SseClient[] = [];

beforeAll(async () => {
  h = await startPaymentsHarness();
  // Another instance: its own connections, its own listener, the same database.
  const database = await openDatabase({ databaseUrl: h.testDb.url, poolMax: 2 });
  const app = await buildApp({ config: testConfig({ DATABASE_URL: h.testDb.url }), database });
  second = { app, database, url: await app.listen({ port: 0, host: '127.0.0.1' }) };
});

afterAll(async () => {
  for (const c of opened) c.close();
  await second?.app.close();
  await second?.database.close();
  await h?.close();
});

const baseUrl = (app: FastifyInstance) => {
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('app is not listening');
  return `http://127.0.0.1:${address.port}`;
};

async function stream(url: string, slug = 'buck-a-brick', headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openSse(`${url}/api/appeals/${slug}/events`, headers);
  opened.push(client);
  return client;
}

const raised = (e: SseEvent) => BigInt(JSON.parse(e.data).raisedGrossMinor as string);

/** A real gift: Checkout Session, paid in the emulator, webhook stored, then the poster drains. */
async function giveAndPost(amountMinor: string): Promise<number> {
  const { sessionId } = await h.donate('buck-a-brick', { amountMinor });
  h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
  await h.settle();
  return performance.now();
}

describe('GET /api/appeals/:slug/events', () => {
  // The stream is useless behind a buffering proxy or with the wrong type; the first event is the
  // same summary the JSON API shows.
  it('answers an event stream that starts with the current progress', async () => {
    const client = await stream(baseUrl(h.app));
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['cache-control']).toBe('no-cache, no-transform');
    expect(client.headers['x-accel-buffering']).toBe('no');
    expect(client.headers['x-content-type-options']).toBe('nosniff'); // helmet's headers still go out
    const first = await client.next((e) => e.event === 'progress', 1_000);
    const api = (await h.app.inject('/api/appeals/buck-a-brick')).json();
    expect(JSON.parse(first.data)).toEqual(api.progress);
  });

  // The promise: a posted gift shows on every open page within a second, on any instance.
  it('delivers a gift posted by the poster to streams on both instances within 1 s', async () => {
    const a = await stream(baseUrl(h.app));
    const b = await stream(second.url);
    const before = raised(await a.next((e) => e.event === 'progress', 1_000));
    const postedAt = await giveAndPost('2500');
    const [gotA, gotB] = await Promise.all([a.next((e) => raised(e) === before + 2500n, 1_000), b.next((e) => raised(e) === before + 2500n, 1_000)]);
    expect(gotA.atMs - postedAt).toBeLessThan(1_000);
    expect(gotB.atMs - postedAt).toBeLessThan(1_000);
    expect(JSON.parse(gotB.data)).toEqual(JSON.parse(gotA.data));
    expect(JSON.parse(gotA.data)).toMatchObject({ raisedGrossMinor: String(before + 2500n) });
    // The cached JSON read moved with it: the notification dropped the cached entry.
    expect((await second.app.inject('/api/appeals/buck-a-brick')).json().progress).toEqual(JSON.parse(gotA.data));
  });

  // Several postings close together: each stream still ends on the final total.
  it('ends on the final total after gifts in quick succession', async () => {
    const client = await stream(second.url);
    const before = raised(await client.next((e) => e.event === 'progress', 1_000));
    await Promise.all([h.donate('buck-a-brick', { amountMinor: '100' }), h.donate('buck-a-brick', { amountMinor: '200' })].map(async (p) => h.emulator.controls.payCheckoutSession((await p).sessionId, '4242424242424242')));
    await h.settle();
    await client.next((e) => raised(e) === before + 300n, 1_000);
  });

  // A burst of notifications for one appeal costs one read, and a summary that did not change is not
  // sent again: a viral appeal's postings must not turn into a read and an event per notification.
  it('coalesces a burst of notifications into one read and sends no unchanged summary', async () => {
    const client = await stream(second.url);
    await client.next((e) => e.event === 'progress', 1_000);
    const [appeal] = await h.testDb.database.db.select({ id: appeals.id }).from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    const hub = second.app.appealLive.hub;
    const before = hub.stats;
    // Separate transactions (Postgres folds equal NOTIFYs of one transaction into one), sent at once.
    await Promise.all(Array.from({ length: 20 }, () => h.testDb.database.rows(sql`SELECT pg_notify('appeal_progress', ${appeal!.id})`)));
    await waitFor(async () => hub.stats.notifications >= before.notifications + 20, 2_000);
    await new Promise((r) => setTimeout(r, 300));
    const after = hub.stats;
    expect(after.reads - before.reads).toBeGreaterThanOrEqual(1);
    expect(after.reads - before.reads).toBeLessThan(10);
    expect(after.events).toBe(before.events);
    expect(client.events.length).toBe(1);
  });

  // Proxies close a quiet connection; comments keep it open between gifts.
  it('sends keep-alive comments while nothing changes', async () => {
    const cache = new AppealCache(h.testDb.database.db);
    const hub = new ProgressHub({ database: h.testDb.database, cache, log: h.app.log, streamsMax: 10, streamsPerClientMax: 10 }, { ...liveDefaults, keepAliveMs: 50 });
    await hub.start();
    const server = createServer((req, res) => {
      const n = cache.notifications;
      void cache.get('buck-a-brick').then((entry) => hub.open(res, entry, n, {}, 'test-client'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await waitFor(async () => client.comments >= 3, 2_000);
      expect(client.events.length).toBe(1);
      await hub.close();
      await client.ended;
    } finally {
      await hub.close();
      server.close();
    }
  });

  // A lost LISTEN connection must not silently end live updates: the instance listens again.
  it('listens again after its listening connection is killed', async () => {
    const client = await stream(second.url);
    const before = raised(await client.next((e) => e.event === 'progress', 1_000));
    const killed = await queryRows<{ ok: boolean }>(
      h.testDb.database.db,
      sql`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`,
    );
    expect(killed.length).toBe(2); // one per instance
    await waitFor(async () => (await listeners()) === 2, 5_000);
    const postedAt = await giveAndPost('700');
    const got = await client.next((e) => raised(e) === before + 700n, 2_000);
    expect(got.atMs - postedAt).toBeLessThan(1_000);
  });

  // The database away for a while: the instance keeps trying to listen, and once it is back it
  // re-reads what it streams, so a gift posted while it could not hear shows.
  it('keeps trying to listen while the database is away and catches up when it is back', async () => {
    const target = new URL(h.testDb.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(h.testDb.url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const database = await openDatabase({ databaseUrl: proxied.toString(), poolMax: 2 });
    const app = await buildApp({ config: testConfig({ DATABASE_URL: proxied.toString() }), database });
    try {
      const client = await stream(await app.listen({ port: 0, host: '127.0.0.1' }));
      const before = raised(await client.next((e) => e.event === 'progress', 1_000));
      proxy.cut();
      await giveAndPost('300');
      await new Promise((r) => setTimeout(r, 1_500));
      expect(client.events.length).toBe(1);
      proxy.restore();
      await client.next((e) => raised(e) === before + 300n, 5_000);
    } finally {
      await app.close();
      await database.close();
      await proxy.close();
    }
  });

  // An appeal that closes while pages are open (here its deadline passing) tells every stream, on
  // every instance, as its last event: the pages stop offering a form that can take no gift.
  it('ends each stream of an appeal that closes with a closed event', async () => {
    const [org] = await h.testDb.database.db.select().from(organizations).limit(1);
    await h.testDb.database.db.insert(appeals).values({ slug: 'ends-soon', organizationId: org!.id, title: 'Ends soon', beneficiary: 'x', currency: 'USD', goalMinor: 100n, status: 'live', publishedAt: new Date(), deadlineAt: new Date(Date.now() + 60_000) });
    const clients = [await stream(baseUrl(h.app), 'ends-soon'), await stream(second.url, 'ends-soon')];
    for (const c of clients) await c.next((e) => e.event === 'progress', 1_000);
    await h.testDb.database.db.update(appeals).set({ deadlineAt: new Date(Date.now() - 1_000) }).where(eq(appeals.slug, 'ends-soon'));
    expect(await closeExpiredAppeals(h.testDb.database.db)).toBe(1);
    for (const c of clients) {
      await c.next((e) => e.event === 'closed', 2_000);
      await c.ended;
      expect(c.events.at(-1)!.event).toBe('closed');
    }
  });

  // Unknown, draft and closed appeals have no stream; the answer is the one JSON error body.
  it('answers 404 in the error body for an unknown, draft or closed appeal', async () => {
    const [org] = await h.testDb.database.db.select().from(organizations).limit(1);
    await h.testDb.database.db.insert(appeals).values([
      { slug: 'not-yet', organizationId: org!.id, title: 'Draft', beneficiary: 'x', currency: 'USD', goalMinor: 100n, status: 'draft' },
      { slug: 'all-done', organizationId: org!.id, title: 'Closed', beneficiary: 'x', currency: 'USD', goalMinor: 100n, status: 'closed', publishedAt: new Date() },
    ]);
    for (const [slug, code] of [['does-not-exist', 'appeal_not_found'], ['not-yet', 'appeal_not_found'], ['all-done', 'appeal_not_live']]) {
      const client = await stream(baseUrl(h.app), slug);
      expect(client.status).toBe(404);
      expect(client.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(client.body)).toMatchObject({ error: { code } });
    }
    const bad = await h.app.inject('/api/appeals/Not_A_Slug/events');
    expect(bad.statusCode).toBe(400);
  });
});

describe('stream limits and shutdown', () => {
  // A limit on everything: past LIVE_STREAMS_MAX an instance refuses with a code and a retry hint.
  it('answers 503 too_many_streams past the limit, and has room again once a stream closes', async () => {
    const app = await buildApp({ config: testConfig({ DATABASE_URL: h.testDb.url, LIVE_STREAMS_MAX: '2' }), database: h.testDb.database });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const one = await stream(url);
      await stream(url);
      const third = await stream(url);
      expect(third.status).toBe(503);
      expect(third.headers['retry-after']).toBe('10');
      expect(JSON.parse(third.body)).toMatchObject({ error: { code: 'too_many_streams' } });
      one.close();
      await waitFor(async () => app.appealLive.hub.openStreams === 1, 2_000);
      expect((await stream(url)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  // One laptop opening thousands of streams took all LIVE_STREAMS_MAX, and every other reader's
  // live progress was refused. A client (an address; for IPv6 its /64, which one subscriber
  // holds whole) has a share of its own; others still get theirs.
  it('answers 429 too_many_client_streams past one client’s share, and others still stream', async () => {
    const app = await buildApp({ config: testConfig({ DATABASE_URL: h.testDb.url, LIVE_STREAMS_PER_CLIENT_MAX: '2', TRUST_PROXY_HOPS: '1' }), database: h.testDb.database });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const from = (ip: string) => stream(url, 'buck-a-brick', { 'x-forwarded-for': ip });
    try {
      const one = await from('203.0.113.5');
      expect((await from('203.0.113.5')).status).toBe(200);
      const third = await from('203.0.113.5');
      expect(third.status).toBe(429);
      expect(third.headers['retry-after']).toBe('10');
      expect(JSON.parse(third.body)).toMatchObject({ error: { code: 'too_many_client_streams' } });
      expect((await from('203.0.113.6')).status).toBe(200);
      // Addresses of one IPv6 /64 are one client.
      expect((await from('2001:db8:1:2::a')).status).toBe(200);
      expect((await from('2001:db8:1:2:ffff::b')).status).toBe(200);
      expect((await from('2001:db8:1:2::c')).status).toBe(429);
      expect((await from('2001:db8:1:3::c')).status).toBe(200);
      one.close();
      await waitFor(async () => app.appealLive.hub.openStreams === 5, 2_000);
      expect((await from('203.0.113.5')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  // Open streams never end by themselves; shutdown must end them instead of waiting on them.
  it('ends open streams when the app closes, promptly', async () => {
    const app = await buildApp({ config: testConfig({ DATABASE_URL: h.testDb.url }), database: h.testDb.database });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const clients = await Promise.all([stream(url), stream(url), stream(url)]);
    await waitFor(async () => (await listeners()) === 3, 2_000);
    const started = performance.now();
    await app.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    await Promise.all(clients.map((c) => c.ended));
    expect(app.appealLive.hub.openStreams).toBe(0);
    // Its listening connection is gone too; the two other instances' remain.
    await waitFor(async () => (await listeners()) === 2, 2_000);
  });
});

async function listeners(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    h.testDb.database.db,
    sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND state = 'idle'`,
  );
  return row!.n;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
