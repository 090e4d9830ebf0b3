import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { eq, sql } from 'drizzle-orm';
import { buildApp } from '../../server/app';
import { memberships, organizations, outboxEmails, users } from '../../db/schema/index';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { linkFromMail, signIn } from '../helpers/sign-in';

let testDb: TestDatabase;
let app: FastifyInstance;
let localId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  app = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
  const [local] = await testDb.database.db
    .insert(organizations)
    .values({ slug: 'local-9', name: 'Local 9', kind: 'local', defaultCurrency: 'USD' })
    .returning();
  localId = local!.id;
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

async function grant(email: string, role: 'admin' | 'organizer' | 'treasurer' | 'member') {
  const [user] = await testDb.database.db.select().from(users).where(eq(users.email, email));
  await testDb.database.db.insert(memberships).values({ userId: user!.id, organizationId: localId, role });
}

describe('sign-in by emailed link', () => {
  // The link must work exactly once and give a session the API recognizes.
  it('signs a new person in, and /api/me knows them', async () => {
    const cookie = await signIn(app, 'rosa@example.org');
    const me = await app.inject({ url: '/api/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ user: { email: 'rosa@example.org' }, memberships: [] });
  });

  // An answer read with someone's session is theirs (their address, an organization's people): no
  // cache may keep it, as none keeps their pages. A public answer is left as it was.
  it("marks an answer read with a session private and not to be stored, and a public one not", async () => {
    const cookie = await signIn(app, 'cached@example.org');
    const me = await app.inject({ url: '/api/me', headers: { cookie } });
    expect([me.statusCode, me.headers['cache-control']]).toEqual([200, 'private, no-store']);
    const organizations = await app.inject({ url: '/api/organizations' });
    expect([organizations.statusCode, organizations.headers['cache-control']]).toEqual([200, undefined]);
  });

  // The hook that marks such answers awaited the session lookup again: one that failed (the
  // database gone) replaced the API's own error answer with Fastify's, and the database's message.
  it('answers a session lookup that failed with the API error, saying nothing of the cause', async () => {
    const cookie = await signIn(app, 'lookup-fails@example.org');
    const getSession = app.auth.api.getSession;
    (app.auth.api as { getSession: unknown }).getSession = async () => Promise.reject(Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' }));
    try {
      const res = await app.inject({ url: '/api/me', headers: { cookie } });
      expect([res.statusCode, res.json()]).toEqual([500, { error: { code: 'internal_error', message: 'Something went wrong on our side.' } }]);
    } finally {
      (app.auth.api as { getSession: unknown }).getSession = getSession;
    }
  });

  // An address is one person whatever its case: typed with capitals on a phone, it signs into the
  // same account as typed plain, and that account keeps its roles (gifts are found by address in
  // any case). The link's mail goes to the address as it was typed.
  it('signs Member@… and member@… into one account', async () => {
    const typed = await signIn(app, 'Case.Member@Example.org');
    const plain = await signIn(app, 'case.member@example.org');
    const meTyped = (await app.inject({ url: '/api/me', headers: { cookie: typed } })).json();
    const mePlain = (await app.inject({ url: '/api/me', headers: { cookie: plain } })).json();
    expect(meTyped.user.id).toBe(mePlain.user.id);
    expect(meTyped.user.email).toBe('case.member@example.org');
    const rows = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM users WHERE lower(email) = 'case.member@example.org'`);
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses a used link and answers 401 without a session', async () => {
    await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', payload: { email: 'once@example.org', callbackURL: '/' } });
    const link = await linkFromMail(app, 'once@example.org', 'sign_in');
    expect(link.pathname).toBe('/signin/confirm');
    const first = await app.inject({ url: `/api/auth/magic-link/verify${link.search}` });
    expect(first.statusCode).toBe(302);
    const second = await app.inject({ url: `/api/auth/magic-link/verify${link.search}` });
    expect(second.headers.location).toContain('error=INVALID_TOKEN');
    expect(second.headers['set-cookie']).toBeUndefined();
    const anonymous = await app.inject({ url: '/api/me' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('auth.required');
  });

  // The link's page names the account before the button is pressed: read as better-auth stores the
  // link, without spending it or giving it more time; a used link names no one.
  it('names the address a sign-in link is for, without spending it', async () => {
    await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', payload: { email: 'named@example.org', callbackURL: '/' } });
    const link = await linkFromMail(app, 'named@example.org', 'sign_in');
    const token = link.searchParams.get('token')!;
    const expiries = () => testDb.database.rows<{ at: string }>(sql`SELECT expires_at::text AS at FROM verifications ORDER BY id`);
    const before = await expiries();
    const named = await app.inject({ method: 'POST', url: '/api/sign-in-links/preview', payload: { token } });
    expect(named.statusCode, named.body).toBe(200);
    expect(named.json()).toEqual({ email: 'named@example.org' });
    expect(await expiries()).toEqual(before);
    const used = await app.inject({ url: `/api/auth/magic-link/verify${link.search}` });
    expect(used.statusCode).toBe(302);
    expect(String(used.headers['set-cookie'])).toContain('session_token');
    const after = await app.inject({ method: 'POST', url: '/api/sign-in-links/preview', payload: { token } });
    expect(after.statusCode).toBe(404);
    expect(after.json().error.code).toBe('sign_in.link_unknown');
    const malformed = await app.inject({ method: 'POST', url: '/api/sign-in-links/preview', payload: { token: 'not a token' } });
    expect(malformed.statusCode).toBe(400);
  });

  // Another site's page can link (or send a form) straight to the verify endpoint with a token of
  // its own asking: followed, it would sign this browser in as that person, whose receipts and
  // account then get what this one gives (login CSRF). Only our confirm page, the person's own
  // click, spends a token; from elsewhere the link lands on that page, the token unspent.
  it('does not sign a browser in from a link on another site: it lands on the confirm page, the token unspent', async () => {
    await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', payload: { email: 'planted@example.org', callbackURL: '/' } });
    const link = await linkFromMail(app, 'planted@example.org', 'sign_in');
    for (const site of ['cross-site', 'same-site']) {
      const planted = await app.inject({ url: `/api/auth/magic-link/verify${link.search}`, headers: { 'sec-fetch-site': site, 'sec-fetch-mode': 'navigate' } });
      expect(planted.headers['set-cookie'], site).toBeUndefined();
      expect(planted.statusCode, site).toBe(303);
      expect(planted.headers.location, site).toBe(`/signin/confirm${link.search}`);
    }
    const own = await app.inject({ url: `/api/auth/magic-link/verify${link.search}`, headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' } });
    expect(own.statusCode).toBe(302);
    expect(String(own.headers['set-cookie'])).toContain('session_token');
  });

  // A member in Osaka asks on the Japanese page: the web sends the page's language. Asked by
  // another client, the request's Accept-Language decides; English when it names none of ours.
  it.each([
    ['the page says Japanese', 'ja@example.org', { metadata: { locale: 'ja' } }, {}, 'solidarity-fund のサインイン用リンク', 'サインインするには、次のリンクを開いてください。1 回だけ、15 分間有効です：', 'ja'],
    ['the request asks for German', 'de@example.org', {}, { 'accept-language': 'de-CH, fr;q=0.8' }, 'Ihr Anmeldelink für solidarity-fund', 'Er funktioniert einmal, 15 Minuten lang:', 'de'],
    ['nothing says which', 'en@example.org', { metadata: { locale: 'xx' } }, { 'accept-language': 'pt-BR' }, 'Your sign-in link for solidarity-fund', 'It works once, for 15 minutes:', 'en'],
  ])('writes the sign-in mail in the language of the request when %s', async (_case, email, body, headers, subject, line, lang) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers, payload: { email, callbackURL: '/', ...body } });
    expect(res.statusCode).toBe(200);
    const [mail] = await testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.toAddress, email));
    expect(mail!.subject).toBe(subject);
    expect(mail!.textBody).toContain(line);
    expect(mail!.textBody).toContain('/signin/confirm?token=');
    // The link's page opens in the mail's language, whatever the browser it is opened in.
    expect(new URL(mail!.textBody.match(/https?:\/\/\S+/)![0]).searchParams.get('lang')).toBe(lang);
  });

  // The mail keeps the token; the database only its hash, so a leaked table signs nobody in.
  // The session cookie is httpOnly so that script on a page (an injected one, a rogue extension)
  // cannot carry the session elsewhere; better-auth's get-session answered its token in JSON to any
  // script of the site, undoing that. The app reads who is asking from GET /api/me, never from it.
  it('answers the session token to no script: better-auth’s get-session is not offered', async () => {
    const cookie = await signIn(app, 'token.keeper@example.org');
    const token = decodeURIComponent(cookie.match(/session_token=([^;.]+)/)![1]!);
    const res = await app.inject({ url: '/api/auth/get-session', headers: { cookie } });
    expect(res.body).not.toContain(token);
    expect(res.statusCode).toBe(404);
    expect((await app.inject({ url: '/api/me', headers: { cookie } })).json()).toMatchObject({ user: { email: 'token.keeper@example.org' } });
  });

  it('stores only a hash of the sign-in token', async () => {
    await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', payload: { email: 'hash@example.org', callbackURL: '/' } });
    const token = (await linkFromMail(app, 'hash@example.org', 'sign_in')).searchParams.get('token')!;
    const rows = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM verifications WHERE identifier LIKE ${'%' + token + '%'} OR value LIKE ${'%' + token + '%'}`);
    expect(rows[0]!.n).toBe(0);
  });

  // The per-client limit let anyone asking from many addresses (a botnet, a range of proxies) have
  // a sign-in mail sent to one person for every request: a flood in their inbox, and in our mail
  // server's reputation. Links to one address are now limited per hour, whoever asks; the answer
  // is the same for an address with an account or without, so it tells nobody who has one.
  it('mails one address only so many sign-in links an hour, from whatever client they are asked', async () => {
    const limited = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url, SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR: '3' }), database: testDb.database });
    try {
      const ask = (email: string, i: number) =>
        limited.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', remoteAddress: `198.51.100.${i}`, payload: { email, callbackURL: '/' } });
      const statuses = [];
      for (let i = 1; i <= 5; i++) statuses.push((await ask(i % 2 ? 'flooded@example.org' : 'Flooded@Example.org', i)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const refused = await ask('flooded@example.org', 6);
      expect(refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
      expect(refused.headers['retry-after']).toBe('3600');
      const mailed = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM outbox_emails WHERE kind = 'sign_in' AND lower(to_address) = 'flooded@example.org'`);
      expect(mailed[0]!.n).toBe(3);
      // Another address is not held back by this one's flood.
      expect((await ask('neighbour@example.org', 7)).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  // A flood comes all at once: requests checked before any of them was counted all went through
  // (r1's find). Each takes its place before it is forwarded, and hands it back if nothing went.
  it('holds the limit for requests that arrive at the same moment', async () => {
    const limited = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url, SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR: '3' }), database: testDb.database });
    try {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => limited.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', remoteAddress: `203.0.113.${i + 1}`, payload: { email: 'at-once@example.org', callbackURL: '/' } })),
      );
      expect(answers.map((a) => a.statusCode).sort()).toEqual([...Array(3).fill(200), ...Array(9).fill(429)]);
      const mailed = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM outbox_emails WHERE kind = 'sign_in' AND to_address = 'at-once@example.org'`);
      expect(mailed[0]!.n).toBe(3);
    } finally {
      await limited.close();
    }
  });

  // Only links mailed count: requests the per-client limit refused sent nothing, and must not
  // use up the address's hour (else one client could keep a person from signing in cheaply).
  it('counts against an address only the sign-in links actually mailed', async () => {
    const limited = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url, SIGN_IN_RATE_LIMIT_PER_MINUTE: '1', SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR: '2' }), database: testDb.database });
    try {
      const ask = (i: number) =>
        limited.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', remoteAddress: `192.0.2.${i}`, payload: { email: 'counted@example.org', callbackURL: '/' } });
      const statuses = [];
      for (const i of [1, 1, 1, 1, 2, 3]) statuses.push((await ask(i)).statusCode);
      expect(statuses).toEqual([200, 429, 429, 429, 200, 429]);
      const mailed = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM outbox_emails WHERE kind = 'sign_in' AND to_address = 'counted@example.org'`);
      expect(mailed[0]!.n).toBe(2);
    } finally {
      await limited.close();
    }
  });
});

describe('invitations', () => {
  it('an admin invites by email; only the invited address can accept, once', async () => {
    const adminCookie = await signIn(app, 'admin9@example.org');
    await grant('admin9@example.org', 'admin');
    const invited = await app.inject({
      method: 'POST',
      url: '/api/organizations/local-9/invitations',
      headers: { cookie: adminCookie },
      payload: { email: 'New.Organizer@Example.org', role: 'organizer' },
    });
    expect(invited.statusCode).toBe(201);
    const link = await linkFromMail(app, 'new.organizer@example.org', 'invitation');
    const token = link.searchParams.get('token')!;

    const stranger = await signIn(app, 'stranger@example.org');
    const wrong = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: stranger }, payload: { token } });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().error.code).toBe('invitation.email_mismatch');

    const invitee = await signIn(app, 'new.organizer@example.org');
    const ok = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: invitee }, payload: { token } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ role: 'organizer', organization: { slug: 'local-9' } });
    const again = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: invitee }, payload: { token } });
    expect(again.statusCode).toBe(404);

    const audit = await app.inject({ url: '/api/organizations/local-9/audit', headers: { cookie: adminCookie } });
    expect(audit.json().entries.map((e: { action: string }) => e.action)).toEqual(['membership.grant', 'invitation.create']);
  });

  it('a member cannot invite, and the refusal changes nothing', async () => {
    const cookie = await signIn(app, 'member9@example.org');
    await grant('member9@example.org', 'member');
    const before = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM invitations`);
    const res = await app.inject({
      method: 'POST',
      url: '/api/organizations/local-9/invitations',
      headers: { cookie },
      payload: { email: 'x@example.org', role: 'admin' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('auth.forbidden');
    const after = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM invitations`);
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});

describe('CSRF and the audit log', () => {
  // A page on another site cannot make a signed-in browser change anything through the API.
  it('refuses a state-changing request sent from another site', async () => {
    const cookie = await signIn(app, 'admin9@example.org');
    const res = await app.inject({
      method: 'POST',
      url: '/api/organizations/local-9/invitations',
      headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      payload: { email: 'csrf@example.org', role: 'admin' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('csrf.cross_site');
  });

  // The router decodes the path before matching it: "/%61pi/…" is an API route too, and is refused
  // as one, whatever way the path is spelled.
  it('refuses it when the path spells "/api" with percent-escapes', async () => {
    const cookie = await signIn(app, 'admin9@example.org');
    const before = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM invitations`);
    for (const url of ['/%61pi/organizations/local-9/invitations', '/api/%6frganizations/local-9/invitations']) {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
        payload: { email: 'csrf-escaped@example.org', role: 'admin' },
      });
      expect({ url, status: res.statusCode, code: res.json().error?.code }).toEqual({ url, status: 403, code: 'csrf.cross_site' });
    }
    const after = await testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM invitations`);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('the audit log refuses UPDATE and DELETE', async () => {
    await testDb.database.rows(sql`INSERT INTO audit_log (action, subject_type, subject_id) VALUES ('test.row', 'test', '1')`);
    const refused = { cause: { message: expect.stringMatching(/append-only/) } };
    await expect(testDb.database.rows(sql`UPDATE audit_log SET action = 'x.y'`)).rejects.toMatchObject(refused);
    await expect(testDb.database.rows(sql`DELETE FROM audit_log`)).rejects.toMatchObject(refused);
  });
});
