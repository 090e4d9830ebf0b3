import { eq, sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appeals } from '../../db/schema/index';
import { postUpdate } from '../../server/appeals/manage-service';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// Two organizers (or one in two tabs) edit one translation: the second save silently replaced the
// first, and could bring back a translation removed meanwhile. Now the second save is refused, the
// page says so, keeps what was typed, and shows the text saved meanwhile; saved again, it replaces
// that text knowingly. The same for a translation of an update, and for adding where one was just added.
let e2e: E2E;
let appealId = '';
let updateId = '';

beforeAll(async () => {
  e2e = await startE2E();
  const [row] = await e2e.db.database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
  appealId = row!.id;
  updateId = (await postUpdate(e2e.db.database.db, { appeal: row!, by: null, title: 'The first bricks', bodyMarkdown: 'They are in.', language: 'en', translations: [], publicUrl: e2e.url })).id;
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const stored = async (language: string) =>
  (await e2e.db.database.rows<{ title: string; summary: string }>(sql`SELECT title, summary FROM appeal_translations WHERE appeal_id = ${appealId} AND language = ${language}`))[0];
const storedOfUpdate = async (language: string) =>
  (await e2e.db.database.rows<{ title: string; body_markdown: string }>(sql`SELECT title, body_markdown FROM appeal_update_translations WHERE update_id = ${updateId} AND language = ${language}`))[0];
const translate = (language: string, title: string) => e2e.db.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title, summary) VALUES (${appealId}, ${language}, ${title}, 'Résumé')`);

async function twoTabs(javaScriptEnabled: boolean, path: string): Promise<[Page, Page, () => Promise<void>]> {
  const context = await e2e.context({ javaScriptEnabled });
  await signInContext(e2e, context, 'organizer@ue222.demo');
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) {
    await tab.goto(`${e2e.url}${path}`);
    if (javaScriptEnabled) await tab.waitForLoadState('networkidle');
  }
  return [tabs[0]!, tabs[1]!, () => context.close()];
}

describe("editing an appeal's translation in two tabs", () => {
  for (const [javaScriptEnabled, language] of [[true, 'fr'], [false, 'de']] as const) {
    const how = javaScriptEnabled ? '' : ', without JavaScript';
    it(`refuses the second save, keeps its text and shows the first${how}`, async () => {
      await translate(language, `Titre ${language}`);
      const [a, b, close] = await twoTabs(javaScriptEnabled, `/manage/appeals/buck-a-brick?translation=${language}#translation-form`);
      await a.bringToFront();
      await a.locator('#translation-form').getByLabel('Summary', { exact: true }).fill('Résumé de A');
      await a.locator('#translation-form textarea[name="story"]').fill('Histoire **de A**');
      await a.locator('#translation-form').getByRole('button', { name: 'Save translation' }).click();
      await a.getByText('translation was saved').waitFor();

      // Tab B, drawn before A saved, changes the title only.
      await b.bringToFront();
      const form = b.locator('#translation-form');
      await form.getByLabel('Title', { exact: true }).fill(`Titre de B (${language})`);
      await form.getByRole('button', { name: 'Save translation' }).click();
      await b.locator('#translation-error').waitFor();
      expect(await b.locator('#translation-error').textContent()).toContain('Someone else saved this translation meanwhile');
      expect(await stored(language)).toEqual({ title: `Titre ${language}`, summary: 'Résumé de A' });
      expect(await form.getByLabel('Title', { exact: true }).inputValue()).toBe(`Titre de B (${language})`);
      const savedNow = b.getByRole('group', { name: 'Saved now' });
      expect(await savedNow.textContent()).toContain('Résumé de A');
      // The story as the appeal page shows it (rendered, sanitized), not its Markdown source.
      expect(await savedNow.locator('.story-html strong').textContent()).toBe('de A');
      expect(await savedNow.textContent()).not.toContain('**');
      expect(await savedNow.locator('.story-html').getAttribute('lang')).toBe(language);

      // Seen, saved again: B's text replaces A's, knowingly.
      await form.getByRole('button', { name: 'Save translation' }).click();
      await b.getByText('translation was saved').waitFor();
      expect((await stored(language))?.title).toBe(`Titre de B (${language})`);
      await close();
    });

    it(`does not bring back a translation removed meanwhile${how}`, async () => {
      const other = javaScriptEnabled ? 'es' : 'sv';
      await translate(other, `Título ${other}`);
      const [, b, close] = await twoTabs(javaScriptEnabled, `/manage/appeals/buck-a-brick?translation=${other}#translation-form`);
      await e2e.db.database.db.execute(sql`DELETE FROM appeal_translations WHERE appeal_id = ${appealId} AND language = ${other}`);
      await b.bringToFront();
      const form = b.locator('#translation-form');
      await form.getByLabel('Title', { exact: true }).fill(`Otra vez (${other})`);
      await form.getByRole('button', { name: 'Save translation' }).click();
      await b.locator('#translation-error').waitFor();
      expect(await b.locator('#translation-error').textContent()).toContain('Someone else removed this translation meanwhile');
      expect(await stored(other)).toBeUndefined();
      // The form is the add form now, with the organizer's words; saved, it adds the translation again.
      expect(await form.locator('input[name="mode"]').getAttribute('value')).toBe('add');
      expect(await form.getByLabel('Title', { exact: true }).inputValue()).toBe(`Otra vez (${other})`);
      await form.getByRole('button', { name: 'Save translation' }).click();
      await b.getByText('translation was saved').waitFor();
      expect((await stored(other))?.title).toBe(`Otra vez (${other})`);
      await close();
    });
  }

  it('refuses adding a language another tab added meanwhile, and shows that one', async () => {
    const [, b, close] = await twoTabs(true, '/manage/appeals/buck-a-brick#translation-form');
    await translate('ja', 'レンガの家');
    await b.bringToFront();
    const form = b.locator('#translation-form');
    await form.locator('select[name="language"]').selectOption('ja');
    await form.getByLabel('Title', { exact: true }).fill('組合会館');
    await form.getByRole('button', { name: 'Save translation' }).click();
    await b.locator('#translation-error').waitFor();
    expect(await b.locator('#translation-error').textContent()).toContain('Someone else added a translation in this language meanwhile');
    expect((await stored('ja'))?.title).toBe('レンガの家');
    expect(await b.getByRole('group', { name: 'Saved now' }).textContent()).toContain('レンガの家');
    expect(await form.locator('input[name="mode"]').getAttribute('value')).toBe('edit');
    expect(await form.getByLabel('Title', { exact: true }).inputValue()).toBe('組合会館');
    await close();
  });
});

