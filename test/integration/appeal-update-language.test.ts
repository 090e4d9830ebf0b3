import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../db/client';
import { appealUpdates, appeals, organizations, outboxEmails } from '../../db/schema/index';
import { createTestDatabase } from '../helpers/db';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * An update is written in a language, which need not be its appeal's: an affiliate in Mexico posts
 * in Spanish on a Japanese appeal. Without one, the page marked a Spanish update lang="ja" (a screen
 * reader read it with a Japanese voice, and Arabic got no direction). The organizer says which,
 * the appeal's language unless she says otherwise, and the API hands it back with the update.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;
let appealId: string;

const db = () => h.testDb.database.db;
// Written in Japanese.
const slug = 'osaka-care-strike-fund';

const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: organizer }, payload });

const updatesTitled = (title: string) => db().select().from(appealUpdates).where(and(eq(appealUpdates.appealId, appealId), eq(appealUpdates.title, title)));

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [osaka] = await db().select().from(organizations).where(eq(organizations.slug, 'osaka-care-workers'));
  [{ appealId }] = (await db().select({ appealId: appeals.id }).from(appeals).where(eq(appeals.slug, slug))) as [{ appealId: string }];
  organizer = await signInAs(app, 'organizer@osaka.example.jp', { organizationId: osaka!.id, role: 'organizer' });
  const g = await h.donate(slug, { amountMinor: '3000', donorEmail: 'hana@example.jp', updatesOptIn: true });
  h.emulator.controls.payCheckoutSession(g.sessionId);
  await h.settle();
});

afterAll(async () => {
  await h?.close();
});

describe("an update's language", () => {
  it('is the one the organizer chose, stored and answered by the post and the public list', async () => {
    const res = await post({ title: 'Solidaridad desde Monterrey', bodyMarkdown: 'Los compañeros de Monterrey están con ustedes.', language: 'es' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().language).toBe('es');
    expect((await updatesTitled('Solidaridad desde Monterrey')).map((u) => u.language)).toEqual(['es']);
    const list = await app.inject({ url: `/api/appeals/${slug}/updates` });
    expect(list.json().updates.find((u: { id: string }) => u.id === res.json().id)?.language).toBe('es');
  });

  it("is the appeal's own when the organizer names none", async () => {
    const res = await post({ title: '第三週の報告', bodyMarkdown: 'ありがとうございます。' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().language).toBe('ja');
  });

  it('one the app does not write in is refused with 400 and a code, and posts and mails nothing', async () => {
    const mailsBefore = await db().select().from(outboxEmails).where(eq(outboxEmails.kind, 'appeal_update'));
    for (const language of ['pt', 'EN', 'es-MX', '', 7, null]) {
      const res = await post({ title: 'Nunca publicado', bodyMarkdown: 'Nada.', language });
      expect(res.statusCode, JSON.stringify(language)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toEqual(['/language']);
    }
    expect(await updatesTitled('Nunca publicado')).toEqual([]);
    expect(await db().select().from(outboxEmails).where(eq(outboxEmails.kind, 'appeal_update'))).toHaveLength(mailsBefore.length);
  });

  it("is part of what an idempotency key posted: the same words in another language are another update's (409)", async () => {
    const body = { title: 'Huelga', bodyMarkdown: 'Seguimos.', language: 'es', idempotencyKey: 'language-key-0001' };
    const first = await post(body);
    expect(first.statusCode, first.body).toBe(201);
    const again = await post(body);
    expect(again.json()).toEqual(first.json());
    const other = await post({ ...body, language: 'fr' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('appeal.update_idempotency_conflict');
  });
});

// During a deploy the version before still serves, and posts updates the way it knew: without a
// language. They failed on NOT NULL (a 500, the update neither saved nor mailed).
describe('an update posted by the version before', () => {
  it("takes its appeal's language", async () => {
    await db().execute(sql`INSERT INTO appeal_updates (appeal_id, title, body_markdown, body_html)
                          SELECT id, 'Posted mid-deploy', 'x', '<p>x</p>' FROM appeals WHERE slug = 'osaka-care-strike-fund'`);
    expect(await updatesTitled('Posted mid-deploy')).toEqual([expect.objectContaining({ language: 'ja' })]);
  });
});

describe('updates posted before languages', () => {
  /** The shipped migrations up to (not including) the one tagged `before`, in a folder of their own. */
  function migrationsBefore(before: string): string {
    const folder = mkdtempSync(join(tmpdir(), 'sf-migrations-'));
    cpSync(migrationsFolder, folder, { recursive: true });
    const journalPath = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
    const cut = journal.entries.findIndex((e) => e.tag === before);
    expect(cut, before).toBeGreaterThan(0);
    writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
    return folder;
  }

  it("are taken to be in their appeal's language", async () => {
    const bare = await createTestDatabase({ migrated: false });
    const earlier = migrationsBefore('0029_update_language');
    try {
      const { db: old } = bare.database;
      await migrate(old as never, { migrationsFolder: earlier });
      await old.execute(sql`INSERT INTO organizations (slug, name, kind, default_currency) VALUES ('osaka', 'Osaka', 'local', 'JPY')`);
      for (const [slug, language] of [['in-japanese', 'ja'], ['in-arabic', 'ar']]) {
        await old.execute(sql`INSERT INTO appeals (slug, organization_id, title, beneficiary, language, currency, goal_minor, status, published_at)
                              SELECT ${slug}, id, ${slug}, 'Strikers', ${language}, 'JPY', 100000, 'live', now() FROM organizations`);
        await old.execute(sql`INSERT INTO appeal_updates (appeal_id, title, body_markdown, body_html) SELECT id, ${`news of ${slug}`}, 'x', '<p>x</p>' FROM appeals WHERE slug = ${slug}`);
      }
      await bare.database.migrate();
      const rows = await bare.database.rows<{ title: string; language: string }>(sql`SELECT title, language FROM appeal_updates ORDER BY title`);
      expect(rows).toEqual([
        { title: 'news of in-arabic', language: 'ar' },
        { title: 'news of in-japanese', language: 'ja' },
      ]);
    } finally {
      rmSync(earlier, { recursive: true, force: true });
      await bare.drop();
    }
  });
});
