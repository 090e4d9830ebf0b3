import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../db/migrate-postgres';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { holdLock } from '../helpers/row-lock';

// A release's migration altering a busy table queued behind any long transaction for as long as
// that lasted, and every query on the table queued behind the migration: a deploy could stall the
// appeal pages, checkouts and the poster. Migrations now give up on a lock after a timeout, and the
// release fails with the old version still serving.

let testDb: TestDatabase;
let folder: string;

/** A migrations folder holding one migration newer than every shipped one. */
function oneMigration(statement: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sf-migration-'));
  mkdirSync(join(dir, 'meta'));
  const entry = { idx: 0, version: '7', when: Date.now() + 86_400_000, tag: '0000_alter_donations', breakpoints: true };
  writeFileSync(join(dir, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'postgresql', entries: [entry] }));
  writeFileSync(join(dir, '0000_alter_donations.sql'), statement);
  return dir;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  folder = oneMigration('ALTER TABLE "donations" ADD COLUMN "lock_probe" integer;');
});

afterAll(async () => {
  await testDb?.drop();
  rmSync(folder, { recursive: true, force: true });
});

const probeColumns = async () =>
  (await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'donations' AND column_name = 'lock_probe'`))[0]!.n;

describe('a migration waiting on a lock', () => {
  it('gives up after the lock timeout, changing nothing, instead of queueing every query behind it', async () => {
    // A report reading the donations table in a long transaction.
    const reader = await holdLock(testDb.url, 'SELECT count(*) FROM donations', []);
    try {
      const startedMs = Date.now();
      const failed = await migratePostgres(testDb.url, folder, 500).then(
        () => null,
        (err: unknown) => err,
      );
      expect((failed as { cause?: { code?: string } } | null)?.cause?.code ?? (failed as { code?: string } | null)?.code).toBe('55P03');
      expect(Date.now() - startedMs).toBeLessThan(5_000);
    } finally {
      await reader.release();
      await reader.end();
    }
    expect(await probeColumns()).toBe(0);
  });

  it('applies once the table is free', async () => {
    await migratePostgres(testDb.url, folder, 500);
    expect(await probeColumns()).toBe(1);
  });
});
