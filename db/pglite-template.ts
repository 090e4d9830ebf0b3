import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrationsFolder } from './client';

// A first start on an empty directory spends seconds in PGlite's initdb. The build makes a migrated,
// empty data directory once and keeps it as a tarball (a build artifact, keyed by the migrations),
// so a new user's first start only unpacks it.
const cacheDir = fileURLToPath(new URL('../node_modules/.cache/solidarity-fund', import.meta.url));

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(migrationsFolder).filter((n) => n.endsWith('.sql')).sort()) {
    hash.update(name).update(readFileSync(join(migrationsFolder, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

export function pgliteTemplatePath(): string {
  return join(cacheDir, `pglite-${migrationsHash()}.tar.gz`);
}

/** The template for the current migrations, if the build made one. */
export function findPgliteTemplate(): Buffer | undefined {
  const path = pgliteTemplatePath();
  return existsSync(path) ? readFileSync(path) : undefined;
}

export async function buildPgliteTemplate(): Promise<string> {
  const path = pgliteTemplatePath();
  if (existsSync(path)) return path;
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const work = join(cacheDir, `pglite-build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  const pg = await PGlite.create(work);
  try {
    await migrate(drizzle(pg) as never, { migrationsFolder });
    const dump = await pg.dumpDataDir('gzip');
    writeFileSync(`${path}.tmp`, Buffer.from(await dump.arrayBuffer()));
    renameSync(`${path}.tmp`, path);
    // Templates of older migrations are never used again.
    for (const old of readdirSync(cacheDir).filter((n) => /^pglite-[0-9a-f]{16}\.tar\.gz$/.test(n) && join(cacheDir, n) !== path)) {
      rmSync(join(cacheDir, old), { force: true });
    }
  } finally {
    await pg.close();
    rmSync(work, { recursive: true, force: true });
  }
  return path;
}

// `npm run build` runs this after the web build.
if (import.meta.url === `file://${process.argv[1]}`) {
  const path = await buildPgliteTemplate();
  process.stdout.write(`PGlite template ready: ${path}\n`);
}
