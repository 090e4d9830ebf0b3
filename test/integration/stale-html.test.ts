import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client';
import { seedDemoData } from '../../db/seed';
import { buildApp } from '../../server/app';
import { renderMarkdown } from '../../server/content/markdown';
import { renderStaleHtml } from '../../server/content/stale-html';
import { startJobs } from '../../server/jobs';
import { testConfig } from '../helpers/config';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { holdLock } from '../helpers/row-lock';

// Stories and updates are rendered to HTML when saved. fee23c0 changed the renderer (a picture from
// another site became a link named by its description instead of vanishing), but what was saved
// before kept the old renderer's HTML until its organizer edited it: the same markdown read two
// ways, depending on when it was saved. The HTML now follows the renderer, rendered again in the
// background, a batch at a time, by as many processes as run.

let testDb: TestDatabase;
let app: FastifyInstance;
const silent = pino({ level: 'silent' });
const db = () => testDb.database.db;

// A story with a picture from another site, and the HTML the renderer before fee23c0 saved for it.
const story = 'Our hall in 1998: ![The hall in 1998](https://example.org/hall.jpg)';
const oldHtml = '<p>Our hall in 1998: </p>';
const newLink = '<a href="https://example.org/hall.jpg" rel="nofollow noopener noreferrer ugc">The hall in 1998</a>';

