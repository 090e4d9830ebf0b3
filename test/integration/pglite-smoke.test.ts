import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server';

// The embedded mode a new user meets: no DATABASE_URL, so PGlite on disk, demo data, one process.
describe('embedded mode on PGlite (smoke)', () => {
  let dataDir: string;
  let server: SpawnedServer & { readyMs: number };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sf-pglite-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'DATABASE_URL')) as Record<string, string>;
    server = await spawnServer({ ...env, DATABASE_URL: '', DATA_DIR: dataDir });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // The README promises the home page with the demo appeal within 10 s of starting.
  it('serves the home page with the demo Buck-a-Brick appeal within 10 s', async () => {
    process.stdout.write(`embedded server ready in ${server.readyMs} ms\n`);
    expect(server.readyMs).toBeLessThan(10_000);
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Buck-a-Brick');
    expect(html).toContain('demo data');
    expect(html).toMatch(/\$0\.00[\s\S]*\$1,300\.00/);
  });

  it('is ready: migrated on PGlite', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
  });

  // A second process on the same data directory would corrupt PGlite; it must refuse.
  it('refuses a second process on the same data directory', async () => {
    await expect(spawnServer({ DATABASE_URL: '', DATA_DIR: dataDir }, 15_000)).rejects.toThrow(/in use by process/);
  });
});
