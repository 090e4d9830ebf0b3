import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { freePort, spawnServer, type SpawnedServer } from '../helpers/spawn-server';
import { chromiumPath, signInWithMail } from './harness';

// The demo with no PUBLIC_URL answers at localhost and at 127.0.0.1, and a new user may type
// either. The sign-in link opened at localhost (and better-auth sent the browser on to localhost
// after it), where the session cookie set at 127.0.0.1 is not sent: signed in nowhere they looked.

let db: TestDatabase;
let server: SpawnedServer;
let browser: Browser;
let port: number;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 2 });
  port = await freePort();
  // No PUBLIC_URL: the embedded demo's two local names.
  server = await spawnServer({ DATABASE_URL: db.url, SEED_DEMO: 'true', DEV_MAIL: 'true', NODE_ENV: 'test', PORT: String(port), SIGN_IN_RATE_LIMIT_PER_MINUTE: '100' }, 60_000);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await server?.stop();
  await db?.drop();
});

describe.each(['127.0.0.1', 'localhost'])('signing in to the demo at http://%s', (host) => {
  it('opens the mailed link at that name and ends signed in there', async () => {
    const base = `http://${host}:${port}`;
    const context = await browser.newContext({ locale: 'en', extraHTTPHeaders: { 'accept-language': 'en' } });
    try {
      const page = await context.newPage();
      await signInWithMail(page, base, 'organizer@ue222.demo', '/manage');
      expect(new URL(page.url()).origin).toBe(base);
      expect(await page.getByTestId('signed-in-as').textContent()).toContain('Local 222 organizer');
    } finally {
      await context.close();
    }
  }, 90_000);
});
