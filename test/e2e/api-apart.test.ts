import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import de from '../../web/messages/de.json' with { type: 'json' };
import en from '../../web/messages/en.json' with { type: 'json' };
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { sessionCookiesOverHttp } from '../helpers/http-sign-in';
import { freePort, spawnDemoServer, spawnWebApart, type SpawnedServer } from '../helpers/spawn-server';

// The pages and the API in processes of their own, as `npm run dev` runs them, with the network
// between them in the test's hands: a session that ends between the page's check and the API's
// (signed out in another tab) sends to sign in and back, and an API that does not answer (its
// process restarting) is a 502 the page says in its language, never a 500 with a stack.

let db: TestDatabase;
let api: SpawnedServer;
let web: SpawnedServer;
let link: ApiLink;
let webUrl = '';

/**
 * Between the pages and the API: passes each call on; `signOutBefore` (a path) ends the caller's
 * session at the API just before that call reaches it.
 */
interface ApiLink {
  port: number;
  signOutBefore: string | null;
  /** GET /api/me alone fails: its connection dropped (no answer) or a 503; the rest of the API answers. */
  meFails: 'drop' | 503 | null;
  /** The API gone: nothing listens at its address any more. */
  close(): Promise<void>;
}

async function startApiLink(apiUrl: string, webOrigin: string): Promise<ApiLink> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const pass = () => {
      const upstream = httpRequest(new URL(req.url!, apiUrl), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      // The API gone: the pages' connection drops, as the API's own would.
      upstream.on('error', () => req.socket.destroy());
      req.pipe(upstream);
    };
    if (made.meFails !== null && new URL(req.url!, apiUrl).pathname === '/api/me') {
      if (made.meFails === 'drop') return req.socket.destroy();
      res.writeHead(made.meFails, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 'unavailable', message: 'Service unavailable.' } }));
    }
    if (req.url !== made.signOutBefore || !req.headers.cookie) return pass();
    const signOut = fetch(`${apiUrl}/api/auth/sign-out`, { method: 'POST', headers: { cookie: req.headers.cookie, origin: webOrigin, 'content-type': 'application/json' }, body: '{}' });
    signOut.then((r) => (r.ok ? pass() : req.socket.destroy()), () => req.socket.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const made: ApiLink = {
    port: (server.address() as { port: number }).port,
    signOutBefore: null,
    meFails: null,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return made;
}

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 2 });
  const webPort = await freePort();
  webUrl = `http://127.0.0.1:${webPort}`;
  // The API takes the pages' address as its own, as `npm run dev` sets it.
  api = await spawnDemoServer(db.url, { PUBLIC_URL: webUrl, SERVE_WEB: 'false', SIGN_IN_RATE_LIMIT_PER_MINUTE: '100' });
  link = await startApiLink(api.url, webUrl);
  web = await spawnWebApart({ port: webPort, apiPort: link.port });
}, 120_000);

afterAll(async () => {
  await web?.stop();
  await link?.close();
  await api?.stop();
  await db?.drop();
});

const signIn = async (email: string) => (await sessionCookiesOverHttp(api.url, db.database, email, webUrl)).join('; ');
const urlencoded = 'application/x-www-form-urlencoded';

/** A form post to the pages, as the browser sends it (plain) or as the page's script does (enhanced). */
async function post(path: string, form: Record<string, string>, opts: { enhanced: boolean; cookie?: string }) {
  const headers: Record<string, string> = { origin: webUrl, 'content-type': urlencoded, accept: opts.enhanced ? 'application/json' : 'text/html' };
  if (opts.enhanced) headers['x-sveltekit-action'] = 'true';
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await fetch(`${webUrl}${path}`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams(form) });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