describe("editing an update's translation in two tabs", () => {
  for (const [javaScriptEnabled, language] of [[true, 'fr'], [false, 'de']] as const) {
    it(`refuses the second save and shows the first${javaScriptEnabled ? '' : ', without JavaScript'}`, async () => {
      await e2e.db.database.db.execute(
        sql`INSERT INTO appeal_update_translations (update_id, language, title, body_markdown, body_html) VALUES (${updateId}, ${language}, ${`Rubrik ${language}`}, 'Text', '<p>Text</p>')`,
      );
      const [a, b, close] = await twoTabs(javaScriptEnabled, `/manage/appeals/buck-a-brick?update=${updateId}&updateTranslation=${language}#update-translation-form`);
      await a.bringToFront();
      await a.locator('#update-translation-form textarea[name="body"]').fill('Text von A');
      await a.locator('#update-translation-form').getByRole('button', { name: 'Save translation' }).click();
      await a.getByText('translation was saved').waitFor();

      await b.bringToFront();
      const form = b.locator('#update-translation-form');
      await form.getByLabel('Title', { exact: true }).fill(`Rubrik von B (${language})`);
      await form.getByRole('button', { name: 'Save translation' }).click();
      await b.locator('#update-translation-error').waitFor();
      expect(await b.locator('#update-translation-error').textContent()).toContain('Someone else saved this translation meanwhile');
      expect(await storedOfUpdate(language)).toEqual({ title: `Rubrik ${language}`, body_markdown: 'Text von A' });
      expect(await form.getByLabel('Title', { exact: true }).inputValue()).toBe(`Rubrik von B (${language})`);
      expect(await b.getByRole('group', { name: 'Saved now' }).textContent()).toContain('Text von A');
      await close();
    });
  }
});
