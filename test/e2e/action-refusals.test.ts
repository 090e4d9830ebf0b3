import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import en from '../../web/messages/en.json' with { type: 'json' };
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { sessionCookiesOverHttp } from '../helpers/http-sign-in';
import { spawnDemoServer, type SpawnedServer } from '../helpers/spawn-server';

// What a form action answers when the API refuses it: the API's 4xx stays the action's status (an
// enhanced form reads it as the form's failure, and keeps the page), with the reason in the
// person's language; only the API failing is the action's 502. Before, a refusal other than 400 or
// 404 came back as a 502 "the API failed", and the reason was never said. Over HTTP against the
// built product, as a browser without JavaScript (text/html) and with it (x-sveltekit-action).

let db: TestDatabase;
let server: SpawnedServer;
let base = '';
/** Links asked for per minute: low, so the last test meets the limit with a few asks. */
const signInsPerMinute = 8;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 2 });
  server = await spawnDemoServer(db.url, {
    // Not 'test' (nor TEST, which vitest sets): the sign-in service then skips its check of
    // return paths, which production makes.
    NODE_ENV: 'development',
    TEST: '',
    SIGN_IN_RATE_LIMIT_PER_MINUTE: String(signInsPerMinute),
  });
  base = server.url;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

interface Answer {
  status: number;
  /** How an enhanced form reads it ('failure': the form's own, shown on the page); '' for a plain post. */
  type: string;
  /** The page (plain) or the action's serialized data (enhanced). */
  text: string;
}

/** A form post, as the browser sends it (plain) or as the page's script does (enhanced): the action's status and what it says. */
async function post(path: string, form: Record<string, string>, opts: { enhanced: boolean; cookie?: string }): Promise<Answer> {
  const headers: Record<string, string> = { origin: base, 'content-type': 'application/x-www-form-urlencoded', accept: opts.enhanced ? 'application/json' : 'text/html' };
  if (opts.enhanced) headers['x-sveltekit-action'] = 'true';
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams(form) });
  const text = await res.text();
  if (!opts.enhanced) return { status: res.status, type: '', text };
  const answer = JSON.parse(text) as { type: string; status: number; data?: string };
  return { status: answer.status, type: answer.type, text: answer.data ?? '' };
}

const both = async (path: string, form: Record<string, string>, cookie?: string) => [await post(path, form, { enhanced: false, cookie }), await post(path, form, { enhanced: true, cookie })];

describe('a form action no page has', () => {
  // SvelteKit keeps "default" for itself and threw on it (a 500) where any other unknown name is
  // its 404: a page with named actions and one with a default one alike.
  it('answers the reserved name "default" as any unknown action, with a 404', async () => {
    // Signed out: signing in would spend one of the minute's few sign-in links the tests below count on.
    const status = async (path: string, enhanced: boolean) => {
      const headers: Record<string, string> = { origin: base, 'content-type': 'application/x-www-form-urlencoded', accept: enhanced ? 'application/json' : 'text/html' };
      if (enhanced) headers['x-sveltekit-action'] = 'true';
      const res = await fetch(`${base}${path}`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ email: 'reserved@example.org' }) });
      await res.arrayBuffer();
      return res.status;
    };
    for (const path of ['/signin', '/account', '/appeals/buck-a-brick']) {
      for (const enhanced of [false, true]) {
        expect([path, enhanced, await status(`${path}?/default`, enhanced)]).toEqual([path, enhanced, 404]);
        expect([path, enhanced, await status(`${path}?/nosuchaction`, enhanced)]).toEqual([path, enhanced, 404]);
      }
    }
  });
});

describe('a form action the API refuses', () => {
  // The API answers a gift of someone else exactly as one that does not exist (ids reveal nothing):
  // a random id is what a donor meets after signing in with another address in another tab.
  it('says a monthly gift is not the signed-in donor’s, ending it, changing its amount or updating its card (404)', async () => {
    const email = `refusals-${randomUUID().slice(0, 8)}@example.org`;
    const cookie = (await sessionCookiesOverHttp(base, db.database, email)).join('; ');
    const notYours = (text: string) => text.replace('{email}', email);
    for (const action of ['cancel', 'changeAmount', 'updateCard']) {
      for (const answer of await both(`/account?/${action}`, { id: randomUUID() }, cookie)) {
        expect(answer.status, action).toBe(404);
        expect(answer.type, action).toMatch(/^(failure|)$/);
        expect(answer.text, action).toContain(notYours(en.monthly_error_not_yours));
      }
      // In the reader's language, like the rest of the page.
      const [inJapanese] = await both(`/account?/${action}`, { id: randomUUID() }, `${cookie}; lang=ja`);
      expect(inJapanese!.text).toContain(notYours(ja.monthly_error_not_yours));
    }
  });

  // The sign-in service refuses a return path with an encoded slash (403), which the page's own
  // check lets through: the refusal is the form's 403, not a 502 from the sign-in page.
  it('keeps a 4xx of the sign-in service as the sign-in form’s status', async () => {
    for (const answer of await both(`/signin?next=${encodeURIComponent('/account%2Fx')}`, { email: 'next-refused@example.org', next: '/account%2Fx' })) {
      expect(answer.status).toBe(403);
      expect(answer.type).toMatch(/^(failure|)$/);
      expect(answer.text).toContain(en.signin_error_failed);
    }
  });

  // The page said "type your email address" for any 400 of the sign-in service, and marked the
  // field invalid; it says so only when what was refused is the address (the API's error code).
  // A mangled link's return path holding a NUL (?next=%00) was such another 400, of an address
  // that was fine: the page's own check now takes the fallback path for it, and the link is sent.
  it('says the address is wrong only when the sign-in service refused the address (400)', async () => {
    for (const answer of await both('/signin', { email: 'nul-next@example.org', next: '/account\u0000' })) {
      expect(answer.status).toBeLessThan(400);
      expect(answer.text).not.toContain(en.signin_error_email);
      expect(answer.text).not.toContain(en.signin_error_failed);
    }
    // An address the page's check lets through and the service refuses (two dots in a row).
    for (const answer of await both('/signin', { email: 'two-dots@example..org', next: '/account' })) {
      expect(answer.status).toBe(400);
      expect(answer.text).toContain(en.signin_error_email);
      if (!answer.type) expect(answer.text).toContain('aria-invalid="true"');
    }
  });

  // Runs last: it uses up the minute's sign-in links.
  it('says "too many attempts" when the sign-in service is rate limited (429)', async () => {
    let answer: Answer | undefined;
    for (let i = 0; i <= signInsPerMinute + 1 && answer?.status !== 429; i++) {
      answer = await post('/signin', { email: `limited-${i}@example.org`, next: '/account' }, { enhanced: i % 2 === 1 });
    }
    expect(answer!.status).toBe(429);
    expect(answer!.text).toContain(en.error_rate_limited);
  });
});
