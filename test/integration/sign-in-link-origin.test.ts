import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { linkFromMail } from '../helpers/sign-in';

// The embedded demo (no PUBLIC_URL) answers at localhost and at 127.0.0.1; a session cookie belongs
// to one of the two names, so a sign-in link and the redirect after it keep the name the person
// used. With PUBLIC_URL set, that is the one origin: no request moves a link or a redirect off it.

let testDb: TestDatabase;
let demo: FastifyInstance;
let production: FastifyInstance;

beforeAll(async () => {
  testDb = await createTestDatabase();
  demo = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url, PORT: '3000' }), database: testDb.database });
  production = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url, PORT: '3000', PUBLIC_URL: 'https://give.example.org' }), database: testDb.database });
});

afterAll(async () => {
  await demo?.close();
  await production?.close();
  await testDb?.drop();
});

async function askAndFollow(app: FastifyInstance, email: string, origin: string | undefined, host: string) {
  const asked = await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers: origin ? { origin } : {}, payload: { email, callbackURL: '/account' } });
  expect(asked.statusCode, asked.body).toBe(200);
  const link = await linkFromMail(app, email, 'sign_in');
  const followed = await app.inject({ url: `/api/auth/magic-link/verify${link.search}`, headers: { host, 'sec-fetch-site': 'same-origin' } });
  expect(followed.statusCode).toBe(302);
  return { link: link.origin, redirect: new URL(String(followed.headers.location)).origin };
}

describe('where a sign-in link opens', () => {
  it.each(['http://127.0.0.1:3000', 'http://localhost:3000'])('in the demo, at %s when asked from there, and it comes back there', async (origin) => {
    const host = new URL(origin).host;
    expect(await askAndFollow(demo, `demo-${host.split(':')[0]}@example.org`, origin, host)).toEqual({ link: origin, redirect: origin });
  });

  it('in the demo, asked without an Origin (a script), at its usual address', async () => {
    expect((await askAndFollow(demo, 'no-origin@example.org', undefined, 'localhost:3000')).link).toBe('http://localhost:3000');
  });

  it('in production, at PUBLIC_URL whatever name the request came by', async () => {
    expect(await askAndFollow(production, 'prod@example.org', undefined, '127.0.0.1:3000')).toEqual({ link: 'https://give.example.org', redirect: 'https://give.example.org' });
  });
});

