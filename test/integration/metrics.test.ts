import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../../db/client';
import { buildApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import { startMetricsServer } from '../../server/metrics/server';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { startTcpProxy } from '../helpers/tcp-proxy';

let testDb: TestDatabase;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await testDb?.drop();
});

/** The value of each unlabelled sample of a Prometheus text exposition, by name. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_:][a-z0-9_:]*) (\S+)$/i.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return samples(await res.text());
}

const event = (id: string, status: string, receivedSecondsAgo: number) =>
  sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload, status, received_at)
      VALUES (${id}, 'checkout.session.completed', now() - make_interval(secs => ${receivedSecondsAgo}), '{}', ${status}::stripe_event_status, now() - make_interval(secs => ${receivedSecondsAgo}))`;

describe('metrics', () => {
  // What an operator watches: a poster behind intake (backlog and its age), events for a
  // treasurer (parked), mail that does not leave (unsent), on a port the internet does not reach.
  it('reports the webhook inbox and the mail outbox, on its own port only', async () => {
    const db = testDb.database.db;
    await db.execute(event('evt_metrics_old', 'pending', 120));
    await db.execute(event('evt_metrics_new', 'pending', 5));
    await db.execute(event('evt_metrics_parked', 'parked', 600));
    await db.execute(event('evt_metrics_done', 'processed', 900));
    // A refund that came before its gift, in back-off for an hour: waiting, not backlog.
    await db.execute(event('evt_metrics_backoff', 'pending', 3_600));
    await db.execute(sql`UPDATE stripe_events SET next_attempt_at = now() + interval '1 hour' WHERE id = 'evt_metrics_backoff'`);
    await db.execute(sql`INSERT INTO outbox_emails (dedupe_key, to_address, kind, subject, text_body, created_at)
                         VALUES ('metrics-1', 'member@example.org', 'receipt', 'Receipt', 'Thank you', now() - interval '30 seconds')`);
    const metrics = await startMetricsServer({ database: testDb.database, host: '127.0.0.1', port: 0, log });
    try {
      const s = await scrape(metrics.url);
      expect(s.get('solidarity_fund_database_up')).toBe(1);
      expect(s.get('solidarity_fund_stripe_events_pending')).toBe(3);
      expect(s.get('solidarity_fund_stripe_events_waiting')).toBe(1);
      expect(s.get('solidarity_fund_stripe_events_oldest_due_seconds')).toBeGreaterThanOrEqual(120);
      expect(s.get('solidarity_fund_stripe_events_oldest_due_seconds')).toBeLessThan(600);
      expect(s.get('solidarity_fund_stripe_events_parked')).toBe(1);
      expect(s.get('solidarity_fund_mail_unsent')).toBe(1);
      expect(s.get('solidarity_fund_mail_oldest_unsent_seconds')).toBeGreaterThanOrEqual(30);
      // The process's own figures come along (event loop, memory, CPU).
      expect(s.get('solidarity_fund_process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect((await fetch(`${metrics.url}/`)).status).toBe(404);
      // Drained, the backlog's age is 0, not the age of an event long posted.
      await db.execute(sql`UPDATE stripe_events SET status = 'processed' WHERE status = 'pending'`);
      const drained = await scrape(metrics.url);
      expect([drained.get('solidarity_fund_stripe_events_pending'), drained.get('solidarity_fund_stripe_events_oldest_due_seconds')]).toEqual([0, 0]);
    } finally {
      await metrics.close();
    }
    // The app's own port has no metrics.
    const app = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
    try {
      expect((await app.inject('/metrics')).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  // A database that does not answer is said so, not hidden behind the last figures read.
  it('says the database is down, and the queue figures unknown, while it does not answer', async () => {
    const target = new URL(testDb.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(testDb.url);
    viaProxy.port = String(proxy.port);
    const database = await openDatabase({ databaseUrl: viaProxy.toString(), poolMax: 1 });
    const metrics = await startMetricsServer({ database, host: '127.0.0.1', port: 0, log });
    try {
      expect((await scrape(metrics.url)).get('solidarity_fund_database_up')).toBe(1);
      proxy.cut();
      const down = await scrape(metrics.url);
      expect(down.get('solidarity_fund_database_up')).toBe(0);
      expect(down.get('solidarity_fund_stripe_events_pending')).toBeNaN();
      proxy.restore();
      expect((await scrape(metrics.url)).get('solidarity_fund_database_up')).toBe(1);
    } finally {
      await metrics.close();
      await database.close().catch(() => {});
      await proxy.close();
    }
  });

  it('is off unless METRICS_PORT is set, and never on the app\'s own port', () => {
    expect(loadConfig({}).METRICS_PORT).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '9091' }).METRICS_PORT).toBe(9091);
    expect(() => loadConfig({ METRICS_PORT: '3000', PORT: '3000' })).toThrow(/METRICS_PORT/);
  });
});
