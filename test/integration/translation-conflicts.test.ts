import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { organizations } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * Two organizers editing one translation (of the appeal, or of an update) used to be last write
 * wins: the later save silently replaced the earlier one, and could bring back a translation the
 * other had removed meanwhile. An edit now says which translation it replaces (`from`, the text as
 * read); one changed or removed by then is refused with 409 and nothing is written.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;

const db = () => h.testDb.database.db;
// Written in Japanese, without a unit of giving.
const slug = 'osaka-care-strike-fund';

const put = (url: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) => app.inject({ method: 'PUT', url, headers: { cookie: organizer, ...headers }, payload });
const remove = (url: string) => app.inject({ method: 'DELETE', url, headers: { cookie: organizer } });
const refusal = (res: { statusCode: number; json: () => { error?: { code?: string; details?: unknown } } }) => [res.statusCode, res.json().error?.code, res.json().error?.details];

const appealTranslation = async (language: string) =>
  (await queryRows<{ title: string; summary: string }>(db(), sql`SELECT t.title, t.summary FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = ${slug} AND t.language = ${language}`))[0];
const updateTranslation = async (updateId: string, language: string) =>
  (await queryRows<{ title: string; body_markdown: string }>(db(), sql`SELECT title, body_markdown FROM appeal_update_translations WHERE update_id = ${updateId} AND language = ${language}`))[0];

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [osaka] = await db().select().from(organizations).where(eq(organizations.slug, 'osaka-care-workers'));
  organizer = await signInAs(app, 'organizer@osaka.example.jp', { organizationId: osaka!.id, role: 'organizer' });
});

afterAll(async () => {
  await h?.close();
});

describe("an appeal's translation edited by two organizers", () => {
  const url = (language: string) => `/api/appeals/${slug}/translations/${language}`;
  const read = { title: 'Grève des soignants', summary: 'Ensemble', storyMarkdown: 'Le récit.', unitName: null };

  it('replaces the translation as read, and refuses one changed meanwhile', async () => {
    expect((await put(url('fr'), read, { 'if-none-match': '*' })).statusCode).toBe(200);
    // Organizer A saves first, from the text both read.
    const a = await put(url('fr'), { ...read, summary: 'Ensemble, de A', from: read });
    expect(a.statusCode, a.body).toBe(200);
    // Organizer B, who read the same text, saves the title only: refused, A's summary kept.
    const b = await put(url('fr'), { ...read, title: 'Titre de B', from: read });
    expect(refusal(b)).toEqual([409, 'appeal.translation_changed', { language: 'fr' }]);
    expect(await appealTranslation('fr')).toEqual({ title: read.title, summary: 'Ensemble, de A' });
    // Read again, B replaces it knowingly.
    const again = await put(url('fr'), { ...read, title: 'Titre de B', from: { ...read, summary: 'Ensemble, de A' } });
    expect(again.statusCode, again.body).toBe(200);
    expect(await appealTranslation('fr')).toEqual({ title: 'Titre de B', summary: 'Ensemble' });
  });

  it('does not bring back a translation removed meanwhile', async () => {
    const german = { title: 'Streik der Pflegekräfte', summary: '', storyMarkdown: '', unitName: null };
    expect((await put(url('de'), german, { 'if-none-match': '*' })).statusCode).toBe(200);
    expect((await remove(url('de'))).statusCode).toBe(200);
    const edit = await put(url('de'), { ...german, title: 'Noch da?', from: german });
    expect(refusal(edit)).toEqual([409, 'appeal.translation_removed', { language: 'de' }]);
    expect(await appealTranslation('de')).toBeUndefined();
  });

  it('refuses adding where another organizer added one first, and asking to add and replace at once', async () => {
    const first = { title: 'Huelga de cuidadoras', summary: 'Primera', storyMarkdown: '', unitName: null };
    expect((await put(url('es'), first, { 'if-none-match': '*' })).statusCode).toBe(200);
    const second = await put(url('es'), { ...first, summary: 'Segunda' }, { 'if-none-match': '*' });
    expect(refusal(second)[0]).toBe(412);
    expect(refusal(second)[1]).toBe('appeal.translation_exists');
    expect((await appealTranslation('es'))?.summary).toBe('Primera');
    const both = await put(url('es'), { ...first, summary: 'Ambas', from: first }, { 'if-none-match': '*' });
    expect(refusal(both).slice(0, 2)).toEqual([400, 'appeal.translation_from_with_create_only']);
    expect((await appealTranslation('es'))?.summary).toBe('Primera');
  });
});

