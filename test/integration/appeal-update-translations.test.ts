import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { renderStaleHtml } from '../../server/content/stale-html';
import { organizations, outboxEmails } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * An update has translations, as the appeal's story does: written by the organizers, shown to a
 * reader of their language, and mailed to each donor who asked for news in her language when one
 * exists, else as written. A translation added after posting shows on the page; the mail has gone.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;
let otherOrganizer: string;

const db = () => h.testDb.database.db;
// Written in Japanese; its donors read Japanese, French and Spanish.
const slug = 'osaka-care-strike-fund';
const donors = { ja: 'hana@example.jp', fr: 'pierre@example.fr', es: 'lucia@example.es' };

const spanish = { title: 'Solidaridad desde Monterrey', bodyMarkdown: 'Los compañeros de **Monterrey** están con ustedes.' };
const japanese = { language: 'ja', title: 'モンテレイからの連帯', bodyMarkdown: 'モンテレイの仲間は**皆さん**と共にいます。' };

const post = (payload: Record<string, unknown>, cookie = organizer) => app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie }, payload });
const translate = (updateId: string, language: string, payload: Record<string, unknown>, headers: Record<string, string> = {}, cookie: string | null = organizer) =>
  app.inject({ method: 'PUT', url: `/api/appeals/${slug}/updates/${updateId}/translations/${language}`, headers: { ...headers, ...(cookie ? { cookie } : {}) }, payload });
const managed = (updateId: string) => app.inject({ url: `/api/appeals/${slug}/updates/${updateId}/manage`, headers: { cookie: organizer } });

async function mailsOf(updateId: string) {
  const rows = await db().select().from(outboxEmails).where(eq(outboxEmails.kind, 'appeal_update'));
  return rows.filter((r) => r.dedupeKey.startsWith(`update:${updateId}:`));
}

const storedTranslations = (updateId: string) =>
  queryRows<{ language: string; title: string }>(db(), sql`SELECT language, title FROM appeal_update_translations WHERE update_id = ${updateId} ORDER BY language`);

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [osaka] = await db().select().from(organizations).where(eq(organizations.slug, 'osaka-care-workers'));
  const [ue222] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  organizer = await signInAs(app, 'organizer@osaka.example.jp', { organizationId: osaka!.id, role: 'organizer' });
  otherOrganizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: ue222!.id, role: 'organizer' });
  for (const [locale, donorEmail] of Object.entries(donors)) {
    const g = await h.donate(slug, { amountMinor: '3000', donorEmail, locale, updatesOptIn: true });
    h.emulator.controls.payCheckoutSession(g.sessionId);
  }
  await h.settle();
});

afterAll(async () => {
  await h?.close();
});

