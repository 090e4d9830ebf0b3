import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { giftReaches, signInContext, startGift } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// A screen reader reads a text in the voice of the language it is marked with: an English or
// Japanese appeal title inside an Arabic page, unmarked, is read with the Arabic voice (an audit
// heard it). Every page that names an appeal marks its title with the language of the words shown:
// the reader's translation where the giving pages show one, else the appeal's own language.
let e2e: E2E;
const arabicTitle = 'صندوق إضراب عمال الرعاية في أوساكا';
const gifts = { brick: '', osaka: '' };

beforeAll(async () => {
  e2e = await startE2E();
  const [osaka] = await e2e.db.database.rows<{ id: string }>(sql`SELECT id FROM appeals WHERE slug = 'osaka-care-strike-fund'`);
  await e2e.db.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title) VALUES (${osaka!.id}, 'ar', ${arabicTitle})`);
  // Charged back too (the emulator disputes this card after paying): on the treasurer's disputes lists.
  const card = '4000 0000 0000 0259';
  const brick = await startGift(e2e, { donorEmail: 'member@ue222.demo' }, card);
  const japanese = await startGift(e2e, { donorEmail: 'member@ue222.demo', amountMinor: '3000' }, card, 'osaka-care-strike-fund');
  Object.assign(gifts, { brick: brick.id, osaka: japanese.id });
  await Promise.all([giftReaches(e2e, brick.id, 'disputed'), giftReaches(e2e, japanese.id, 'disputed')]);
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

/**
 * Every text shown on the page (in its body) that holds one of `titles`, as "title → the language it is read
 * in" (its nearest lang attribute), each once.
 */
function languagesOfTitles(page: Page, titles: string[]): Promise<string[]> {
  return page.evaluate((wanted) => {
    const found = new Set<string>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // The page's data for hydration is text too, but no one reads it.
      if (node.parentElement?.closest('script, style, template')) continue;
      for (const title of wanted) if (node.textContent?.includes(title)) found.add(`${title} → ${node.parentElement?.closest('[lang]')?.getAttribute('lang') ?? '(none)'}`);
    }
    return [...found].sort();
  }, titles);
}

describe('appeal titles carry their own language on an Arabic page', () => {
  const brick = 'Buck-a-Brick: a union hall for our comrades in Mexico';
  const osaka = '大阪介護労働者ストライキ基金 (demo)';

  it('in the member’s giving and receipts: English as written, Osaka in its Arabic translation', async () => {
    const context = await e2e.context({ language: 'ar' });
    await context.addCookies([{ name: 'lang', value: 'ar', url: e2e.url }]);
    await signInContext(e2e, context, 'member@ue222.demo');
    const page = await context.newPage();
    const seen: Record<string, string[]> = {};
    for (const path of ['/account', `/account/receipts/${gifts.brick}`, `/account/receipts/${gifts.osaka}`]) {
      await page.goto(`${e2e.url}${path}`);
      expect(await page.locator('html').getAttribute('lang')).toBe('ar');
      seen[path] = await languagesOfTitles(page, [brick, osaka, arabicTitle]);
    }
    await context.close();
    expect(seen).toEqual({
      '/account': [`${brick} → en`, `${arabicTitle} → ar`],
      [`/account/receipts/${gifts.brick}`]: [`${brick} → en`],
      [`/account/receipts/${gifts.osaka}`]: [`${arabicTitle} → ar`],
    });
  });

  it('in the treasurer’s pages, which name appeals as written', async () => {
    const context = await e2e.context({ language: 'ar' });
    await context.addCookies([{ name: 'lang', value: 'ar', url: e2e.url }]);
    await signInContext(e2e, context, 'treasurer@federation.demo');
    const page = await context.newPage();
    const seen: Record<string, string[]> = {};
    for (const path of ['/treasury', '/treasury/disputes', `/treasury/donations/${gifts.brick}`, `/treasury/donations/${gifts.osaka}`]) {
      await page.goto(`${e2e.url}${path}`);
      expect(await page.locator('html').getAttribute('lang')).toBe('ar');
      seen[path] = await languagesOfTitles(page, [brick, osaka, arabicTitle]);
    }
    // The gift's heading is an Arabic sentence around the title: only the title is marked otherwise.
    const heading = await page.locator('h1').evaluate((h1) => [h1.closest('[lang]')?.getAttribute('lang'), h1.querySelector('[lang]')?.textContent]);
    await context.close();
    expect(seen).toEqual({
      '/treasury': [`${brick} → en`, `${osaka} → ja`],
      '/treasury/disputes': [`${brick} → en`, `${osaka} → ja`],
      [`/treasury/donations/${gifts.brick}`]: [`${brick} → en`],
      [`/treasury/donations/${gifts.osaka}`]: [`${osaka} → ja`],
    });
    expect(heading).toEqual(['ar', osaka]);
  });

  // Last: it closes Osaka and adds appeals. The treasury once named an appeal's account by looking
  // for it among the 100 newest live and the 100 newest closed appeals, so an account of an older
  // closed appeal lost its name; and its statement's lines read the title with the page's voice.
  it('on an appeal account and its statement, however many appeals closed since', async () => {
    const db = e2e.db.database.db;
    await db.execute(sql`UPDATE appeals SET status = 'closed', closed_at = now() - interval '2 days', closed_reason = 'manual' WHERE slug = 'osaka-care-strike-fund'`);
    await db.execute(sql`INSERT INTO appeals (slug, organization_id, title, beneficiary, currency, goal_minor, status, published_at, closed_at, closed_reason)
      SELECT 'closed-since-' || g, organization_id, 'Closed since ' || g, beneficiary, currency, goal_minor, 'closed', now() - interval '1 day', now(), 'manual'
        FROM appeals, generate_series(1, 100) AS g WHERE slug = 'osaka-care-strike-fund'`);
    const context = await e2e.context({ language: 'ar' });
    await context.addCookies([{ name: 'lang', value: 'ar', url: e2e.url }]);
    await signInContext(e2e, context, 'treasurer@federation.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/treasury?currency=JPY&type=liability`);
    const account = page.locator('[data-testid=accounts] a', { hasText: osaka });
    expect(await account.count()).toBe(1);
    expect(await account.getAttribute('lang')).toBe('ja');
    await account.click();
    await page.waitForURL(/\/treasury\/accounts\/\d+$/);
    const statement = await languagesOfTitles(page, [osaka]);
    const lines = await page.locator('tbody tr').allInnerTexts();
    await context.close();
    // The heading, and the gift's line: the title in Japanese, in a sentence in Arabic.
    expect(statement).toEqual([`${osaka} → ja`]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(osaka);
  });
});
