import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { auditLog, organizations, outboxEmails } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { holdLock } from '../helpers/row-lock';
import { signInAs } from '../helpers/sign-in';

/*
 * An update posted with the wrong language stayed marked so for good (a Spanish update read with a
 * Japanese voice), and a translation of one could be added or replaced but never removed. The
 * organizers correct the language and remove a translation; both are audited, mail no one, refuse
 * everyone else, and refuse what would leave a translation in the update's own language.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
const cookies = {} as Record<'organizer' | 'member' | 'treasurer' | 'otherOrganizer', string>;

const db = () => h.testDb.database.db;
// Written in Japanese; one donor asked for news.
const slug = 'osaka-care-strike-fund';
const spanish = { title: 'Solidaridad desde Monterrey', bodyMarkdown: 'Los compañeros de Monterrey están con ustedes.' };

const post = async (payload: Record<string, unknown>): Promise<string> => {
  const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: cookies.organizer }, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
};
const as = (cookie: string | null) => (cookie ? { cookie } : {});
const relabel = (updateId: string, payload: Record<string, unknown>, cookie: string | null = cookies.organizer) =>
  app.inject({ method: 'PUT', url: `/api/appeals/${slug}/updates/${updateId}/language`, headers: as(cookie), payload });
const untranslate = (updateId: string, language: string, cookie: string | null = cookies.organizer) =>
  app.inject({ method: 'DELETE', url: `/api/appeals/${slug}/updates/${updateId}/translations/${language}`, headers: as(cookie) });
const translate = (updateId: string, language: string, payload: Record<string, unknown>) =>
  app.inject({ method: 'PUT', url: `/api/appeals/${slug}/updates/${updateId}/translations/${language}`, headers: as(cookies.organizer), payload });

/** The update as stored: its language and its translations' languages. */
async function stored(updateId: string) {
  const [u] = await queryRows<{ language: string; translations: string[] }>(
    db(),
    sql`SELECT u.language, coalesce((SELECT array_agg(t.language ORDER BY t.language) FROM appeal_update_translations t WHERE t.update_id = u.id), '{}') AS translations FROM appeal_updates u WHERE u.id = ${updateId}`,
  );
  return u!;
}
const auditOf = (updateId: string, action: string) =>
  db().select({ before: auditLog.before, after: auditLog.after, actorUserId: auditLog.actorUserId }).from(auditLog).where(and(eq(auditLog.subjectId, updateId), eq(auditLog.action, action)));
const updateMails = async () => (await db().select().from(outboxEmails).where(eq(outboxEmails.kind, 'appeal_update'))).length;
const publicUpdate = async (updateId: string) => (await app.inject({ url: `/api/appeals/${slug}/updates` })).json().updates.find((u: { id: string }) => u.id === updateId);

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [osaka] = await db().select().from(organizations).where(eq(organizations.slug, 'osaka-care-workers'));
  const [ue222] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  cookies.organizer = await signInAs(app, 'organizer@osaka.example.jp', { organizationId: osaka!.id, role: 'organizer' });
  cookies.member = await signInAs(app, 'member@osaka.example.jp', { organizationId: osaka!.id, role: 'member' });
  cookies.treasurer = await signInAs(app, 'treasurer@osaka.example.jp', { organizationId: osaka!.id, role: 'treasurer' });
  cookies.otherOrganizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: ue222!.id, role: 'organizer' });
  const g = await h.donate(slug, { amountMinor: '3000', donorEmail: 'hana@example.jp', locale: 'ja', updatesOptIn: true });
  h.emulator.controls.payCheckoutSession(g.sessionId);
  await h.settle();
});

afterAll(async () => {
  await h?.close();
});

