import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { useE2E } from './harness';

// An update is written in a language of its own, often not its appeal's: a Spanish message of
// solidarity on a Japanese appeal. The pages marked every update with the appeal's language, so a
// Japanese reader's screen reader read the Spanish with a Japanese voice, the browser offered no
// translation of it, and an Arabic update ran left to right. The organizer says the language when
// posting; the appeal page and the manage page mark each update with it, with and without JavaScript.
const e2e = useE2E();
const slug = 'osaka-care-strike-fund';
const spanish = { title: 'Solidaridad desde Monterrey', body: 'Los compañeros de Monterrey están con ustedes.' };
const arabic = { title: 'تضامن من عمال الرعاية في عمّان', body: 'نقف معكم حتى النصر.' };

/** The language and direction each text is read in: those of its nearest marked ancestors. */
function marksOf(page: Page, texts: string[]): Promise<Record<string, { lang: string | null; dir: string | null }[]>> {
  return page.evaluate((wanted) => {
    const found: Record<string, { lang: string | null; dir: string | null }[]> = {};
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.parentElement;
      // The page's data for hydration is text too, but no one reads it.
      if (!at || at.closest('script, style, template')) continue;
      for (const text of wanted) {
        if (!node.textContent?.includes(text)) continue;
        (found[text] ??= []).push({ lang: at.closest('[lang]')?.getAttribute('lang') ?? null, dir: at.closest('[dir]')?.getAttribute('dir') ?? null });
      }
    }
    return found;
  }, texts);
}

/** Each way a text is marked, once: "es ltr". */
const distinct = (marks: { lang: string | null; dir: string | null }[] | undefined) => [...new Set((marks ?? []).map((mark) => `${mark.lang} ${mark.dir}`))];

async function postFromManagePage(page: Page, language: string, update: { title: string; body: string }, chosen?: () => Promise<void>): Promise<void> {
  const form = page.locator('form[action^="?/update"]');
  const choice = form.locator('select[name="language"]');
  expect(await choice.count(), 'the update form offers a language').toBe(1);
  // The appeal's own language is the one offered first.
  expect(await choice.inputValue()).toBe('ja');
  await choice.selectOption(language);
  await chosen?.();
  await form.locator('input[name="title"]').fill(update.title);
  await form.locator('textarea[name="body"]').fill(update.body);
  await Promise.all([page.waitForURL(/#updates$/), form.locator('button[type="submit"]').click()]);
  await page.getByRole('status').filter({ hasText: 'Update posted' }).waitFor();
}

describe('an update is marked with its own language', () => {
  it('posted without JavaScript in Spanish: the manage page lists it in Spanish', async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@osaka.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    await postFromManagePage(page, 'es', spanish);
    // Wherever the list names it (its Translate link too).
    expect(distinct((await marksOf(page, [spanish.title]))[spanish.title])).toEqual(['es ltr']);
    await context.close();
  });

  it('posted with JavaScript in Arabic: typed right to left, listed right to left', async () => {
    const context = await e2e.context();
    await signInContext(e2e, context, 'organizer@osaka.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`, { waitUntil: 'networkidle' });
    // The fields follow the language chosen, so Arabic is typed as it is read.
    const body = page.locator('form[action^="?/update"] textarea[name="body"]');
    await postFromManagePage(page, 'ar', arabic, async () => expect(await body.getAttribute('dir')).toBe('rtl'));
    await expect.poll(async () => distinct((await marksOf(page, [arabic.title]))[arabic.title])).toEqual(['ar rtl']);
    await context.close();
  });

  for (const javaScriptEnabled of [false, true]) {
    it(`on a Japanese reader's appeal page ${javaScriptEnabled ? 'with' : 'without'} JavaScript: Spanish in lang="es", Arabic right to left`, async () => {
      const context = await e2e.context({ language: 'ja-JP', javaScriptEnabled });
      const page = await context.newPage();
      await page.goto(`${e2e.url}/appeals/${slug}`, { waitUntil: 'networkidle' });
      expect(await page.locator('html').getAttribute('lang')).toBe('ja');
      const marks = await marksOf(page, [spanish.title, spanish.body, arabic.title, arabic.body]);
      expect(marks).toEqual({
        [spanish.title]: [{ lang: 'es', dir: 'ltr' }],
        [spanish.body]: [{ lang: 'es', dir: 'ltr' }],
        [arabic.title]: [{ lang: 'ar', dir: 'rtl' }],
        [arabic.body]: [{ lang: 'ar', dir: 'rtl' }],
      });
      // The date under each is the reader's, in Japanese.
      const dated = page.locator('article', { hasText: spanish.title }).locator('time');
      expect(await dated.evaluate((time) => time.closest('[lang]')?.getAttribute('lang'))).toBe('ja');
      await context.close();
    });
  }
});

// A manage page drawn before the deploy has no language to choose: its update is posted in the
// appeal's language, as the API posts one, rather than refused with "choose a language".
describe('an update from a manage page drawn before updates had languages', () => {
  it("is posted in its appeal's language", async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@osaka.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    const form = page.locator('form[action^="?/update"]');
    // As that page was: no language field, no translations.
    await form.evaluate((f) => f.querySelectorAll('select[name="language"], fieldset.translations').forEach((e) => e.remove()));
    await form.locator('input[name="title"]').fill('Drawn before the deploy');
    await form.locator('textarea[name="body"]').fill('Still posted.');
    await Promise.all([page.waitForURL(/#updates$/), form.locator('button[type="submit"]').click()]);
    await page.getByRole('status').filter({ hasText: 'Update posted' }).waitFor();
    const rows = await e2e.db.database.rows<{ language: string }>(sql`SELECT language FROM appeal_updates WHERE title = 'Drawn before the deploy'`);
    expect(rows).toEqual([{ language: 'ja' }]);
    await context.close();
  });
});
