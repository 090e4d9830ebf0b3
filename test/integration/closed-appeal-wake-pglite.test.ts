import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client';
import { appeals } from '../../db/schema/index';
import { seedDemoData } from '../../db/seed';
import { notifyAppealClosed, wakeOnAppealClosed } from '../../server/appeals/closed-appeal-wake';
import { closeAppeal } from '../../server/appeals/manage-service';
import type { PollLoop } from '../../server/poll-loop';

// Embedded mode runs the API and the jobs in one process on PGlite: the close's NOTIFY wakes the
// closed-appeal jobs there too (Database.listen's in-process branch), once the close commits, and
// not for a close that rolled back.
let dataDir: string;
let database: Database;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sf-wake-pglite-'));
  database = await openDatabase({ dataDir });
  await database.migrate();
  await seedDemoData(database.db);
}, 60_000);

afterAll(async () => {
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

it('wakes the jobs when an appeal closes on PGlite, after the commit only', async () => {
  let wakes = 0;
  const loop: PollLoop = { wake: () => void wakes++, stop: async () => {} };
  const jobs = wakeOnAppealClosed(database, pino({ level: 'silent' }), [loop]);
  try {
    await settle();
    // Each listen's start wakes them once: a close missed while not listening is found then.
    expect(wakes).toBe(1);
    const [appeal] = await database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));

    const rolledBack = database.db.transaction(async (tx) => {
      await tx.update(appeals).set({ status: 'closed' }).where(eq(appeals.id, appeal!.id));
      await notifyAppealClosed(tx, appeal!.id);
      throw new Error('rolled back');
    });
    await expect(rolledBack).rejects.toThrow('rolled back');
    await settle();
    expect(wakes).toBe(1);

    await closeAppeal(database.db, { appeal: appeal!, by: null });
    await settle();
    expect(wakes).toBe(2);
  } finally {
    await jobs.stop();
  }
});