beforeAll(async () => {
  testDb = await createTestDatabase();
  await seedDemoData(db());
  app = await buildApp({ config: testConfig(), database: testDb.database });
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

/** A live appeal saved before the change (written as it was: no render version), with a French translation and an update. */
async function savedBefore(slug: string, on = db()) {
  await on.execute(sql`
    INSERT INTO appeals (slug, organization_id, title, beneficiary, currency, goal_minor, status, published_at, story_markdown, story_html)
    SELECT ${slug}, o.id, 'The old hall', 'UE Local 222', 'USD', 100000, 'live', now(), ${story}, ${oldHtml} FROM organizations o WHERE o.slug = 'ue-local-222'`);
  await on.execute(sql`
    INSERT INTO appeal_translations (appeal_id, language, title, story_markdown, story_html)
    SELECT id, 'fr', 'La vieille maison', ${story}, ${oldHtml} FROM appeals WHERE slug = ${slug}`);
  await on.execute(sql`
    INSERT INTO appeal_updates (appeal_id, language, title, body_markdown, body_html)
    SELECT id, language, 'Then and now', ${story}, ${oldHtml} FROM appeals WHERE slug = ${slug}`);
}

/** What a reader of the appeal is served: the story, its French translation, its update. */
async function served(slug: string) {
  // Not the second-long cache of public appeals: what the database holds now.
  app.appealLive.cache.clear();
  const appeal = (await app.inject(`/api/appeals/${slug}`)).json();
  const updates = (await app.inject(`/api/appeals/${slug}/updates`)).json().updates;
  return { story: appeal.storyHtml, fr: appeal.translations.find((t: { language: string }) => t.language === 'fr')?.storyHtml, update: updates[0]?.bodyHtml };
}

const updatesLeft = async (database: Database, slug: string) =>
  (await database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appeal_updates u JOIN appeals a ON a.id = u.appeal_id WHERE a.slug = ${slug} AND u.body_html = ${oldHtml}`))[0]!.n;

describe('HTML an older renderer saved', () => {
  it('is none of what this renderer saved', async () => {
    expect(await renderStaleHtml(db(), { batchSize: 50, log: silent })).toEqual({ rendered: 0, more: false });
  });

  it('is rendered again by the current renderer once the jobs start, story, translation and update alike', async () => {
    await savedBefore('old-hall');
    expect(await served('old-hall')).toEqual({ story: oldHtml, fr: oldHtml, update: oldHtml });
    const jobs = startJobs({ database: testDb.database, config: testConfig(), log: silent });
    try {
      const now = renderMarkdown(story);
      expect(now).toContain(newLink);
      await expect.poll(() => served('old-hall'), { timeout: 10_000 }).toEqual({ story: now, fr: now, update: now });
    } finally {
      await jobs.stop();
    }
  });

  it('is shared out between processes a batch at a time, each row once, every row in the end', async () => {
    await savedBefore('many-updates');
    await db().execute(sql`
      INSERT INTO appeal_updates (appeal_id, language, title, body_markdown, body_html)
      SELECT a.id, a.language, 'News ' || i, ${story}, ${oldHtml} FROM appeals a, generate_series(1, 120) AS i WHERE a.slug = 'many-updates'`);
    // Counts each time a row's HTML is written, as a second process would not see.
    await db().execute(sql`CREATE TABLE rerendered (id uuid NOT NULL)`);
    await db().execute(sql`CREATE FUNCTION count_rerender() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO rerendered VALUES (NEW.id); RETURN NEW; END $$`);
    await db().execute(sql`CREATE TRIGGER count_rerender AFTER UPDATE OF body_html_version ON appeal_updates FOR EACH ROW EXECUTE FUNCTION count_rerender()`);
    const other = await openDatabase({ databaseUrl: testDb.url, poolMax: 2 });
    try {
      const drain = async (database: Database) => {
        for (let round = 0; round < 100; round++) if (!(await renderStaleHtml(database.db, { batchSize: 10, log: silent })).more) return;
      };
      await Promise.all([drain(testDb.database), drain(other)]);
      expect(await updatesLeft(testDb.database, 'many-updates')).toBe(0);
      const [counts] = await testDb.database.rows<{ rows: number; writes: number }>(sql`SELECT count(DISTINCT id)::int AS rows, count(*)::int AS writes FROM rerendered`);
      expect(counts).toEqual({ rows: 121, writes: 121 });
    } finally {
      await other.close();
      await db().execute(sql`DROP TRIGGER count_rerender ON appeal_updates`);
    }
  });

  it('leaves a row being edited to its edit, without waiting for it, and renders it once it is free', async () => {
    await savedBefore('being-edited');
    const edit = await holdLock(testDb.url, 'SELECT 1 FROM appeals WHERE slug = $1 FOR UPDATE', ['being-edited']);
    try {
      const startedMs = Date.now();
      await renderStaleHtml(db(), { batchSize: 50, log: silent });
      expect(Date.now() - startedMs).toBeLessThan(5_000);
      expect((await served('being-edited')).story).toBe(oldHtml);
      expect((await served('being-edited')).update).toContain(newLink);
      await edit.release();
    } finally {
      await edit.end();
    }
    await renderStaleHtml(db(), { batchSize: 50, log: silent });
    expect((await served('being-edited')).story).toContain(newLink);
  });

  // A gift's insert holds a key-share lock on its appeal until its batch commits: an appeal receiving
  // gifts all day would be skipped round after round, and the poster's batches would wait on ours.
  it('renders an appeal a gift is being written for meanwhile, without either waiting', async () => {
    await savedBefore('receiving-gifts');
    const gift = await holdLock(testDb.url, 'SELECT 1 FROM appeals WHERE slug = $1 FOR KEY SHARE', ['receiving-gifts']);
    try {
      const startedMs = Date.now();
      await renderStaleHtml(db(), { batchSize: 50, log: silent });
      expect(Date.now() - startedMs).toBeLessThan(5_000);
      await gift.release();
    } finally {
      await gift.end();
    }
    expect((await served('receiving-gifts')).story).toContain(newLink);
  });

  it("renders the other tables' rows when one table's batch fails, and then says it failed", async () => {
    await savedBefore('failing-story');
    await db().execute(sql`CREATE FUNCTION refuse_story() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
    await db().execute(sql`CREATE TRIGGER refuse_story BEFORE UPDATE OF story_html_version ON appeals FOR EACH ROW EXECUTE FUNCTION refuse_story()`);
    try {
      await expect(renderStaleHtml(db(), { batchSize: 50, log: silent })).rejects.toThrow(/UPDATE "appeals"/);
      expect(await served('failing-story')).toEqual({ story: oldHtml, fr: renderMarkdown(story), update: renderMarkdown(story) });
    } finally {
      await db().execute(sql`DROP TRIGGER refuse_story ON appeals`);
    }
    await renderStaleHtml(db(), { batchSize: 50, log: silent });
    expect((await served('failing-story')).story).toContain(newLink);
  });

  // Markdown saved once that this renderer refuses (nested past what it can draw) must not hold up
  // the rows behind it by being tried again at every batch.
  it('keeps the saved HTML of markdown the renderer now refuses, and goes on', async () => {
    await savedBefore('too-deep');
    await db().execute(sql`UPDATE appeals SET story_markdown = ${`${'>'.repeat(3_000)} x`} WHERE slug = 'too-deep'`);
    expect((await renderStaleHtml(db(), { batchSize: 1, log: silent })).rendered).toBeGreaterThan(0);
    for (let round = 0; round < 10 && (await renderStaleHtml(db(), { batchSize: 1, log: silent })).more; round++);
    expect(await served('too-deep')).toEqual({ story: oldHtml, fr: renderMarkdown(story), update: renderMarkdown(story) });
    expect((await renderStaleHtml(db(), { batchSize: 1, log: silent })).rendered).toBe(0);
  });
});

// Embedded mode runs the same job on PGlite's one connection.
describe('on PGlite', () => {
  let dataDir: string;
  let embedded: Database;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sf-stale-html-'));
    embedded = await openDatabase({ dataDir });
    await embedded.migrate();
    await seedDemoData(embedded.db);
  }, 60_000);

  afterAll(async () => {
    await embedded?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('renders again what an older renderer saved', async () => {
    expect(embedded.driver).toBe('pglite');
    await savedBefore('old-hall', embedded.db);
    expect(await renderStaleHtml(embedded.db, { batchSize: 50, log: silent })).toEqual({ rendered: 3, more: false });
    const html = await embedded.rows<{ html: string }>(sql`
      SELECT story_html AS html FROM appeals WHERE slug = 'old-hall'
      UNION ALL SELECT t.story_html FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = 'old-hall'
      UNION ALL SELECT u.body_html FROM appeal_updates u JOIN appeals a ON a.id = u.appeal_id WHERE a.slug = 'old-hall'`);
    expect(html.map((r) => r.html)).toEqual([renderMarkdown(story), renderMarkdown(story), renderMarkdown(story)]);
  });
});
