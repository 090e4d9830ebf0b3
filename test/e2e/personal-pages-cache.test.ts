import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { sessionCookiesOverHttp } from '../helpers/http-sign-in';
import { spawnDemoServer, type SpawnedServer } from '../helpers/spawn-server';

// A page rendered for a signed-in person holds their name and address (the header names them),
// and their gifts, drives or books: no cache may keep it. Without a Cache-Control of its own, a
// browser's cache kept /account, and the Back button of a shared computer showed it again after
// sign-out. Over HTTP against the built product, as a browser asks.

let db: TestDatabase;
let server: SpawnedServer;
let base = '';

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 2 });
  server = await spawnDemoServer(db.url, { SIGN_IN_RATE_LIMIT_PER_MINUTE: '100' });
  base = server.url;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

const page = (path: string, cookie?: string) => fetch(`${base}${path}`, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });

describe('the cache and personal pages', () => {
  it('marks every page read with a session private and not to be stored, and leaves the public ones as they were', async () => {
    const email = 'shared.computer@example.org';
    const cookie = (await sessionCookiesOverHttp(base, db.database, email)).join('; ');
    for (const path of ['/account', '/manage', '/treasury', '/']) {
      const res = await page(path, cookie);
      const html = await res.text();
      expect({ path, status: res.status, named: html.includes(email), cacheControl: res.headers.get('cache-control') }).toEqual({ path, status: 200, named: true, cacheControl: 'private, no-store' });
    }
    // Signed out, the home page names no one: a cache may keep it as before.
    const signedOut = await page('/');
    expect(signedOut.status).toBe(200);
    expect(signedOut.headers.get('cache-control')).toBeNull();
  });
});
