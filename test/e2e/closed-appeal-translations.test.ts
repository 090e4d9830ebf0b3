import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// A closed appeal's own text can no longer be edited, and its manage page offers no form for it;
// its translations and cover could still be changed there. They follow the appeal's rule now: a
// page drawn before the appeal closed is told so when it saves, and the page drawn after offers
// neither the translation forms nor a new cover, while still listing what there is.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  await e2e.db.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title) SELECT id, 'fr', 'Une brique à la fois' FROM appeals WHERE slug = 'buck-a-brick'`);
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const storedTitle = async () =>
  (await e2e.db.database.rows<{ title: string }>(sql`SELECT t.title FROM appeal_translations t JOIN appeals a ON a.id = t.appeal_id WHERE a.slug = 'buck-a-brick' AND t.language = 'fr'`))[0]?.title;

describe("a closed appeal's translations", () => {
  it('are refused from a page drawn before it closed, and offered no more after, without JavaScript', async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@ue222.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/buck-a-brick?translation=fr#translation-form`);
    await e2e.db.database.db.execute(sql`UPDATE appeals SET status = 'closed', closed_at = now(), closed_reason = 'manual' WHERE slug = 'buck-a-brick'`);

    const form = page.locator('#translation-form');
    await form.getByLabel('Title', { exact: true }).fill('Après la clôture');
    await form.getByRole('button', { name: 'Save translation' }).click();
    await page.locator('#translation-error').waitFor();
    expect(await page.locator('#translation-error').textContent()).toBe('A closed appeal cannot be edited.');
    expect(await storedTitle()).toBe('Une brique à la fois');

    await page.goto(`${e2e.url}/manage/appeals/buck-a-brick`);
    const panel = page.locator('section[aria-labelledby="translations-title"]');
    expect(await page.locator('#translation-form').count()).toBe(0);
    expect(await panel.locator('ul').textContent()).toContain('Une brique à la fois');
    expect(await panel.getByRole('link').count()).toBe(0);
    expect(await page.locator('form[action*="/cover"]').count()).toBe(0);
    await context.close();
  });
});
