import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// Without JavaScript, an edit of a translation that was refused (a title too short) came back as
// the "Add a translation" form: the organizer fixed the title, saved, and was told the language
// "was translated meanwhile, perhaps in another tab", and the fix was not saved. The page drawn
// after a refusal is the same translation's edit form, and the corrected save saves.
let e2e: E2E;
let appealId = '';

beforeAll(async () => {
  e2e = await startE2E();
  const [appeal] = await e2e.db.database.rows<{ id: string }>(sql`SELECT id FROM appeals WHERE slug = 'buck-a-brick'`);
  appealId = appeal!.id;
  for (const language of ['fr', 'de']) {
    await e2e.db.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title) VALUES (${appealId}, ${language}, ${`Titre ${language}`})`);
  }
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

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
});
