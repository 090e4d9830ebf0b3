import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// An audit found one click on a translation's Remove deleting the whole translated story, with no
// undo: a misclick cost an organizer hours of a translator's work. Removing asks first, the way
// taking a role away does: the row's Remove is a link to a confirmation that names what is lost,
// whose button removes and whose Cancel keeps it, with and without JavaScript.
let e2e: E2E;
let appealId = '';
const titles = { fr: 'Un toit pour la maison syndicale', de: 'Ein Dach für das Gewerkschaftshaus' };

beforeAll(async () => {
  e2e = await startE2E();
  const [appeal] = await e2e.db.database.rows<{ id: string }>(sql`SELECT id FROM appeals WHERE slug = 'buck-a-brick'`);
  appealId = appeal!.id;
  for (const [language, title] of Object.entries(titles)) {
    await e2e.db.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title) VALUES (${appealId}, ${language}, ${title})`);
  }
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const stored = async (language: string) =>
  (await e2e.db.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appeal_translations WHERE appeal_id = ${appealId} AND language = ${language}`))[0]!.n;

describe('removing a translation asks first', () => {
  for (const [javaScriptEnabled, language, name] of [[true, 'fr', 'Français'], [false, 'de', 'Deutsch']] as const) {
    it(`${javaScriptEnabled ? 'with' : 'without'} JavaScript: Remove asks, Cancel keeps, confirming removes (${name})`, async () => {
      const title = titles[language];
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'organizer@ue222.demo');
      const page = await context.newPage();
      await page.goto(`${e2e.url}/manage/appeals/buck-a-brick`);
      await page.waitForLoadState('networkidle');
      const row = page.locator('section[aria-labelledby="translations-title"] li', { hasText: title });
      // The row's Remove, a button before and a link now: whichever it is, one press.
      const remove = row.locator('a, button', { hasText: 'Remove' });
      const confirm = page.getByRole('group', { name: 'Remove this translation?' });
      const removed = page.getByText(`The ${name} translation was removed.`);

      await remove.click();
      await Promise.race([confirm.waitFor(), removed.waitFor()]);
      expect(await stored(language), 'one click removed the translation').toBe(1);
      const asked = ((await confirm.textContent()) ?? '').replace(/\s+/g, ' ');
      expect(asked).toContain(name);
      expect(asked).toContain(title);
      // The title is marked with its language, so a screen reader reads it in that voice.
      expect(await confirm.locator(`[lang="${language}"]`, { hasText: title }).count()).toBe(1);

      await confirm.getByRole('link', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
      expect(await stored(language)).toBe(1);
      expect(await row.count()).toBe(1);

      await remove.click();
      await confirm.getByRole('button', { name: 'Remove the translation' }).click();
      await removed.waitFor();
      expect(await stored(language)).toBe(0);
      expect(await row.count()).toBe(0);
      expect(await confirm.count()).toBe(0);
      await context.close();
    });
  }
});
