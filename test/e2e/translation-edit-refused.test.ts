import { eq, sql } from 'drizzle-orm';
import { appeals } from '../../db/schema/index';
import { postUpdate } from '../../server/appeals/manage-service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// Without JavaScript, an edit of a translation that was refused (a title too short) came back as
// the "Add a translation" form: the organizer fixed the title, saved, and was told the language
// "was translated meanwhile, perhaps in another tab", and the fix was not saved. The page drawn
// after a refusal is the same translation's edit form, and the corrected save saves.
let e2e: E2E;
let appealId = '';
let updateId = '';

beforeAll(async () => {
  e2e = await startE2E();
  const [appeal] = await e2e.db.database.rows<{ id: string }>(sql`SELECT id FROM appeals WHERE slug = 'buck-a-brick'`);
  appealId = appeal!.id;
  for (const language of ['fr', 'de']) {
    await e2e.db.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title) VALUES (${appealId}, ${language}, ${`Titre ${language}`})`);
  }
  // The demo update, translated into Swedish and Russian (neither is the language it is written in).
  const [row] = await e2e.db.database.db.select().from(appeals).where(eq(appeals.id, appealId));
  const translations = ['sv', 'ru'].map((language) => ({ language, title: `Rubrik ${language}`, bodyMarkdown: 'Text' }));
  updateId = (await postUpdate(e2e.db.database.db, { appeal: row!, by: null, title: 'The first bricks', bodyMarkdown: 'They are in.', language: 'en', translations, publicUrl: e2e.url })).id;
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const storedUpdateTitle = async (language: string) =>
  (await e2e.db.database.rows<{ title: string }>(sql`SELECT title FROM appeal_update_translations WHERE update_id = ${updateId} AND language = ${language}`))[0]?.title;

const storedTitle = async (language: string) =>
  (await e2e.db.database.rows<{ title: string }>(sql`SELECT title FROM appeal_translations WHERE appeal_id = ${appealId} AND language = ${language}`))[0]?.title;

describe('editing a translation after a refusal', () => {
  for (const [javaScriptEnabled, language, name] of [[false, 'fr', 'Français'], [true, 'de', 'Deutsch']] as const) {
    it(`keeps editing the ${name} translation${javaScriptEnabled ? '' : ', without JavaScript'}`, async () => {
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'organizer@ue222.demo');
      const page = await context.newPage();
      await page.goto(`${e2e.url}/manage/appeals/buck-a-brick?translation=${language}#translation-form`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');
      const form = page.locator('#translation-form');
      await form.getByLabel('Title', { exact: true }).fill('Un');
      await form.getByRole('button', { name: 'Save translation' }).click();
      await page.locator('#translation-error').waitFor();
      expect(await page.locator('#translation-error').textContent()).toBe('Give a title of at least 3 characters.');
      expect(await form.locator('input[name="mode"]').getAttribute('value')).toBe('edit');
      expect(await form.locator('h3').textContent()).toContain(name);

      await form.getByLabel('Title', { exact: true }).fill(`Un titre corrigé (${language})`);
      await form.getByRole('button', { name: 'Save translation' }).click();
      await page.getByText('translation was saved').waitFor();
      expect(await storedTitle(language)).toBe(`Un titre corrigé (${language})`);
      await context.close();
    });
  }

  // The same for a translation of an update, whose form kept ?update= but not ?updateTranslation=.
  for (const [javaScriptEnabled, language, name] of [[false, 'sv', 'Svenska'], [true, 'ru', 'Русский']] as const) {
    it(`keeps editing the update's ${name} translation${javaScriptEnabled ? '' : ', without JavaScript'}`, async () => {
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'organizer@ue222.demo');
      const page = await context.newPage();
      await page.goto(`${e2e.url}/manage/appeals/buck-a-brick?update=${updateId}&updateTranslation=${language}#update-translation-form`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');
      const form = page.locator('#update-translation-form');
      await form.getByLabel('Title', { exact: true }).fill('Ny');
      await form.getByRole('button', { name: 'Save translation' }).click();
      await page.locator('#update-translation-error').waitFor();
      expect(await form.locator('input[name="mode"]').getAttribute('value')).toBe('edit');
      expect(await form.locator('h4').textContent()).toContain(name);

      await form.getByLabel('Title', { exact: true }).fill(`Rättad rubrik (${language})`);
      await form.getByRole('button', { name: 'Save translation' }).click();
      await page.getByText('translation was saved').waitFor();
      expect(await storedUpdateTitle(language)).toBe(`Rättad rubrik (${language})`);
      await context.close();
    });
  }
});
