import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client';
import { appeals } from '../../db/schema/index';
import { seedDemoData } from '../../db/seed';
import { buildApp } from '../../server/app';
import { ProgressBatch } from '../../server/payments/progress';
import { testConfig } from '../helpers/config';
import { openSse } from '../helpers/sse';

// Embedded mode has no second process to notify it, but the poster's NOTIFY still has to reach the
// open pages: Database.listen's PGlite branch, with the poster's own progress writer.
let dataDir: string;
let database: Database;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sf-live-pglite-'));
  database = await openDatabase({ dataDir });
  await database.migrate();
  await seedDemoData(database.db);
  app = await buildApp({ config: testConfig({ DATA_DIR: dataDir }), database });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('streams a progress change committed on PGlite within 1 s', async () => {
  expect(database.driver).toBe('pglite');
  const client = await openSse(`${url}/api/appeals/buck-a-brick/events`);
  try {
    expect(client.status).toBe(200);
    const first = JSON.parse((await client.next((e) => e.event === 'progress', 1_000)).data);
    const [appeal] = await database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    // What the poster does in its batch transaction: the summary row and the NOTIFY, committed together.
    await database.db.transaction(async (tx) => {
      const batch = new ProgressBatch();
      batch.add({ appealId: appeal!.id, grossMinor: 1200n, netMinor: 1100n, gifts: 1, donorEmail: 'member@example.org' });
      await batch.flush(tx);
    });
    const committedAt = performance.now();
    const expected = String(BigInt(first.raisedGrossMinor) + 1200n);
    const got = await client.next((e) => JSON.parse(e.data).raisedGrossMinor === expected, 1_000);
    expect(got.atMs - committedAt).toBeLessThan(1_000);
    expect((await app.inject('/api/appeals/buck-a-brick')).json().progress).toEqual(JSON.parse(got.data));
  } finally {
    client.close();
  }
});