// A page on another site could otherwise make the app mail sign-in links to anyone (the link would
// still open at our address, but the mail is ours and unasked for). A browser always sends Origin
// on a POST; one that is not ours is refused before anything is mailed. A client that sends no
// Origin (a script, not a browser acting for someone) is answered as before.
describe('a sign-in link asked for from a page that is not ours', () => {
  async function mailsTo(email: string): Promise<number> {
    const rows = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM outbox_emails WHERE to_address = ${email}`);
    return rows[0]!.n;
  }

  it.each([
    ['production', 'https://elsewhere.example'],
    ['production', 'http://127.0.0.1:3000'],
    ['demo', 'https://elsewhere.example'],
    ['demo', 'http://localhost:4000'],
  ])('in the %s, from %s, is refused and nothing is mailed', async (which, origin) => {
    const app = which === 'demo' ? demo : production;
    const email = `foreign-${which}-${new URL(origin).host.replace(/[^a-z0-9]/g, '-')}@example.org`;
    const asked = await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers: { origin }, payload: { email, callbackURL: '/account' } });
    expect({ status: asked.statusCode, body: asked.json() }).toEqual({ status: 403, body: { error: { code: 'auth.invalid_origin', message: expect.any(String) } } });
    expect(await mailsTo(email)).toBe(0);
  });

  it('from our own page, or with no Origin at all, is mailed', async () => {
    for (const origin of ['https://give.example.org', undefined]) {
      const email = `own-${origin ? 'page' : 'script'}@example.org`;
      const asked = await production.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers: origin ? { origin } : {}, payload: { email, callbackURL: '/account' } });
      expect(asked.statusCode, asked.body).toBe(200);
      expect(await mailsTo(email)).toBe(1);
    }
  });
});

// better-auth answers its refusals as `{ message, code }`; every other route of the API as
// `{ error: { code, message } }`. A client (our pages, a union's own integration) reads one shape:
// the sign-in endpoints' refusals are said in ours, with a code of ours, and nothing else changes.
describe('a sign-in endpoint refusing', () => {
  const ask = (app: FastifyInstance, headers: Record<string, string>, payload: Record<string, unknown>, remoteAddress = '127.0.0.1') =>
    app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers, payload, remoteAddress });
  const refusal = (res: { statusCode: number; json: () => unknown }) => ({ status: res.statusCode, body: res.json() });
  const ours = (status: number, code: string) => ({ status, body: { error: { code, message: expect.any(String) } } });

  it('without an Origin from a browser holding a cookie says so in our error shape', async () => {
    const res = await ask(production, { cookie: 'sf_lang=de' }, { email: 'no-origin-cookie@example.org', callbackURL: '/account' });
    expect(refusal(res)).toEqual(ours(403, 'auth.missing_origin'));
  });

  it('a callback on another site says so in our error shape', async () => {
    const res = await ask(production, {}, { email: 'elsewhere-callback@example.org', callbackURL: 'https://elsewhere.example/account' });
    expect(refusal(res)).toEqual(ours(403, 'auth.invalid_callback_url'));
  });

  it('an address that is not one is a validation failure, as on our other routes', async () => {
    const res = await ask(production, {}, { email: 'not-an-address', callbackURL: '/account' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'validation_failed', message: 'The request is not valid.', details: [{ path: '/email', message: 'Invalid email address' }] } });
    expect(res.json()).not.toHaveProperty('code');
  });

  it('a form post (not JSON) is an unsupported media type', async () => {
    const res = await production.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers: { 'content-type': 'text/plain' }, payload: 'email=x@example.org' });
    expect(refusal(res)).toEqual(ours(415, 'unsupported_media_type'));
  });

  it('following a link with no token, or to another site, says so in our error shape', async () => {
    const noToken = await production.inject({ url: '/api/auth/magic-link/verify?callbackURL=/account', headers: { 'sec-fetch-site': 'same-origin' } });
    expect(refusal(noToken)).toMatchObject(ours(400, 'validation_failed'));
    const elsewhere = await production.inject({ url: '/api/auth/magic-link/verify?token=abc&callbackURL=https://elsewhere.example/', headers: { 'sec-fetch-site': 'same-origin' } });
    expect(refusal(elsewhere)).toEqual(ours(403, 'auth.invalid_callback_url'));
  });

  it('its per-client limit is our rate limit, with the time to wait in Retry-After (and its own X-Retry-After)', async () => {
    const limited = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url, SIGN_IN_RATE_LIMIT_PER_MINUTE: '1' }), database: testDb.database });
    try {
      // better-auth keeps its counts in the process, whichever app: a client no other test is.
      const first = await ask(limited, {}, { email: 'limited-client@example.org', callbackURL: '/account' }, '198.51.100.77');
      expect(first.statusCode).toBe(200);
      const second = await ask(limited, {}, { email: 'limited-client@example.org', callbackURL: '/account' }, '198.51.100.77');
      expect(refusal(second)).toEqual(ours(429, 'rate_limited'));
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
      // better-auth's own client reads its header: kept beside HTTP's.
      expect(second.headers['x-retry-after']).toBe(second.headers['retry-after']);
    } finally {
      await limited.close();
    }
  });

  it('a sign-in link followed answers its redirect and cookie untouched', async () => {
    await ask(production, {}, { email: 'untouched@example.org', callbackURL: '/account' });
    const link = await linkFromMail(production, 'untouched@example.org', 'sign_in');
    const followed = await production.inject({ url: `/api/auth/magic-link/verify${link.search}`, headers: { 'sec-fetch-site': 'same-origin' } });
    expect(followed.statusCode).toBe(302);
    expect(followed.headers.location).toBe('https://give.example.org/account');
    expect(String(followed.headers['set-cookie'])).toContain('session_token=');
    const again = await production.inject({ url: `/api/auth/magic-link/verify${link.search}`, headers: { 'sec-fetch-site': 'same-origin' } });
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toContain('error=INVALID_TOKEN');
  });
});
