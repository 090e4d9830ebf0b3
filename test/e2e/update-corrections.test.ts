import { eq, sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { appealUpdates, appeals } from '../../db/schema/index';
import { postUpdate } from '../../server/appeals/manage-service';
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { signInContext } from './a11y-audit';
import { useE2E } from './harness';

// An organizer who posted an update marked with the wrong language (Arabic text posted as
// Japanese: read with a Japanese voice, left to right) could not correct it, and a translation of
// an update could not be removed. On the manage page, without JavaScript, in Japanese: she
// corrects the language, is told to remove a translation in the way first and does, through the
// same confirmation as the appeal's own translations; the appeal page then marks the update with
// its language and direction, and shows no removed translation. The panel says a translation
// added now reaches the page only: the update's mail went once, when it was posted.
const e2e = useE2E();
const slug = 'osaka-care-strike-fund';
const arabic = { title: 'تضامن من عمال الرعاية في عمّان', body: 'نقف معكم حتى النصر.' };
const spanish = { title: 'Solidaridad desde Monterrey', body: 'Los compañeros de Monterrey están con ustedes.' };
const japanese = { title: 'モンテレイからの連帯', body: 'モンテレイの仲間は皆さんと共にいます。' };
/** Another Spanish update, one whose Japanese translation is removed. */
const greetings = { title: 'Saludos desde Monterrey', body: 'Un abrazo solidario de los compañeros de Monterrey.' };

/** Posted as the service posts it: `language` is what the organizer said, right or wrong. */
async function posted(text: { title: string; body: string }, language: string, translations: { language: string; title: string; bodyMarkdown: string }[] = []): Promise<string> {
  const db = e2e.db.database.db;
  const [appeal] = await db.select().from(appeals).where(eq(appeals.slug, slug));
  return (await postUpdate(db, { appeal: appeal!, by: null, title: text.title, bodyMarkdown: text.body, language, translations, publicUrl: e2e.url })).id;
}

const stored = async (updateId: string) =>
  (
    await e2e.db.database.rows<{ language: string; translations: string[] }>(
      sql`SELECT u.language, coalesce((SELECT array_agg(t.language ORDER BY t.language) FROM appeal_update_translations t WHERE t.update_id = u.id), '{}') AS translations FROM appeal_updates u WHERE u.id = ${updateId}`,
    )
  )[0];

/** A Japanese organizer's browser, without JavaScript, on the update's panel of the manage page. */
async function organizerOn(updateTitle: string, link = ja.update_language_link, javaScriptEnabled = false): Promise<{ context: BrowserContext; page: Page }> {
  const context = await e2e.context({ language: 'ja-JP', javaScriptEnabled });
  await signInContext(e2e, context, 'organizer@osaka.demo');
  const page = await context.newPage();
  await page.goto(`${e2e.url}/manage/appeals/${slug}`);
  await page.locator('#updates li', { hasText: updateTitle }).getByRole('link', { name: new RegExp(`^${link}`) }).click();
  return { context, page };
}

/** The update's title and text on the appeal page, as a Japanese reader gets them, with their marks. */
async function readerSees(updateId: string) {
  const context = await e2e.context({ language: 'ja-JP', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${e2e.url}/appeals/${slug}`);
  const article = page.locator(`#update-${updateId}`);
  const title = article.getByRole('heading', { level: 3 });
  const body = article.locator('.story-html');
  const seen = {
    title: [await title.textContent(), await title.getAttribute('lang'), await title.getAttribute('dir')],
    body: [(await body.textContent())?.trim(), await body.getAttribute('lang'), await body.getAttribute('dir')],
    translated: await article.getByTestId('update-translated').count(),
  };
  await context.close();
  return seen;
}

describe("correcting an update's language on the manage page, without JavaScript", () => {
  it('marks an Arabic update posted as Japanese Arabic; the appeal page reads it right to left', async () => {
    const updateId = await posted(arabic, 'ja');
    expect((await readerSees(updateId)).title).toEqual([arabic.title, 'ja', 'ltr']);
    const { context, page } = await organizerOn(arabic.title);
    const form = page.locator('form#update-language');
    expect(await form.locator('select[name="to"]').inputValue(), 'the form starts from the language the update has').toBe('ja');
    await form.locator('select[name="to"]').selectOption('ar');
    await form.getByRole('button', { name: ja.update_language_submit }).click();
    await page.getByRole('status').filter({ hasText: ja.update_language_saved.replace('{language}', 'العربية') }).waitFor();
    expect(await stored(updateId)).toEqual({ language: 'ar', translations: [] });
    expect(await page.locator('form#update-language select[name="to"]').inputValue()).toBe('ar');
    await context.close();
    expect(await readerSees(updateId)).toEqual({ title: [arabic.title, 'ar', 'rtl'], body: [arabic.body, 'ar', 'rtl'], translated: 0 });
  });

  it('is refused into a language the update has a translation in, with the way to remove it; then goes through', async () => {
    const updateId = await posted(spanish, 'ja', [{ language: 'es', title: 'Solidaridad (traducción)', bodyMarkdown: 'x' }]);
    const { context, page } = await organizerOn(spanish.title);
    await page.locator('form#update-language select[name="to"]').selectOption('es');
    await page.locator('form#update-language').getByRole('button', { name: ja.update_language_submit }).click();
    await page.getByRole('alert').filter({ hasText: ja.update_language_error_translated.replace('{language}', 'Español') }).waitFor();
    expect(await stored(updateId)).toEqual({ language: 'ja', translations: ['es'] });

    await page.getByRole('link', { name: ja.update_language_remove_translation.replace('{language}', 'Español') }).click();
    const confirm = page.getByRole('group', { name: ja.translation_confirm_title });
    expect((await confirm.textContent())?.replace(/\s+/g, ' ')).toContain('Solidaridad (traducción)');
    expect(await stored(updateId), 'asking removes nothing').toEqual({ language: 'ja', translations: ['es'] });
    await confirm.getByRole('button', { name: ja.translation_confirm_submit }).click();
    await page.getByRole('status').filter({ hasText: ja.translation_removed.replace('{language}', 'Español') }).waitFor();
    expect(await stored(updateId)).toEqual({ language: 'ja', translations: [] });

    await page.locator('form#update-language select[name="to"]').selectOption('es');
    await page.locator('form#update-language').getByRole('button', { name: ja.update_language_submit }).click();
    await page.getByRole('status').filter({ hasText: ja.update_language_saved.replace('{language}', 'Español') }).waitFor();
    expect(await stored(updateId)).toEqual({ language: 'es', translations: [] });
    await context.close();
    expect(await readerSees(updateId)).toEqual({ title: [spanish.title, 'es', 'ltr'], body: [spanish.body, 'es', 'ltr'], translated: 0 });
  });
});

// With JavaScript, SvelteKit reloads the page's data after a success only: the form kept the old
// language as the one it showed, and was refused "changed meanwhile" however often it was sent.
describe("correcting an update's language with JavaScript, after another organizer's correction", () => {
  it('shows the update as it is now after the refusal, and choosing again goes through', async () => {
    const cairo = { title: 'تحية من القاهرة', body: 'عمال القاهرة معكم.' };
    const updateId = await posted(cairo, 'ja');
    const { context, page } = await organizerOn(cairo.title, ja.update_language_link, true);
    await page.waitForFunction(() => document.querySelector('form#update-language') !== null);
    await e2e.db.database.db.update(appealUpdates).set({ language: 'es' }).where(eq(appealUpdates.id, updateId));
    const form = page.locator('form#update-language');
    await form.locator('select[name="to"]').selectOption('ar');
    await form.getByRole('button', { name: ja.update_language_submit }).click();
    await page.getByRole('alert').filter({ hasText: ja.update_language_error_changed }).waitFor();
    await expect.poll(() => form.locator('input[name="from"]').inputValue()).toBe('es');
    await form.locator('select[name="to"]').selectOption('ar');
    await form.getByRole('button', { name: ja.update_language_submit }).click();
    await expect.poll(async () => (await stored(updateId))?.language).toBe('ar');
    await context.close();
  });
});

describe("removing an update's translation on the manage page, without JavaScript", () => {
  it('asks first, Cancel keeps it, confirming removes it; a Japanese reader then gets the original', async () => {
    const updateId = await posted(greetings, 'es', [{ language: 'ja', title: japanese.title, bodyMarkdown: japanese.body }]);
    expect(await readerSees(updateId)).toEqual({ title: [japanese.title, 'ja', 'ltr'], body: [japanese.body, 'ja', 'ltr'], translated: 1 });
    const { context, page } = await organizerOn(greetings.title, ja.update_translate);
    const row = page.locator('#update-translations li', { hasText: japanese.title });
    const confirm = page.getByRole('group', { name: ja.translation_confirm_title });

    await row.getByRole('link', { name: new RegExp(`^${ja.translation_remove}`) }).click();
    const asked = ((await confirm.textContent()) ?? '').replace(/\s+/g, ' ');
    expect(asked).toContain(japanese.title);
    expect(asked).toContain('Español');
    expect(await confirm.locator('[lang="ja"]', { hasText: japanese.title }).count(), 'the title is marked with its language').toBe(1);
    await confirm.getByRole('link', { name: ja.translation_confirm_cancel }).click();
    expect(await confirm.count()).toBe(0);
    expect(await stored(updateId)).toEqual({ language: 'es', translations: ['ja'] });

    await row.getByRole('link', { name: new RegExp(`^${ja.translation_remove}`) }).click();
    await confirm.getByRole('button', { name: ja.translation_confirm_submit }).click();
    await page.getByRole('status').filter({ hasText: ja.translation_removed.replace('{language}', '日本語') }).waitFor();
    expect(await stored(updateId)).toEqual({ language: 'es', translations: [] });
    expect(await page.locator('#update-translations li', { hasText: japanese.title }).count()).toBe(0);
    await context.close();
    expect(await readerSees(updateId)).toEqual({ title: [greetings.title, 'es', 'ltr'], body: [greetings.body, 'es', 'ltr'], translated: 0 });
  });
});

describe('a translation added after posting', () => {
  // A donor who asked for news gets each update once, when it is posted; a second mail for the same
  // news, because a translation came later, would be spam. The organizer is told so where she
  // translates (and, before posting, where she writes the update), rather than left to expect a mail.
  it('is said on the manage page to reach the appeal page only, never a second mail', async () => {
    const updateId = await posted(greetings, 'es');
    const context = await e2e.context({ language: 'ja-JP', javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@osaka.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}?update=${updateId}#update-translations`);
    const panel = (await page.locator('#update-translations').textContent()) ?? '';
    expect(panel).toContain('募金のページにのみ表示されます');
    expect(panel).toContain('再送信はされません');
    expect(await page.locator('#update-translations-hint').textContent()).toContain('投稿後に追加した翻訳はページにのみ表示されます');
    await context.close();
  });
});