describe("correcting an update's language", () => {
  it('an organizer marks a Spanish update posted as Japanese Spanish: stored, answered, audited, no one mailed', async () => {
    // Posted without a language: it took the appeal's, Japanese.
    const updateId = await post(spanish);
    const mailsBefore = await updateMails();
    const res = await relabel(updateId, { from: 'ja', to: 'es' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: updateId, language: 'es', title: spanish.title, bodyMarkdown: spanish.bodyMarkdown });
    expect((await publicUpdate(updateId)).language).toBe('es');
    expect(await auditOf(updateId, 'appeal.update_language')).toEqual([{ before: { language: 'ja' }, after: { language: 'es' }, actorUserId: expect.any(String) }]);
    expect(await updateMails()).toBe(mailsBefore);
  });

  it('is refused (409) when another organizer changed it meanwhile, and changes nothing', async () => {
    const updateId = await post({ ...spanish, language: 'es' });
    expect((await relabel(updateId, { from: 'es', to: 'fr' })).statusCode).toBe(200);
    // This organizer's page still says Spanish, and she picks German.
    const stale = await relabel(updateId, { from: 'es', to: 'de' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'appeal.update_language_changed', details: { language: 'fr' } });
    expect(await stored(updateId)).toEqual({ language: 'fr', translations: [] });
    expect(await auditOf(updateId, 'appeal.update_language')).toHaveLength(1);
  });

  it('is refused (409) into a language the update has a translation in, until that translation is removed', async () => {
    const updateId = await post({ ...spanish, language: 'ja', translations: [{ language: 'es', ...spanish }] });
    const refused = await relabel(updateId, { from: 'ja', to: 'es' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'appeal.update_language_translated', details: { language: 'es' } });
    expect(await stored(updateId)).toEqual({ language: 'ja', translations: ['es'] });
    expect(await auditOf(updateId, 'appeal.update_language')).toEqual([]);

    expect((await untranslate(updateId, 'es')).statusCode).toBe(200);
    expect((await relabel(updateId, { from: 'ja', to: 'es' })).statusCode).toBe(200);
    expect(await stored(updateId)).toEqual({ language: 'es', translations: [] });
  });

  it('is refused (400 validation_failed) for a language the app does not write in, or without the one it was', async () => {
    const updateId = await post({ ...spanish, language: 'es' });
    for (const body of [{ from: 'es', to: 'pt' }, { to: 'fr' }, { from: 'es', to: 'fr', title: 'x' }, { from: 'ES', to: 'fr' }]) {
      const res = await relabel(updateId, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect(await stored(updateId)).toEqual({ language: 'es', translations: [] });
  });

  it('the same language again changes nothing and records nothing', async () => {
    const updateId = await post({ ...spanish, language: 'es' });
    const res = await relabel(updateId, { from: 'es', to: 'es' });
    expect(res.statusCode, res.body).toBe(200);
    expect(await auditOf(updateId, 'appeal.update_language')).toEqual([]);
  });

  it("belongs to the appeal's organizers: members, treasurers, other locals' organizers and strangers are refused", async () => {
    const updateId = await post({ ...spanish, language: 'ja' });
    for (const [who, cookie, status] of [['member', cookies.member, 403], ['treasurer', cookies.treasurer, 403], ['otherOrganizer', cookies.otherOrganizer, 403], ['anonymous', null, 401]] as const) {
      expect((await relabel(updateId, { from: 'ja', to: 'es' }, cookie)).statusCode, who).toBe(status);
    }
    const theirs = await app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/updates', headers: { cookie: cookies.otherOrganizer }, payload: { title: 'Walls up', bodyMarkdown: 'x' } });
    const notOurs = await relabel(theirs.json().id, { from: 'en', to: 'es' });
    expect(notOurs.statusCode).toBe(404);
    expect(notOurs.json().error.code).toBe('appeal.update_not_found');
    expect(await stored(updateId)).toEqual({ language: 'ja', translations: [] });
    expect(await stored(theirs.json().id)).toEqual({ language: 'en', translations: [] });
  });
});

describe("removing an update's translation", () => {
  it('an organizer removes one: gone from her view and the page, audited, no one mailed; a second time is 404', async () => {
    const updateId = await post({ ...spanish, language: 'es', translations: [{ language: 'en', title: 'Solidarity from Monterrey', bodyMarkdown: 'x' }, { language: 'ja', title: 'モンテレイからの連帯', bodyMarkdown: 'x' }] });
    const mailsBefore = await updateMails();
    const res = await untranslate(updateId, 'en');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().translations.map((t: { language: string }) => t.language)).toEqual(['ja']);
    expect((await publicUpdate(updateId)).translations.map((t: { language: string }) => t.language)).toEqual(['ja']);
    expect(await auditOf(updateId, 'appeal.untranslate_update')).toEqual([{ before: { language: 'en', title: 'Solidarity from Monterrey' }, after: null, actorUserId: expect.any(String) }]);
    expect(await updateMails()).toBe(mailsBefore);

    const again = await untranslate(updateId, 'en');
    expect(again.statusCode).toBe(404);
    expect(again.json().error.code).toBe('appeal.update_translation_not_found');
    expect((await untranslate(updateId, 'pt')).json().error.code).toBe('validation_failed');
    expect(await auditOf(updateId, 'appeal.untranslate_update')).toHaveLength(1);
  });

  it("belongs to the appeal's organizers: members, treasurers, other locals' organizers and strangers are refused", async () => {
    const updateId = await post({ ...spanish, language: 'es', translations: [{ language: 'fr', title: 'Solidarité de Monterrey', bodyMarkdown: 'x' }] });
    for (const [who, cookie, status] of [['member', cookies.member, 403], ['treasurer', cookies.treasurer, 403], ['otherOrganizer', cookies.otherOrganizer, 403], ['anonymous', null, 401]] as const) {
      expect((await untranslate(updateId, 'fr', cookie)).statusCode, who).toBe(status);
    }
    expect(await stored(updateId)).toEqual({ language: 'es', translations: ['fr'] });
    expect(await auditOf(updateId, 'appeal.untranslate_update')).toEqual([]);
  });
});

describe('a correction and a translation at once', () => {
  // Each read the update before the other's commit: without a lock between them, a Spanish
  // translation was saved onto an update just marked Spanish, hiding the original behind a copy.
  it('a translation waits for a correction of the language under way, then is refused as the original', async () => {
    const updateId = await post({ ...spanish, language: 'ja' });
    const correction = await holdLock(h.testDb.url, "UPDATE appeal_updates SET language = 'es' WHERE id = $1", [updateId]);
    try {
      const translating = translate(updateId, 'es', spanish);
      const first = await Promise.race([translating.then(() => 'the translation was answered'), correction.waitedOn().then(() => 'the translation waited')]);
      expect(first).toBe('the translation waited');
      await correction.release();
      const res = await translating;
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('appeal.update_translation_is_original');
      expect(await stored(updateId)).toEqual({ language: 'es', translations: [] });
    } finally {
      await correction.release();
      await correction.end();
    }
  });

  it('a correction waits for a translation under way into its language, then is refused', async () => {
    const updateId = await post({ ...spanish, language: 'ja' });
    const adding = await holdLock(
      h.testDb.url,
      "WITH u AS (SELECT id FROM appeal_updates WHERE id = $1 FOR SHARE) INSERT INTO appeal_update_translations (update_id, language, title, body_markdown, body_html) SELECT id, 'es', 'Solidaridad', 'x', '<p>x</p>' FROM u",
      [updateId],
    );
    try {
      const correcting = relabel(updateId, { from: 'ja', to: 'es' });
      const first = await Promise.race([correcting.then(() => 'the correction was answered'), adding.waitedOn().then(() => 'the correction waited')]);
      expect(first).toBe('the correction waited');
      await adding.release();
      const res = await correcting;
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().error.code).toBe('appeal.update_language_translated');
      expect(await stored(updateId)).toEqual({ language: 'ja', translations: ['es'] });
    } finally {
      await adding.release();
      await adding.end();
    }
  });
});
