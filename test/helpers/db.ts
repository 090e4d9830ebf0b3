import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../db/client';
import { databaseUrl, withAdmin } from './pg-admin';

export interface TestDatabase {
  name: string;
  url: string;
  database: Database;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file, dropped by `drop()`. */
export async function createTestDatabase(opts: { poolMax?: number } = {}): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  const name = `sf_t_${randomBytes(6).toString('hex')}`;
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = databaseUrl(name);
  const database = await openDatabase({ databaseUrl: url, poolMax: opts.poolMax ?? 4 });
  return {
    name,
    url,
    database,
    async drop() {
      await database.close();
      await withAdmin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
