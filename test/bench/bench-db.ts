import postgres from 'postgres';
import { openDatabase, type Database } from '../../db/client';

const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated database for one benchmark run, dropped afterwards. */
export async function withBenchDatabase<T>(poolMax: number, fn: (database: Database, url: string) => Promise<T>): Promise<T> {
  const name = `sf_bench_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolMax });
  try {
    await database.migrate();
    return await fn(database, url.toString());
  } finally {
    await database.close();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
