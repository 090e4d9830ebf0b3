import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app';
import { openDatabase } from '../../db/client';
import { seedDemoData } from '../../db/seed';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { startTcpProxy } from '../helpers/tcp-proxy';

let testDb: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  testDb = await createTestDatabase();
  await seedDemoData(testDb.database.db);
  app = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

describe('health', () => {
  // Fly's health check and load balancer rely on these two answers.
  it('answers liveness and readiness', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
  });

  // A replica whose database is gone must leave the load balancer, not serve errors.
  it('readyz is 503 while the database is unreachable, and 200 again after', async () => {
    const target = new URL(testDb.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(testDb.url);
    viaProxy.port = String(proxy.port);
    const database = await openDatabase({ databaseUrl: viaProxy.toString(), poolMax: 1 });
    const cut = await buildApp({ config: testConfig({ DATABASE_URL: viaProxy.toString() }), database });
    try {
      expect((await cut.inject('/readyz')).statusCode).toBe(200);
      proxy.cut();
      const down = await cut.inject('/readyz');
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unavailable' });
      expect((await cut.inject('/healthz')).statusCode).toBe(200);
      proxy.restore();
      expect((await cut.inject('/readyz')).statusCode).toBe(200);
    } finally {
      await cut.close();
      await database.close().catch(() => {});
      await proxy.close();
    }
  });

  // A database that is reachable but behind on migrations is not ready either.
  it('readyz is 503 when migrations are missing', async () => {
    const bare = await createTestDatabase({ migrated: false, poolMax: 1 });
    const blank = await buildApp({ config: testConfig({ DATABASE_URL: bare.url }), database: bare.database });
    try {
      const res = await blank.inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json().reason).toMatch(/migrations 0\/\d/);
    } finally {
      await blank.close();
      await bare.drop();
    }
  });
});

describe('errors', () => {
  // Every failure has the same machine-readable body, so clients need one error path.
  it('unknown /api path is a 404 in the one error body', async () => {
    const res = await app.inject('/api/no-such-thing');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No route GET /api/no-such-thing.' } });
  });

  it('a path that is not valid percent-encoded UTF-8 is a 400 in the one error body', async () => {
    for (const url of ['/api/appeals/%FF', '/api/appeals/%ED%A0%80/wall']) {
      const res = await app.inject(url);
      expect({ url, status: res.statusCode, body: res.json() }).toEqual({ url, status: 400, body: { error: { code: 'bad_url', message: 'The request’s address is not valid.' } } });
    }
  });

  it('malformed JSON is a 400 in the one error body', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/appeals', headers: { 'content-type': 'application/json' }, payload: '{"amount": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('malformed_json');
  });

  it('an invalid query is a 400 with details, not a 500', async () => {
    const res = await app.inject('/api/appeals?limit=5000');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed' });
    expect(res.json().error.details).toBeInstanceOf(Array);
  });

  it('a forged cursor is a 400', async () => {
    const res = await app.inject('/api/appeals?cursor=bm9wZQ');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_cursor');
  });

  // Postgres reads the cursor's id as a uuid and its time as a timestamptz: a value either refuses
  // (not a uuid's shape; a year a JS Date holds but Postgres does not) is a forged cursor too.
  it('a cursor whose id or time Postgres could not read is a 400, not a 500', async () => {
    const [appeal] = (await app.inject('/api/appeals?limit=1')).json().appeals;
    for (const text of [
      `2020-01-01T00:00:00Z|${'-'.repeat(36)}`,
      '2020-01-01T00:00:00Z|0b7c2d5e7a434c1e9f0a3d2b1c4e5f60abcd',
      `-271821-04-20T00:00:00Z|${appeal.id}`,
      `+275760-09-13T00:00:00Z|${appeal.id}`,
      `1969-12-31T23:59:59Z|${appeal.id}`,
      `10000-01-01T00:00:00Z|${appeal.id}`,
    ]) {
      const res = await app.inject(`/api/appeals?cursor=${Buffer.from(text).toString('base64url')}`);
      expect([res.statusCode, res.json().error?.code], text).toEqual([400, 'invalid_cursor']);
    }
    const latest = await app.inject(`/api/appeals?cursor=${Buffer.from(`9999-12-31T23:59:59Z|${appeal.id}`).toString('base64url')}`);
    expect(latest.statusCode).toBe(200);
  });
});

describe('appeals', () => {
  // The home page lists live appeals from this route; the demo must show Buck-a-Brick.
  it('lists the live demo appeals with exact money as strings', async () => {
    const res = await app.inject('/api/appeals');
    expect(res.statusCode).toBe(200);
    const brick = res.json().appeals.find((a: { slug: string }) => a.slug === 'buck-a-brick');
    expect(brick).toMatchObject({ currency: 'USD', goalMinor: '130000', unit: { name: 'brick', priceMinor: '100' }, isDemo: true });
    const yen = res.json().appeals.find((a: { currency: string }) => a.currency === 'JPY');
    expect(yen.goalMinor).toBe('3000000');
  });

  // Keyset pagination must visit every appeal once.
  it('pages with a cursor', async () => {
    const first = (await app.inject('/api/appeals?limit=1')).json();
    expect(first.appeals).toHaveLength(1);
    expect(first.nextCursor).toBeTruthy();
    const second = (await app.inject(`/api/appeals?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.appeals).toHaveLength(1);
    expect(second.appeals[0].slug).not.toBe(first.appeals[0].slug);
    expect(second.nextCursor).toBeNull();
  });

  it('one appeal by slug; unknown slug 404', async () => {
    expect((await app.inject('/api/appeals/buck-a-brick')).json().storyMarkdown).toContain('brick');
    const missing = await app.inject('/api/appeals/does-not-exist');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('appeal_not_found');
  });
});

describe('platform', () => {
  // The API is documented for the outside world from the same schemas that validate it.
  it('serves an OpenAPI document with the appeal routes', async () => {
    const res = await app.inject('/api/docs/json');
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().paths)).toContain('/api/appeals/{slug}');
  });

  it('sets security headers and a request id', async () => {
    const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toBe('abc-123');
  });

  // Secrets and personal data never reach the logs.
  it('redacts authorization, cookies and Stripe signatures from logs', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const logged = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: 'info' }), database: testDb.database, logStream: stream });
    try {
      await logged.inject({ url: '/api/appeals?token=secret-token', headers: { authorization: 'Bearer sk_live_zzz', cookie: 'session=abc' } });
      logged.log.info({ email: 'member@example.org', STRIPE_SECRET_KEY: 'sk_live_zzz' }, 'probe');
    } finally {
      await logged.close();
    }
    const all = lines.join('');
    expect(all).toContain('/api/appeals');
    expect(all).toContain('probe');
    for (const secret of ['sk_live_zzz', 'session=abc', 'secret-token', 'member@example.org']) expect(all).not.toContain(secret);
  });
});
