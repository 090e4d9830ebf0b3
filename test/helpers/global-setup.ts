import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../db/client';
import { databaseUrl, withAdmin } from './pg-admin';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

// One migrated template per run; each test file copies it (CREATE DATABASE … TEMPLATE), which is
// far faster than migrating a fresh database per file and leaves no state between runs.
export default async function setup(project: TestProject) {
  const template = `sf_tpl_${process.pid}_${Date.now().toString(36)}`;
  await withAdmin((sql) => sql.unsafe(`CREATE DATABASE ${template}`));
  const database = await openDatabase({ databaseUrl: databaseUrl(template), poolMax: 1 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  project.provide('templateDatabase', template);
  return async () => {
    await withAdmin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`));
  };
}
