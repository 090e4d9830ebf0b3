import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from './harness';

// "Cancel and go back" on Checkout brings the donor back to the form as she left it, with and
// without JavaScript. An audit on a phone found a typed ¥2,500 monthly gift come back with the box
// empty and the ¥3,000 suggestion chosen: one press of Continue would have started ¥3,000 a month.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

async function cancelOnCheckout(page: Page, slug: string): Promise<void> {
  await page.waitForURL(/\/checkout\/cs_/);
  await page.getByRole('link', { name: 'Cancel and go back' }).click();
  await page.waitForURL(new RegExp(`/appeals/${slug}\\?.*canceled=1`));
}

const checkedPreset = (page: Page) => page.locator('input[name="preset"]:checked, input[name="units"]:checked').evaluateAll((els) => els.map((el) => (el as HTMLInputElement).value));

describe('back from a canceled checkout', () => {
  it.each([
    ['with JavaScript', true],
    ['without JavaScript', false],
  ])('a typed yen amount, monthly, comes back typed on the Osaka appeal, %s', async (_label, javaScriptEnabled) => {
    const context = await e2e.context({ language: 'ja', javaScriptEnabled, viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/osaka-care-strike-fund`);
    await page.getByLabel('その他の金額（JPY）').fill('2500');
    await page.getByLabel('毎月寄付する').check();
    await page.getByLabel('メールアドレス（領収書の送付先）').fill(`osaka-cancel-${javaScriptEnabled}@example.org`);
    await page.getByRole('button', { name: '安全な決済に進む' }).click();
    await cancelOnCheckout(page, 'osaka-care-strike-fund');

    expect(await page.getByTestId('canceled').textContent()).toContain('支払いはキャンセルされました。');
    await expect.poll(() => page.getByLabel('その他の金額（JPY）').inputValue()).toBe('2,500');
    expect(await checkedPreset(page)).toEqual([]);
    expect(await page.getByLabel('毎月寄付する').isChecked()).toBe(true);
    await context.close();
  });

  it.each([
    ['with JavaScript', true],
    ['without JavaScript', false],
  ])('a typed number of bricks comes back typed, and a suggested one chosen, on Buck-a-Brick, %s', async (_label, javaScriptEnabled) => {
    const context = await e2e.context({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    await page.getByLabel('Another number of bricks').fill('17');
    await page.getByLabel(/card fees don’t come out of my gift/).check();
    await page.getByLabel('Email, for your receipt').fill(`brick-cancel-${javaScriptEnabled}@example.org`);
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await cancelOnCheckout(page, 'buck-a-brick');
    await expect.poll(() => page.getByLabel('Another number of bricks').inputValue()).toBe('17');
    expect(await checkedPreset(page)).toEqual([]);
    expect(await page.getByLabel(/card fees don’t come out of my gift/).isChecked()).toBe(true);

    // Now a suggested 50: it comes back chosen, with the box empty.
    await page.getByLabel('Another number of bricks').fill('');
    await page.getByRole('radio', { name: /^50\b/ }).check();
    // (Without JavaScript the address is another matter, tested apart.)
    await page.getByLabel('Email, for your receipt').fill(`brick-cancel-${javaScriptEnabled}@example.org`);
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await cancelOnCheckout(page, 'buck-a-brick');
    await expect.poll(() => checkedPreset(page)).toEqual(['50']);
    expect(await page.getByLabel('Another number of bricks').inputValue()).toBe('');
    await context.close();
  });
});