describe('translations of an update', () => {
  let updateId = '';

  it('posted with the update, mail each donor in her language where one exists, else as written', async () => {
    const res = await post({ ...spanish, language: 'es', translations: [japanese] });
    expect(res.statusCode, res.body).toBe(201);
    updateId = res.json().id;
    expect(res.json().emailedTo).toBe(3);
    const mails = Object.fromEntries((await mailsOf(updateId)).map((m) => [m.toAddress, m]));
    // Hana reads Japanese: the translation, said to be one, with the page in Japanese a click away.
    expect(mails[donors.ja]!.subject).toContain('モンテレイからの連帯');
    expect(mails[donors.ja]!.textBody).toContain('モンテレイの仲間は皆さんと共にいます。');
    expect(mails[donors.ja]!.textBody).not.toContain('Monterrey están');
    expect(mails[donors.ja]!.textBody).toContain('スペイン語');
    expect(mails[donors.ja]!.textBody).toContain(`lang=ja#update-${updateId}`);
    // Pierre reads French, which has none: the Spanish as written, not called a translation.
    expect(mails[donors.fr]!.subject).toContain(spanish.title);
    expect(mails[donors.fr]!.textBody).toContain('Los compañeros de Monterrey están con ustedes.');
    expect(mails[donors.fr]!.textBody).not.toContain('espagnol');
    // Lucía reads the language it is written in.
    expect(mails[donors.es]!.subject).toContain(spanish.title);
    expect(mails[donors.es]!.textBody).toContain('Los compañeros de Monterrey están con ustedes.');
  });

  it('come with the update on the public list, rendered and sanitized like its text', async () => {
    const list = (await app.inject({ url: `/api/appeals/${slug}/updates` })).json();
    const update = list.updates.find((u: { id: string }) => u.id === updateId);
    expect(update.language).toBe('es');
    expect(update.translations).toEqual([{ language: 'ja', title: japanese.title, bodyHtml: '<p>モンテレイの仲間は<strong>皆さん</strong>と共にいます。</p>\n' }]);
  });

  it('an organizer adds one later, and replaces it; the page has it, and no one is mailed again', async () => {
    const mailsBefore = (await mailsOf(updateId)).length;
    const english = { title: 'Solidarity from Monterrey', bodyMarkdown: 'Our comrades in Monterrey stand with you. <script>alert(1)</script>' };
    const added = await translate(updateId, 'en', english, { 'if-none-match': '*' });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json().translations.map((t: { language: string }) => t.language)).toEqual(['en', 'ja']);
    // Adding, not editing: a second add of the same language is refused rather than overwriting.
    const twice = await translate(updateId, 'en', { ...english, title: 'Overwritten unseen' }, { 'if-none-match': '*' });
    expect(twice.statusCode).toBe(412);
    expect(twice.json().error.code).toBe('appeal.update_translation_exists');
    const replaced = await translate(updateId, 'en', { ...english, title: 'Solidarity from Monterrey, Mexico' });
    expect(replaced.statusCode, replaced.body).toBe(200);
    const mine = (await managed(updateId)).json();
    expect(mine).toMatchObject({ id: updateId, language: 'es', title: spanish.title, bodyMarkdown: spanish.bodyMarkdown });
    expect(mine.translations.find((t: { language: string }) => t.language === 'en')).toMatchObject({ title: 'Solidarity from Monterrey, Mexico', bodyMarkdown: english.bodyMarkdown });
    const listed = (await app.inject({ url: `/api/appeals/${slug}/updates` })).json().updates.find((u: { id: string }) => u.id === updateId);
    const en = listed.translations.find((t: { language: string }) => t.language === 'en');
    expect(en.bodyHtml).toContain('Our comrades in Monterrey stand with you.');
    expect(en.bodyHtml).not.toContain('<script');
    expect((await mailsOf(updateId)).length).toBe(mailsBefore);
  });

  it("is refused in the update's own language, twice in one post, or in a language the app does not write in, and stores nothing", async () => {
    const own = await post({ ...spanish, title: 'Propia', language: 'es', translations: [{ language: 'es', title: 'Propia otra vez', bodyMarkdown: 'x' }] });
    expect(own.statusCode).toBe(400);
    expect(own.json().error.code).toBe('appeal.update_translation_is_original');
    // Omitted, the update's language is the appeal's: Japanese.
    const ownByDefault = await post({ title: '既定の報告', bodyMarkdown: 'x', translations: [{ language: 'ja', title: '既定の翻訳', bodyMarkdown: 'x' }] });
    expect(ownByDefault.statusCode).toBe(400);
    expect(ownByDefault.json().error.code).toBe('appeal.update_translation_is_original');
    const twice = await post({ ...spanish, title: 'Doble', language: 'es', translations: [japanese, { ...japanese, title: '二度目' }] });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.code).toBe('validation_failed');
    const unknown = await post({ ...spanish, title: 'Desconocido', language: 'es', translations: [{ ...japanese, language: 'pt' }] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('validation_failed');
    const titles = await queryRows<{ title: string }>(db(), sql`SELECT title FROM appeal_updates WHERE title IN ('Propia', '既定の報告', 'Doble', 'Desconocido')`);
    expect(titles).toEqual([]);

    const later = await translate(updateId, 'es', { title: 'Otra vez', bodyMarkdown: 'x' });
    expect(later.statusCode).toBe(400);
    expect(later.json().error.code).toBe('appeal.update_translation_is_original');
    const path = await translate(updateId, 'pt', { title: 'Solidariedade', bodyMarkdown: 'x' });
    expect(path.statusCode).toBe(400);
    expect(path.json().error.code).toBe('validation_failed');
    expect((await storedTranslations(updateId)).map((t) => t.language)).toEqual(['en', 'ja']);
  });

  it("belongs to its appeal's organizers: another appeal's update is not found, and others may not write one", async () => {
    const theirs = await app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/updates', headers: { cookie: otherOrganizer }, payload: { title: 'Walls up', bodyMarkdown: 'x' } });
    expect(theirs.statusCode, theirs.body).toBe(201);
    expect((await translate(theirs.json().id, 'fr', { title: 'Les murs', bodyMarkdown: 'x' })).json().error.code).toBe('appeal.update_not_found');
    expect((await managed(theirs.json().id)).statusCode).toBe(404);
    expect((await translate(updateId, 'fr', { title: 'Solidarité', bodyMarkdown: 'x' }, {}, otherOrganizer)).statusCode).toBe(403);
    expect((await translate(updateId, 'fr', { title: 'Solidarité', bodyMarkdown: 'x' }, {}, null)).statusCode).toBe(401);
    expect((await storedTranslations(updateId)).map((t) => t.language)).toEqual(['en', 'ja']);
    expect(await storedTranslations(theirs.json().id)).toEqual([]);
  });
});

describe('the stale-HTML job', () => {
  it("renders a translation's text again, as it does the update's", async () => {
    const res = await post({ title: 'Nouvelles', bodyMarkdown: 'x', language: 'fr', translations: [{ language: 'de', title: 'Neues', bodyMarkdown: 'Ein **Gruß**.' }] });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id;
    await db().execute(sql`UPDATE appeal_update_translations SET body_html = 'old', body_html_version = 0 WHERE update_id = ${id}`);
    await renderStaleHtml(db(), { batchSize: 50, log: app.log });
    const [row] = await queryRows<{ body_html: string }>(db(), sql`SELECT body_html FROM appeal_update_translations WHERE update_id = ${id} AND language = 'de'`);
    expect(row!.body_html).toBe('<p>Ein <strong>Gruß</strong>.</p>\n');
  });
});