describe("an update's translation edited by two organizers", () => {
  let updateId = '';
  const url = (language: string) => `/api/appeals/${slug}/updates/${updateId}/translations/${language}`;
  const read = { title: 'Rapport de la semaine', bodyMarkdown: 'Trois cents présents.' };

  beforeAll(async () => {
    const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: organizer }, payload: { title: '第三週の報告', bodyMarkdown: '300人が参加しました。' } });
    expect(res.statusCode, res.body).toBe(201);
    updateId = res.json().id;
  });

  it('replaces the translation as read, and refuses one changed meanwhile', async () => {
    expect((await put(url('fr'), read, { 'if-none-match': '*' })).statusCode).toBe(200);
    const a = await put(url('fr'), { title: read.title, bodyMarkdown: 'Trois cents présents (A).', from: read });
    expect(a.statusCode, a.body).toBe(200);
    const b = await put(url('fr'), { title: 'Titre de B', bodyMarkdown: read.bodyMarkdown, from: read });
    expect(refusal(b)).toEqual([409, 'appeal.update_translation_changed', { language: 'fr' }]);
    expect(await updateTranslation(updateId, 'fr')).toEqual({ title: read.title, body_markdown: 'Trois cents présents (A).' });
  });

  it('does not bring back a translation removed meanwhile', async () => {
    const german = { title: 'Bericht der Woche', bodyMarkdown: 'Dreihundert.' };
    expect((await put(url('de'), german, { 'if-none-match': '*' })).statusCode).toBe(200);
    expect((await remove(url('de'))).statusCode).toBe(200);
    const edit = await put(url('de'), { ...german, title: 'Noch da?', from: german });
    expect(refusal(edit)).toEqual([409, 'appeal.update_translation_removed', { language: 'de' }]);
    expect(await updateTranslation(updateId, 'de')).toBeUndefined();
  });

  it('refuses adding where another organizer added one first, and asking to add and replace at once', async () => {
    const first = { title: 'Informe semanal', bodyMarkdown: 'Primera.' };
    expect((await put(url('es'), first, { 'if-none-match': '*' })).statusCode).toBe(200);
    const second = await put(url('es'), { ...first, bodyMarkdown: 'Segunda.' }, { 'if-none-match': '*' });
    expect(refusal(second).slice(0, 2)).toEqual([412, 'appeal.update_translation_exists']);
    const both = await put(url('es'), { ...first, bodyMarkdown: 'Ambas.', from: first }, { 'if-none-match': '*' });
    expect(refusal(both).slice(0, 2)).toEqual([400, 'appeal.update_translation_from_with_create_only']);
    expect((await updateTranslation(updateId, 'es'))?.body_markdown).toBe('Primera.');
  });
});

describe('the OpenAPI document', () => {
  it('describes `from` on both translation edits, and their 409', async () => {
    const doc = (await app.inject({ url: '/api/docs/json' })).json();
    for (const path of ['/api/appeals/{slug}/translations/{language}', '/api/appeals/{slug}/updates/{updateId}/translations/{language}']) {
      const put = doc.paths[path].put;
      expect(put.requestBody.content['application/json'].schema.properties.from.description).toMatch(/409 appeal\.(update_)?translation_changed/);
      expect(Object.keys(put.responses)).toContain('409');
    }
  });
});
