import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import en from '../../web/messages/en.json' with { type: 'json' };
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { sessionCookiesOverHttp } from '../helpers/http-sign-in';
import { spawnDemoServer, type SpawnedServer } from '../helpers/spawn-server';

// The "launch a drive" page of an organization where one may not launch one: it handed a member
// the whole form, and saving it came back as the form's 400 "check the fields" with nothing wrong
// in them. Over HTTP against the built product, as a browser without JavaScript.

let db: TestDatabase;
let server: SpawnedServer;
let base = '';
const page = '/manage/ue-local-222/new';

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 2 });
  server = await spawnDemoServer(db.url);
  base = server.url;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

const cookieOf = async (email: string, lang: string) => `${(await sessionCookiesOverHttp(base, db.database, email)).join('; ')}; lang=${lang}`;

async function get(cookie: string): Promise<{ status: number; html: string }> {
  const res = await fetch(`${base}${page}`, { redirect: 'manual', headers: { cookie } });
  return { status: res.status, html: await res.text() };
}

async function save(cookie: string): Promise<{ status: number; html: string }> {
  const body = new URLSearchParams({ title: 'Strike kitchen', summary: 'Meals on the line', story: 'We cook.', beneficiary: 'Local 222', language: 'en', currency: 'USD', goal: '500', deadline: '' });
  const res = await fetch(`${base}${page}?/save`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body });
  return { status: res.status, html: await res.text() };
}

describe('launching a drive where one may not', () => {
  it('tells a member her role does not allow it, in her language, with no form', async () => {
    const member = await cookieOf('member@ue222.demo', 'ja');
    const { status, html } = await get(member);
    expect(status).toBe(200);
    expect(html).toContain(ja.error_forbidden);
    expect(html).not.toContain('action="?/save');
  });

  it('says so when the form is sent all the same, as a 403 (it was the form’s 400)', async () => {
    const member = await cookieOf('member@ue222.demo', 'en');
    const sent = await save(member);
    expect([sent.status, sent.html.includes(en.error_forbidden)]).toEqual([403, true]);
  });

  it('still hands an organizer the form', async () => {
    const organizer = await cookieOf('organizer@ue222.demo', 'en');
    const { status, html } = await get(organizer);
    expect(status).toBe(200);
    expect(html).toContain('action="?/save');
    expect(html).not.toContain(en.error_forbidden);
  });
});
