import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { runAloneInProcess, runAloneOnPostgres, type RunAlone } from './run-alone';
import { DatabaseUnavailable } from './unavailable';
import * as schema from './schema/index';

export type Schema = typeof schema;
/** Either driver's database; queries take this (or a transaction) so they run on both. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type DbOrTx = Db | Tx;

/** Rows of a raw SQL query on either driver (postgres.js answers an array, PGlite `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(on: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await on.execute(query)) as unknown;
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** Rows of a raw SQL query, the same shape on both drivers. */
  rows<T extends Record<string, unknown>>(query: SQL, on?: DbOrTx): Promise<T[]>;
  migrate(): Promise<void>;
  /** Number of migrations applied and number shipped: equal when the schema is current. */
  migrationState(): Promise<{ applied: number; shipped: number }>;
  /**
   * LISTEN on `channel`: `onPayload` gets each NOTIFY's payload, `onListen` runs every time the
   * listen (re)starts, so a caller can catch up on what it may have missed while it was down.
   * Postgres: one connection of its own per call, re-listening after a lost connection; PGlite: in
   * process. Call it once per channel per process and fan out yourself.
   */
  listen(channel: string, onPayload: (payload: string) => void, onListen?: () => void): Promise<Listener>;
  /**
   * Runs work that one process at a time should do (a job's round that calls Stripe), unless a
   * run of the same name is under way here or in any other process on the database.
   */
  runAlone: RunAlone;
  close(): Promise<void>;
}

export interface Listener {
  close(): Promise<void>;
}

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

export function shippedMigrationCount(): number {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir?: string;
  poolMax?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.poolMax ?? 10) : openPglite(opts.dataDir ?? './.data');
}

async function openPostgres(url: string, poolMax: number): Promise<Database> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const { migratePostgres } = await import('./migrate-postgres');
  // connect_timeout bounds how long /readyz and start-up wait for an unreachable server.
  const client = postgres(url, { max: poolMax, connect_timeout: 5, idle_timeout: 30, onnotice: () => {} });
  const db = drizzle(client, { schema }) as unknown as Db;
  const rows = <T extends Record<string, unknown>>(query: SQL, on: DbOrTx = db) => queryRows<T>(on, query);
  const listeners = new Set<Listener>();
  // Its own connection, never idle-closed: it holds the advisory locks for as long as a run lasts.
  const alone = runAloneOnPostgres(() => postgres(url, { max: 1, idle_timeout: 0, max_lifetime: 0, connect_timeout: 5, fetch_types: false, onnotice: () => {} }));
  return {
    db,
    driver: 'postgres',
    rows,
    migrate: () => migratePostgres(url, migrationsFolder),
    migrationState: () => migrationState(rows),
    listen: async (channel, onPayload, onListen) => {
      const listener = await listenPostgres(url, channel, onPayload, onListen);
      listeners.add(listener);
      return { close: () => (listeners.delete(listener), listener.close()) };
    },
    runAlone: alone.runAlone,
    close: async () => {
      await Promise.all([...listeners].map((l) => l.close()));
      await alone.close();
      await client.end({ timeout: 5 });
    },
  };
}

const relistenDelayMs = { first: 250, max: 10_000 };

/**
 * A connection of its own that LISTENs, and LISTENs again whenever it is lost (postgres.js would
 * re-listen once and give up silently if the server is still away). Resolves after the first
 * LISTEN, or, if the server is not reachable yet, once it keeps trying in the background.
 */
async function listenPostgres(url: string, channel: string, onPayload: (payload: string) => void, onListen?: () => void): Promise<Listener> {
  const { default: postgres } = await import('postgres');
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let delayMs = relistenDelayMs.first;
  const options = {
    max: 1,
    idle_timeout: 0,
    max_lifetime: 0,
    fetch_types: false,
    connect_timeout: 5,
    onnotice: () => {},
    // Undeclared in postgres.js's types but what its own listen() uses: every NOTIFY on the connection.
    onnotify: (c: string, payload: string) => c === channel && onPayload(payload),
    // A listening connection was lost. (While the server is away, postgres.js retries the connect
    // itself until connect_timeout; then the LISTEN fails and the back-off below takes over.)
    onclose: () => schedule(delayMs),
  };
  const conn = postgres(url, options as Parameters<typeof postgres>[1]);
  const attempt = async (): Promise<boolean> => {
    timer = undefined;
    if (closed) return false;
    try {
      await conn.unsafe(`LISTEN "${channel.replace(/"/g, '""')}"`);
      delayMs = relistenDelayMs.first;
      onListen?.();
      return true;
    } catch {
      schedule(delayMs);
      delayMs = Math.min(delayMs * 2, relistenDelayMs.max);
      return false;
    }
  };
  const schedule = (ms: number) => {
    if (!closed && !timer) timer = setTimeout(() => void attempt(), ms);
  };
  await attempt();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await conn.end({ timeout: 1 });
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const releaseLock = lockDirectory(dir);
  const pgDir = join(dir, 'pglite');
  const { findPgliteTemplate } = await import('./pglite-template');
  const template = existsSync(pgDir) ? undefined : findPgliteTemplate();
  const client = await PGlite.create(template ? { dataDir: pgDir, loadDataDir: new Blob([new Uint8Array(template)]) } : { dataDir: pgDir });
  const db = drizzle(client, { schema }) as unknown as Db;
  const rows = <T extends Record<string, unknown>>(query: SQL, on: DbOrTx = db) => queryRows<T>(on, query);
  return {
    db,
    driver: 'pglite',
    rows,
    migrate: () => migrate(db as never, { migrationsFolder }),
    migrationState: () => migrationState(rows),
    // In process: nothing to lose, so it listens once; notifications arrive after each commit.
    listen: async (channel, onPayload, onListen) => {
      const unlisten = await client.listen(channel, onPayload);
      onListen?.();
      return { close: () => (client.closed ? Promise.resolve() : unlisten()) };
    },
    runAlone: runAloneInProcess(),
    close: async () => {
      await client.close();
      releaseLock();
    },
  };
}

async function migrationState(rows: Database['rows']) {
  const { sql } = await import('drizzle-orm');
  const shipped = shippedMigrationCount();
  const exists = await rows<{ present: boolean }>(
    sql`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`,
  );
  if (!exists[0]?.present) return { applied: 0, shipped };
  const applied = await rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
  return { applied: Number(applied[0]?.n ?? 0), shipped };
}

// PGlite does not stop two processes from opening one directory, which would corrupt it.
function lockDirectory(dir: string): () => void {
  const lockPath = join(dir, 'pglite.lock');
  try {
    writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(lockPath, 'utf8'));
    if (holder && holder !== process.pid && processIsAlive(holder)) {
      throw new DatabaseUnavailable(`DATA_DIR: ${dir} is in use by process ${holder}; stop it first or set DATA_DIR to another folder`);
    }
    writeFileSync(lockPath, String(process.pid));
  }
  return () => rmSync(lockPath, { force: true });
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
