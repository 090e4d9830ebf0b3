import type { Db } from '../../db/client';

/** Runs one fixed SQL text with positional parameters and answers its rows. */
export type PreparedQuery = <T extends Record<string, unknown>>(text: string, params: unknown[]) => Promise<T[]>;

interface PostgresJsClient {
  unsafe(text: string, params: unknown[], opts: { prepare: boolean }): Promise<Record<string, unknown>[]>;
}
interface PgliteClient {
  query(text: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * A statement prepared once per connection, for the hot paths (webhook intake). drizzle runs every
 * query unprepared, and postgres.js sends an unprepared query that has parameters in two round
 * trips (Parse/Describe, then Bind/Execute), parsing and planning it each time; a prepared one is
 * one round trip after its first use on a connection. PGlite has no round trips to save: its own
 * `query` is used as it is. Reaches the driver through drizzle's `$client`.
 */
export function preparedQuery(db: Db): PreparedQuery {
  const client = (db as unknown as { $client: unknown }).$client;
  if (typeof (client as PostgresJsClient | undefined)?.unsafe === 'function') {
    const pg = client as PostgresJsClient;
    return async <T,>(text: string, params: unknown[]) => (await pg.unsafe(text, params, { prepare: true })) as unknown as T[];
  }
  if (typeof (client as PgliteClient | undefined)?.query === 'function') {
    const lite = client as PgliteClient;
    return async <T,>(text: string, params: unknown[]) => (await lite.query(text, params)).rows as unknown as T[];
  }
  throw new Error('preparedQuery: unknown database driver');
}