describe('a session that ends between the page’s check and the API’s', () => {
  // The page saw a session (GET /api/me), the API then did not: the person signs in again and
  // comes back to the invitation, which is still theirs to accept. Before, the action answered
  // 401 with "please try again", which could only fail again.
  it('sends whoever accepts an invitation to sign in and back, whether the page reads it or accepts it', async () => {
    const admin = await signIn('admin@federation.demo');
    const invitee = `apart-${randomUUID().slice(0, 8)}@example.org`;
    const invited = await fetch(`${api.url}/api/organizations/ue-local-222/invitations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: webUrl, cookie: admin },
      body: JSON.stringify({ email: invitee, role: 'organizer' }),
    });
    expect(invited.status, await invited.text()).toBe(201);
    const [mail] = await queryRows<{ text_body: string }>(db.database.db, sql`SELECT text_body FROM outbox_emails WHERE kind = 'invitation' AND to_address = ${invitee}`);
    const token = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    const page = `/invitations/accept?token=${token}`;
    const signInAndBack = `/signin?next=${encodeURIComponent(page)}`;

    link.signOutBefore = '/api/invitations/accept';
    const plain = await post(page, { token }, { enhanced: false, cookie: await signIn(invitee) });
    expect([plain.status, plain.location]).toEqual([303, signInAndBack]);
    const enhanced = await post(page, { token }, { enhanced: true, cookie: await signIn(invitee) });
    expect(JSON.parse(enhanced.text)).toEqual({ type: 'redirect', status: 303, location: signInAndBack });

    // The page's own reading of the invitation, likewise.
    link.signOutBefore = '/api/invitations/preview';
    const read = await fetch(`${webUrl}${page}`, { redirect: 'manual', headers: { cookie: await signIn(invitee), accept: 'text/html' } });
    expect([read.status, read.headers.get('location')]).toEqual([303, signInAndBack]);

    // Signed in again, the invitation is accepted.
    link.signOutBefore = null;
    const [still] = await queryRows<{ accepted_at: Date | null }>(db.database.db, sql`SELECT accepted_at FROM invitations WHERE email = ${invitee}`);
    expect(still!.accepted_at).toBeNull();
    const accepted = await post(page, { token }, { enhanced: false, cookie: await signIn(invitee) });
    expect(accepted.status).toBe(200);
    expect(accepted.text).toContain('You are now organizer in UE Local 222');
  });
});

describe('an API that cannot say who is asking', () => {
  // GET /api/me failed and was read as "signed out": an organizer opening her pages while the API
  // was briefly down was sent to sign in, as if her session had ended. Only the API's own 401 means
  // signed out; an /api/me unanswered or failing is "try again" on the pages that need a signed-in
  // person, keeps the session, and leaves the public pages to render for everyone.
  const needSignedIn = ['/manage', '/manage/appeals/buck-a-brick', '/manage/ue-local-222/people', '/treasury'];
  afterEach(() => {
    link.meFails = null;
  });

  it('shows the error page, not sign-in, to a signed-in organizer, and keeps her session', async () => {
    const cookie = await signIn('organizer@ue222.demo');
    for (const [fails, status] of [['drop', 502], [503, 503]] as const) {
      link.meFails = fails;
      for (const path of needSignedIn) {
        const res = await fetch(`${webUrl}${path}`, { redirect: 'manual', headers: { accept: 'text/html', cookie: `${cookie}; lang=de` } });
        expect([res.status, res.headers.get('location')], `${path}, /api/me ${fails}`).toEqual([status, null]);
        expect(await res.text(), path).toContain(de.error_generic_text);
        expect(res.headers.getSetCookie(), path).toEqual([]);
      }
      // A form on such a page, likewise: plain, and as the page's script sends it.
      const plain = await post('/manage/ue-local-222/people?/withdraw', { invitationId: randomUUID() }, { enhanced: false, cookie });
      expect([plain.status, plain.location]).toEqual([status, null]);
      const scripted = await post('/manage/ue-local-222/people?/withdraw', { invitationId: randomUUID() }, { enhanced: true, cookie });
      expect([scripted.status, (JSON.parse(scripted.text) as { type: string }).type]).toEqual([status, 'error']);

      // The public pages need no one signed in: they render, as for a signed-out reader.
      for (const path of ['/', '/appeals/buck-a-brick']) {
        const res = await fetch(`${webUrl}${path}`, { headers: { accept: 'text/html', cookie } });
        expect(res.status, path).toBe(200);
        expect(await res.text(), path).toContain('Buck-a-Brick');
      }
    }
    // The API back: the same session opens the page.
    link.meFails = null;
    expect((await fetch(`${webUrl}/manage`, { redirect: 'manual', headers: { accept: 'text/html', cookie } })).status).toBe(200);
  });

  it('still sends to sign in when the API says the session has ended', async () => {
    const cookie = await signIn('organizer@ue222.demo');
    const out = await fetch(`${api.url}/api/auth/sign-out`, { method: 'POST', headers: { cookie, origin: webUrl, 'content-type': 'application/json' }, body: '{}' });
    expect(out.ok).toBe(true);
    for (const path of needSignedIn) {
      const res = await fetch(`${webUrl}${path}`, { redirect: 'manual', headers: { accept: 'text/html', cookie } });
      expect([res.status, res.headers.get('location')], path).toEqual([303, `/signin?next=${encodeURIComponent(path)}`]);
    }
  });
});

describe('an API that does not answer', () => {
  // Runs last: the API is gone for the rest of the file.
  it('is a 502 in the page’s language, for a page, a form and a signed-in visit, with no address or cookie in the logs', async () => {
    const cookie = await signIn('member@ue222.demo');
    await link.close();

    // A page whose data the API gives: SvelteKit's error page, in the reader's language.
    for (const [path, lang, messages] of [['/', 'en', en], ['/appeals/buck-a-brick', 'de', de]] as const) {
      const res = await fetch(`${webUrl}${path}`, { headers: { accept: 'text/html', cookie: `lang=${lang}` } });
      const text = await res.text();
      expect(res.status, path).toBe(502);
      expect(text, path).toContain(messages.error_generic_text);
    }

    // A form: its own refusal ("could not send the link, try again"), with what was typed, in its
    // language. The sign-in page needs nothing of the API to show itself again.
    const email = `typed-${randomUUID().slice(0, 8)}@example.org`;
    const plain = await post('/signin', { email, next: '/account' }, { enhanced: false });
    expect(plain.status).toBe(502);
    expect(plain.text).toContain(en.signin_error_failed);
    expect(plain.text).toContain(`value="${email}"`);
    const scripted = JSON.parse((await post('/signin', { email, next: '/account' }, { enhanced: true })).text) as { type: string; status: number; data?: string };
    expect([scripted.type, scripted.status]).toEqual(['failure', 502]);
    expect(scripted.data).toContain(en.signin_error_failed);
    const inJapanese = await post('/signin', { email, next: '/account' }, { enhanced: false, cookie: 'lang=ja' });
    expect(inJapanese.status).toBe(502);
    expect(inJapanese.text).toContain(ja.signin_error_failed);

    // Signed in, one's own giving cannot be read either: the error page, with the session kept.
    const signedIn = await fetch(`${webUrl}/account`, { redirect: 'manual', headers: { accept: 'text/html', cookie: `${cookie}; lang=ja` } });
    expect(signedIn.status).toBe(502);
    expect(await signedIn.text()).toContain(ja.error_generic_text);
    expect(signedIn.headers.getSetCookie()).toEqual([]);

    // Signing out signs this browser out all the same: its session cookie goes, though the API could
    // not end the session. Before, the page went home as if signed out, the cookie kept, and the
    // next person at a shared computer was signed in as soon as the API came back.
    const out = await fetch(`${webUrl}/signout`, { method: 'POST', redirect: 'manual', headers: { origin: webUrl, 'content-type': urlencoded, accept: 'text/html', cookie } });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/']);
    expect(out.headers.getSetCookie().filter((c) => /^sf\.session_token=;/.test(c) && /Max-Age=0/i.test(c))).toHaveLength(1);

    // Said in the logs for whoever runs the service, without what identifies a person.
    const logs = web.output();
    expect(logs).toContain('The API did not answer');
    expect(logs).not.toContain(email);
    expect(logs).not.toContain(cookie.match(/sf\.session_token=([^;.]+)/)![1]);
  });
});
