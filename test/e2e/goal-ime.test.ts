import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// An organizer in Osaka types the goal as a Japanese IME writes it: full-width digits and 万.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

describe('a goal typed the Japanese way', () => {
  it('saves ５０万 as ¥500,000 on the appeal form', async () => {
    const context = await e2e.context({ language: 'ja' });
    await signInContext(e2e, context, 'organizer@ue222.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/ue-local-222/new?lang=ja`);
    await page.locator('#f-title').fill('大阪の介護ストライキ基金');
    await page.locator('#f-slug').fill('osaka-goal-ime');
    await page.locator('#f-summary').fill('ストライキ中の介護職員を支えます。');
    await page.locator('#f-story').fill('ストライキ中の介護職員の生活費です。');
    await page.locator('#f-beneficiary').fill('大阪介護労働組合');
    await page.locator('#f-currency').selectOption('JPY');
    await page.locator('#f-goal').fill('1.5万');
    await page.locator('#appeal-form .actions button').first().click();
    await page.locator('#goal-error').waitFor();
    await page.locator('#f-goal').fill('５０万');
    await page.locator('#appeal-form .actions button').first().click();
    await page.waitForURL(/\/manage\/appeals\/osaka-goal-ime\?created=1/);
    const [row] = await e2e.db.database.rows<{ goal_minor: string; currency: string }>(sql`SELECT goal_minor::text, currency FROM appeals WHERE slug = 'osaka-goal-ime'`);
    await context.close();
    expect(row).toEqual({ goal_minor: '500000', currency: 'JPY' });
  });
});
