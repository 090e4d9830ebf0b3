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

  // Demo mode end to end, as a person without JavaScript: the appeal's form, the emulator's
  // checkout page, back to the thank-you page, and the progress moves.
  it('gives to Buck-a-Brick through the emulator checkout page and the progress moves', async () => {
    const appealPage = await (await fetch(`${server.url}/appeals/buck-a-brick`)).text();
    const requestKey = /name="requestKey" value="([^"]+)"/.exec(appealPage)![1]!;
    const form = new URLSearchParams({ requestKey, units: '25', email: 'member@example.org', name: 'Ana' });
    const started = await fetch(`${server.url}/appeals/buck-a-brick?/donate`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'text/html', origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect(started.status).toBe(303);
    const checkoutUrl = started.headers.get('location')!;
    expect(await (await fetch(checkoutUrl)).text()).toContain('$25.00');
    const paid = await fetch(checkoutUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ card_number: '4242 4242 4242 4242', card_expiry: '12 / 34', card_cvc: '123', card_name: 'Ana' }),
    });
    expect(paid.status).toBe(303);
    const thanks = new URL(paid.headers.get('location')!);
    let html = '';
    for (let i = 0; i < 50 && !html.includes('Thank you!'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      html = await (await fetch(`${server.url}${thanks.pathname}${thanks.search}`)).text();
    }
    expect(html).toContain('Thank you!');
    const appeal = await (await fetch(`${server.url}/api/appeals/buck-a-brick`)).json();
    expect(appeal.progress).toMatchObject({ raisedGrossMinor: '2500', unitsFilled: 25, donorCount: 1 });
  });

  // A second process on the same data directory would corrupt PGlite; it must refuse.
  it('refuses a second process on the same data directory', async () => {
    await expect(spawnServer({ DATABASE_URL: '', DATA_DIR: dataDir }, 15_000)).rejects.toThrow(/in use by process/);
  });
});
