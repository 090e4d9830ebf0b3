import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app';
import { memberships, organizations, outboxEmails, users } from '../../db/schema/index';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { signIn } from '../helpers/sign-in';

// People read their mail in their own language: the one they signed up in, or later chose in the
// language switcher. An invitation, sent before the person has an account, is written in the
// language the inviter asks for (else the inviter's own).

let testDb: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  testDb = await createTestDatabase();
  app = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
  await testDb.database.db.insert(organizations).values({ slug: 'oran-teachers', name: 'Syndicat des enseignants d’Oran', kind: 'local', defaultCurrency: 'DZD' });
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

const localeOf = async (email: string) => (await testDb.database.db.select({ locale: users.locale }).from(users).where(eq(users.email, email)))[0]?.locale;
const me = async (cookie: string) => (await app.inject({ url: '/api/me', headers: { cookie } })).json() as { user: { locale: string | null } };

async function adminOfOran(email: string, browser: Record<string, string>): Promise<string> {
  const cookie = await signIn(app, email, browser);
  const [user] = await testDb.database.db.select().from(users).where(eq(users.email, email));
  const [org] = await testDb.database.db.select().from(organizations).where(eq(organizations.slug, 'oran-teachers'));
  await testDb.database.db.insert(memberships).values({ userId: user!.id, organizationId: org!.id, role: 'admin' });
  return cookie;
}

async function invite(cookie: string, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/api/organizations/oran-teachers/invitations', headers: { cookie }, payload: { role: 'treasurer', ...body } });
  expect(res.statusCode, res.body).toBe(201);
  const [mail] = await testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `invitation:${res.json().id}`));
  return mail!;
}

describe("a person's language", () => {
  it('is the one they signed up in: the switcher’s choice over the browser’s', async () => {
    const ja = await signIn(app, 'kenji@example.jp', { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.5' });
    expect(await localeOf('kenji@example.jp')).toBe('ja');
    expect((await me(ja)).user.locale).toBe('ja');
    await signIn(app, 'amina@example.dz', { 'accept-language': 'en-US', cookie: 'lang=ar' });
    expect(await localeOf('amina@example.dz')).toBe('ar');
    // Signing in again later, from another browser, does not change it.
    await signIn(app, 'kenji@example.jp', { 'accept-language': 'de' });
    expect(await localeOf('kenji@example.jp')).toBe('ja');
  });

  it('is not guessed: a browser that names none we write in leaves it unset until one that does', async () => {
    await signIn(app, 'li@example.cn', { 'accept-language': 'zh-CN,zh;q=0.9' });
    expect(await localeOf('li@example.cn')).toBeNull();
    await signIn(app, 'nobody@example.org');
    expect(await localeOf('nobody@example.org')).toBeNull();
    // Unset (an account from before, or such a browser): the next sign-in that says one sets it.
    await signIn(app, 'li@example.cn', { 'accept-language': 'zh-CN,ja;q=0.5' });
    expect(await localeOf('li@example.cn')).toBe('ja');
  });

  it('cannot be set through the sign-in service’s own profile endpoint, which is not offered', async () => {
    const cookie = await signIn(app, 'sven@example.se', { 'accept-language': 'sv' });
    const res = await app.inject({ method: 'POST', url: '/api/auth/update-user', headers: { cookie, 'content-type': 'application/json' }, payload: { locale: 'ar' } });
    expect(res.statusCode).toBe(404);
    expect(await localeOf('sven@example.se')).toBe('sv');
  });

  it('changes when they choose another, and only a language the app writes in', async () => {
    const cookie = await signIn(app, 'rosa@example.org', { 'accept-language': 'es' });
    const set = await app.inject({ method: 'PUT', url: '/api/me/language', headers: { cookie }, payload: { locale: 'fr' } });
    expect(set.statusCode).toBe(204);
    expect((await me(cookie)).user.locale).toBe('fr');
    for (const locale of ['xx', 'fr-FR', '', null]) {
      const bad = await app.inject({ method: 'PUT', url: '/api/me/language', headers: { cookie }, payload: { locale } });
      expect(bad.statusCode, String(locale)).toBe(400);
      expect(bad.json().error.code).toBe('validation_failed');
    }
    expect(await localeOf('rosa@example.org')).toBe('fr');
    const anonymous = await app.inject({ method: 'PUT', url: '/api/me/language', payload: { locale: 'de' } });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('an invitation', () => {
  it('is written in the language the inviter asks for, else the inviter’s own', async () => {
    const admin = await adminOfOran('secretariat@oran.example.dz', { 'accept-language': 'fr-DZ,fr;q=0.9' });
    const asked = await invite(admin, { email: 'tresoriere@oran.example.dz', locale: 'ar' });
    expect(asked.subject).toBe('دعوة إلى \u2068Syndicat des enseignants d’Oran\u2069 على solidarity-fund');
    expect(asked.textBody).toContain('أمينًا للصندوق');
    expect(asked.textBody).toContain('خلال 7 أيام');
    // Its link opens the accepting page (and the sign-in on the way) in the mail's language.
    expect(new URL(asked.textBody.match(/https?:\/\/\S+\/invitations\/accept\S+/)![0]).searchParams.get('lang')).toBe('ar');
    const own = await invite(admin, { email: 'organisateur@oran.example.dz', role: 'organizer' });
    expect(own.subject).toBe('Invitation à rejoindre Syndicat des enseignants d’Oran sur solidarity-fund');
    expect(own.textBody).toContain('vous invite à rejoindre Syndicat des enseignants d’Oran en tant qu’organisateur·rice.');
    expect(own.textBody).toContain('Acceptez sous 7 jours');
  });

  it('is in English when nobody says a language', async () => {
    const admin = await adminOfOran('permanence@oran.example.dz', {});
    const mail = await invite(admin, { email: 'new.member@oran.example.dz', role: 'member' });
    expect(mail.subject).toBe('You are invited to Syndicat des enseignants d’Oran on solidarity-fund');
    expect(mail.textBody).toContain('as a member.');
    expect(mail.textBody).toContain('Accept within 7 days');
  });

  it('to someone who already has an account, is in their language whatever the inviter asks', async () => {
    const admin = await adminOfOran('bureau@oran.example.dz', { 'accept-language': 'fr' });
    const mail = await invite(admin, { email: 'Kenji@Example.jp', locale: 'ar' });
    expect(mail.subject).toBe('solidarity-fund の Syndicat des enseignants d’Oran への招待');
    expect(mail.textBody).toContain('7日以内に承諾してください');
  });
});
