import { eq, sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { appeals } from '../../db/schema/index';
import { postUpdate } from '../../server/appeals/manage-service';
import { signInContext } from './a11y-audit';
import { useE2E } from './harness';

// An update's translations, as the appeal's story has them: the organizer writes them on the manage
// page (with the update, so its mail goes to each donor in her language, or later, for the page), and
// a reader of one of those languages gets it, marked as a translation, with the original one click
// away. With and without JavaScript.
const e2e = useE2E();
const slug = 'osaka-care-strike-fund';
const spanish = { title: 'Solidaridad desde Monterrey', body: 'Los compañeros de Monterrey están con ustedes.' };
const japanese = { title: 'モンテレイからの連帯', body: 'モンテレイの仲間は皆さんと共にいます。' };
const english = { title: 'Solidarity from Monterrey', body: 'Our comrades in Monterrey stand with you.' };
/** The update the organizer posts from the manage page, with its Japanese translation. */
const posted = { title: 'Saludos desde Monterrey', body: 'Un abrazo solidario.' };
/** The update the manage page posted; the one the readers read, posted with its translations. */
let updateId = '';
let readUpdateId = '';

const storedLanguages = async () =>
  (await e2e.db.database.rows<{ language: string }>(sql`SELECT language FROM appeal_update_translations WHERE update_id = ${updateId} ORDER BY language`)).map((r) => r.language);

/** The update's title and text as the page shows them, each with the language it is marked with. */
async function shown(page: Page) {
  const article = page.locator(`#update-${readUpdateId}`);
  const title = article.getByRole('heading', { level: 3 });
  const body = article.locator('.story-html');
  return {
    title: [await title.textContent(), await title.getAttribute('lang')],
    body: [(await body.textContent())?.trim(), await body.getAttribute('lang')],
  };
}

describe("an update's translations, on the manage page", () => {
  it('are written with the update on the manage page, without JavaScript', async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@osaka.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    const form = page.locator('form[action^="?/update"]');
    await form.locator('select[name="language"]').selectOption('es');
    await form.locator('input[name="title"]').fill(posted.title);
    await form.locator('textarea[name="body"]').fill(posted.body);
    const inJapanese = form.locator('details', { has: page.locator('summary[lang="ja"]') });
    expect(await inJapanese.count(), 'the update form offers a Japanese translation').toBe(1);
    await inJapanese.locator('summary').click();
    await inJapanese.locator('input[name="translation-ja-title"]').fill(japanese.title);
    await inJapanese.locator('textarea[name="translation-ja-body"]').fill(japanese.body);
    await Promise.all([page.waitForURL(/#updates$/), form.locator('button[type="submit"]').click()]);
    await page.getByRole('status').filter({ hasText: 'Update posted' }).waitFor();
    [{ id: updateId }] = (await e2e.db.database.rows<{ id: string }>(sql`SELECT id::text FROM appeal_updates WHERE title = ${posted.title}`)) as [{ id: string }];
    expect(await storedLanguages()).toEqual(['ja']);
    await context.close();
  });

  // With JavaScript the translation into the update's own language is hidden once that language is
  // chosen; a hidden field is still sent, so what she had typed there refused the post, with nothing
  // in sight to fix.
  it("are not sent from the hidden section of the update's own language, with JavaScript", async () => {
    const context = await e2e.context();
    await signInContext(e2e, context, 'organizer@osaka.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`, { waitUntil: 'networkidle' });
    const form = page.locator('form[action^="?/update"]');
    const inFrench = form.locator('details', { has: page.locator('summary[lang="fr"]') });
    await inFrench.locator('summary').click();
    await inFrench.locator('input[name="translation-fr-title"]').fill('Salut de Lyon');
    await inFrench.locator('textarea[name="translation-fr-body"]').fill('Toute notre solidarité.');
    await form.locator('select[name="language"]').selectOption('fr');
    expect(await inFrench.isVisible(), "the update's own language offers no translation").toBe(false);
    await form.locator('input[name="title"]').fill('Salut de Lyon');
    await form.locator('textarea[name="body"]').fill('Toute notre solidarité, de Lyon.');
    await Promise.all([page.waitForURL(/#updates$/), form.locator('button[type="submit"]').click()]);
    await page.getByRole('status').filter({ hasText: 'Update posted' }).waitFor();
    const [stored] = await e2e.db.database.rows<{ language: string; translations: number }>(
      sql`SELECT u.language, (SELECT count(*)::int FROM appeal_update_translations t WHERE t.update_id = u.id) AS translations FROM appeal_updates u WHERE u.title = 'Salut de Lyon'`,
    );
    expect(stored).toEqual({ language: 'fr', translations: 0 });
    await context.close();
  });

  it('are added later from the list of posted updates, without JavaScript', async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@osaka.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    await page.locator('#updates li', { hasText: posted.title }).getByRole('link', { name: /^Translate/ }).click();
    const form = page.locator('form[action*="/translateUpdate"]');
    // Neither the update's own language nor the one it has are offered to add.
    expect(await form.locator('select[name="language"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['en', 'fr', 'de', 'sv', 'ar', 'ru']);
    await form.locator('select[name="language"]').selectOption('en');
    await form.locator('input[name="title"]').fill(english.title);
    await form.locator('textarea[name="body"]').fill(english.body);
    await form.locator('button[type="submit"]').click();
    await page.getByRole('status').filter({ hasText: 'The English translation was saved.' }).waitFor();
    expect(await storedLanguages()).toEqual(['en', 'ja']);
    await context.close();
  });
});

describe("an update's translations, on the appeal page", () => {
  beforeAll(async () => {
    const db = e2e.db.database.db;
    const [appeal] = await db.select().from(appeals).where(eq(appeals.slug, slug));
    const translations = [
      { language: 'ja', title: japanese.title, bodyMarkdown: japanese.body },
      { language: 'en', title: english.title, bodyMarkdown: english.body },
    ];
    readUpdateId = (await postUpdate(db, { appeal: appeal!, by: null, title: spanish.title, bodyMarkdown: spanish.body, language: 'es', translations, publicUrl: e2e.url })).id;
  });

  for (const javaScriptEnabled of [false, true]) {
    it(`are read by a Japanese reader ${javaScriptEnabled ? 'with' : 'without'} JavaScript: marked as one, the original a click away`, async () => {
      const context = await e2e.context({ language: 'ja-JP', javaScriptEnabled });
      const page = await context.newPage();
      await page.goto(`${e2e.url}/appeals/${slug}`, { waitUntil: 'networkidle' });
      const documents: string[] = [];
      page.on('request', (r) => r.resourceType() === 'document' && documents.push(r.url()));
      const article = page.locator(`#update-${readUpdateId}`);
      expect(await shown(page)).toEqual({ title: [japanese.title, 'ja'], body: [japanese.body, 'ja'] });
      expect(await article.getByTestId('update-translated').textContent()).toContain('スペイン語');

      await article.getByRole('link', { name: '原文を表示' }).click();
      await expect.poll(() => shown(page)).toEqual({ title: [spanish.title, 'es'], body: [spanish.body, 'es'] });
      expect(await article.getByTestId('update-translated').count()).toBe(0);
      // Without JavaScript the link is a page of its own, which a reload or a shared link keeps.
      if (!javaScriptEnabled) expect(new URL(page.url()).searchParams.getAll('original')).toEqual([readUpdateId]);

      await article.getByRole('link', { name: '翻訳を表示' }).click();
      await expect.poll(() => shown(page)).toEqual({ title: [japanese.title, 'ja'], body: [japanese.body, 'ja'] });
      // With JavaScript the toggle is the page's own: nothing is loaded again.
      expect(documents.length).toBe(javaScriptEnabled ? 0 : 2);
      await context.close();
    });
  }

  it('are read by an English reader in English; a French reader gets the Spanish, not called a translation', async () => {
    for (const [language, expected, translated] of [['en', { title: [english.title, 'en'], body: [english.body, 'en'] }, 1], ['fr', { title: [spanish.title, 'es'], body: [spanish.body, 'es'] }, 0]] as const) {
      const context = await e2e.context({ language, javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(`${e2e.url}/appeals/${slug}`);
      expect(await shown(page), language).toEqual(expected);
      expect(await page.locator(`#update-${readUpdateId}`).getByTestId('update-translated').count(), language).toBe(translated);
      await context.close();
    }
  });
});
