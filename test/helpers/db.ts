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

/**
 * A fresh database of its own for one test file, dropped by `drop()`: migrated (copied from the
 * run's template) unless `migrated: false` asks for a bare one.
 */
export async function createTestDatabase(opts: { poolMax?: number; migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `sf_t_${randomBytes(6).toString('hex')}`;
  const template = opts.migrated === false ? '' : ` TEMPLATE ${inject('templateDatabase')}`;
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${name}${template}`));
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
