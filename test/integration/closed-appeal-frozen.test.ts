import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { organizations } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * A closed appeal's own title, summary and story cannot be edited (409 appeal.closed), but its
 * translations and its cover could still be added, replaced and removed: what readers of a closed
 * drive saw could change after it ended. They follow the appeal's rule now; its updates, which may
 * still be posted after closing (a thank-you), keep their translations editable.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;
const slug = 'ended-drive';
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const db = () => h.testDb.database.db;
const send = (method: 'PUT' | 'DELETE' | 'POST', path: string, payload?: Record<string, unknown>) =>
  app.inject({ method, url: `/api/appeals/${slug}${path}`, headers: { cookie: organizer }, ...(payload ? { payload } : {}) });
const translations = () => queryRows<{ language: string; title: string }>(db(), sql`SELECT t.language, t.title FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = ${slug} ORDER BY t.language`);
const coverId = async () => (await queryRows<{ cover_image_id: string | null }>(db(), sql`SELECT cover_image_id FROM appeals WHERE slug = ${slug}`))[0]!.cover_image_id;
const setCover = () => app.inject({ method: 'PUT', url: `/api/appeals/${slug}/cover`, headers: { cookie: organizer, 'content-type': 'image/png' }, payload: png });

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [ue222] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  organizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: ue222!.id, role: 'organizer' });
  const created = await app.inject({
    method: 'POST',
    url: '/api/organizations/ue-local-222/appeals',
    headers: { cookie: organizer },
    payload: { slug, title: 'An ended drive', beneficiary: 'Strikers', currency: 'USD', goalMinor: '100000' },
  });
  expect(created.statusCode, created.body).toBe(201);
  expect((await send('POST', '/publish')).statusCode).toBe(200);
  expect((await send('PUT', '/translations/fr', { title: 'Une collecte finie' })).statusCode).toBe(200);
  expect((await setCover()).statusCode).toBe(204);
  expect((await send('POST', '/close')).statusCode).toBe(200);
});

afterAll(async () => {
  await h?.close();
});

describe('a closed appeal', () => {
  it('refuses its own edit, and so the translations: adding, replacing, removing', async () => {
    expect((await app.inject({ method: 'PATCH', url: `/api/appeals/${slug}`, headers: { cookie: organizer }, payload: { title: 'Reopened?' } })).statusCode).toBe(409);
    const refused = [
      await send('PUT', '/translations/de', { title: 'Neu nach dem Ende' }),
      await send('PUT', '/translations/fr', { title: 'Remplacée après la fin' }),
      await send('DELETE', '/translations/fr'),
    ];
    expect(refused.map((r) => [r.statusCode, r.json().error?.code])).toEqual([
      [409, 'appeal.closed'],
      [409, 'appeal.closed'],
      [409, 'appeal.closed'],
    ]);
    expect(await translations()).toEqual([{ language: 'fr', title: 'Une collecte finie' }]);
  });

  it('refuses a new cover', async () => {
    const before = await coverId();
    const res = await setCover();
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('appeal.closed');
    expect(await coverId()).toBe(before);
  });
});
