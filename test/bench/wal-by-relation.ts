import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';

/**
 * What a phase wrote to Postgres's write-ahead log, by relation and record type (pg_walinspect,
 * Postgres 15+, superuser): which tables and indexes a phase's bytes and full-page images went to.
 * Resolves to null when the extension cannot be had here, so a run without it goes on.
 */
export async function startWalByRelation(database: Database): Promise<{ stop(): Promise<Record<string, unknown>[]> } | null> {
  try {
    await database.rows(sql`CREATE EXTENSION IF NOT EXISTS pg_walinspect`);
  } catch {
    return null;
  }
  const [from] = await database.rows<{ lsn: string }>(sql`SELECT pg_current_wal_lsn()::text AS lsn`);
  return {
    async stop() {
      const [to] = await database.rows<{ lsn: string }>(sql`SELECT pg_current_wal_lsn()::text AS lsn`);
      return database.rows<Record<string, unknown>>(
        sql`WITH r AS (SELECT resource_manager, record_type, record_length, fpi_length,
                              substring(block_ref FROM 'rel [0-9]+/[0-9]+/([0-9]+)') AS node
                         FROM pg_get_wal_records_info(${from!.lsn}::pg_lsn, ${to!.lsn}::pg_lsn))
            SELECT coalesce(c.relname, r.node, '-') AS relation, r.resource_manager AS manager, r.record_type AS record,
                   count(*)::int AS records, sum(r.record_length)::bigint::text AS bytes, sum(r.fpi_length)::bigint::text AS "full-page bytes"
              FROM r LEFT JOIN pg_class c ON c.relfilenode::text = r.node
             GROUP BY 1, 2, 3 ORDER BY sum(r.record_length) DESC LIMIT 25`,
      );
    },
  };
}
