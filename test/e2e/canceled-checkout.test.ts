import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { payOnCheckout, useE2E } from './harness';

// "Cancel and go back" on Checkout brings the donor back to the form as she left it, with and
// without JavaScript. An audit on a phone found a typed ¥2,500 monthly gift come back with the box
// empty and the ¥3,000 suggestion chosen: one press of Continue would have started ¥3,000 a month.
const e2e = useE2E();

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

  // Without JavaScript nothing in the tab keeps what the donor typed: the browser that started the
  // gift holds a key to it (a cookie of its own), and the link alone shows none of it.
  it('name, address, message and choices come back to the browser that typed them, without JavaScript, and to no other', async () => {
    const typed = { name: 'Rosa Ortega', email: 'rosa-cancel@example.org', message: '¡Hasta la victoria, compañeras!' };
    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    await page.getByRole('radio', { name: /^10\b/ }).check();
    await page.getByLabel('Your name (for the donor wall)').fill(typed.name);
    await page.getByLabel('Don’t show my name on the donor wall').check();
    await page.getByLabel('Email me this appeal’s updates').check();
    await page.getByLabel('Email, for your receipt').fill(typed.email);
    await page.getByLabel('A message of solidarity (optional)').fill(typed.message);
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await cancelOnCheckout(page, 'buck-a-brick');

    expect(await page.getByLabel('Your name (for the donor wall)').inputValue()).toBe(typed.name);
    expect(await page.getByLabel('Email, for your receipt').inputValue()).toBe(typed.email);
    expect(await page.getByLabel('A message of solidarity (optional)').inputValue()).toBe(typed.message);
    expect(await page.getByLabel('Don’t show my name on the donor wall').isChecked()).toBe(true);
    expect(await page.getByLabel('Email me this appeal’s updates').isChecked()).toBe(true);
    expect(await checkedPreset(page)).toEqual(['10']);
    // The key is for this appeal's pages, out of the page's scripts' reach, and for an hour at most.
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'gift_resume');
    expect(cookie).toMatchObject({ path: '/appeals/buck-a-brick', httpOnly: true, sameSite: 'Lax' });
    expect(cookie!.expires * 1000 - Date.now()).toBeLessThanOrEqual(3_600_000);

    // The same link in another browser: the gift's amount, and nothing of whose it was, anywhere in the page.
    const backLink = page.url();
    const other = await e2e.context({ javaScriptEnabled: false });
    const stranger = await other.newPage();
    await stranger.goto(backLink);
    expect(await checkedPreset(stranger)).toEqual(['10']);
    expect(await stranger.getByLabel('Your name (for the donor wall)').inputValue()).toBe('');
    expect(await stranger.getByLabel('Email, for your receipt').inputValue()).toBe('');
    expect(await stranger.getByLabel('A message of solidarity (optional)').inputValue()).toBe('');
    expect(await stranger.getByLabel('Don’t show my name on the donor wall').isChecked()).toBe(false);
    expect(await stranger.getByLabel('Email me this appeal’s updates').isChecked()).toBe(false);
    const html = await (await other.request.get(backLink)).text();
    for (const text of [typed.name, typed.email, 'Hasta la victoria']) expect(html).not.toContain(text);
    await other.close();

    // Given this time, the key goes with the thank-you page: a paid gift has no form to fill again.
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await payOnCheckout(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/appeals\/buck-a-brick\/thanks\?/);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('gift_resume');
    await context.close();
  });
});
