import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// An organizer who set the appeal's language to one it has a translation into was told "Changes
// saved" and left with two texts in that language, the translation hiding the original from its
// readers. The save is refused, and the form says why beside the language, in the organizer's words.
let e2e: E2E;
let appealId = '';

beforeAll(async () => {
  e2e = await startE2E();
  const [appeal] = await e2e.db.database.rows<{ id: string }>(sql`SELECT id FROM appeals WHERE slug = 'buck-a-brick'`);
  appealId = appeal!.id;
  await e2e.db.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title) VALUES (${appealId}, 'fr', 'Une brique, un dollar')`);
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const language = async () => (await e2e.db.database.rows<{ language: string }>(sql`SELECT language FROM appeals WHERE id = ${appealId}`))[0]!.language;

describe("changing an appeal's language to one it is translated into", () => {
  for (const javaScriptEnabled of [true, false]) {
    it(`is refused beside the language${javaScriptEnabled ? '' : ', without JavaScript'}`, async () => {
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'organizer@ue222.demo');
      const page = await context.newPage();
      await page.goto(`${e2e.url}/manage/appeals/buck-a-brick`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');
      const form = page.locator('#appeal-form');
      await form.getByLabel('Language', { exact: true }).selectOption('fr');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await form.locator('#language-error').waitFor();
      expect(await form.locator('#language-error').textContent()).toBe(
        'This appeal has a translation in Français. Remove that translation first, then change the appeal’s language. Your other changes were not saved either.',
      );
      expect(await form.getByLabel('Language', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByTestId('saved').count()).toBe(0);
      expect(await language()).toBe('en');
      await context.close();
    });
  }
});
