import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { DatabaseUnavailable } from './unavailable';

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
  } catch (err) {
    const reason = unreachableReason(err);
    throw reason ? new DatabaseUnavailable(`DATABASE_URL: cannot use the database: ${reason}`, { cause: err }) : err;
  } finally {
    await client.end({ timeout: 5 });
  }
}


// Node's network errors, postgres.js's own, and the SQLSTATE classes of a connection refused by the
// server: 08 (connection exception), 28 (invalid authorization), 3D (no such database).
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

/** The reason a failed migration never reached the database (drizzle wraps it as its cause), if that is why it failed. */
function unreachableReason(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (unreachableCodes.has(code) || /^(08|28|3D)[0-9A-Z]{3}$/.test(code))) return e.message;
  }
  return undefined;
}
