import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';

/**
 * How long a migration waits for a table's lock. A migration altering a busy table (an
 * `ALTER TABLE donations` during a deploy) queues behind any long transaction, and every query on
 * that table then queues behind the migration: pages, checkouts and the poster stall for as long
 * as that lasts. Failing the release instead lets the deploy be run again at a quieter moment,
 * with the old version still serving meanwhile.
 */
const migrationLockTimeoutMs = 10_000;

/**
 * Applies the pending migrations of `folder` on a connection of its own (drizzle runs them all in
 * one transaction), with `lockTimeoutMs` set for every statement of every migration, those to come
 * included, rather than remembered in each file.
 */
export async function migratePostgres(url: string, folder: string, lockTimeoutMs = migrationLockTimeoutMs): Promise<void> {
  const client = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {}, connection: { lock_timeout: lockTimeoutMs } });
  try {
    await migrate(drizzle(client), { migrationsFolder: folder });
  } finally {
    await client.end({ timeout: 5 });
  }
}
