import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fr from '../../web/messages/fr.json' with { type: 'json' };
import { liveAppeal, startE2E, type E2E } from './harness';

// Stripe publishes no minimum for the Algerian dinar: its minimum is 0.50 USD's worth at the day's
// rate, which only Stripe knows, so our own check lets 1 DA through and Stripe refuses it. A member
// in Oran who typed 1 DA was told "the gift could not be started", as if something had broken.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  await liveAppeal(e2e.db, { slug: 'oran-dockers', title: 'Oran dockers', beneficiary: 'Dockers of Oran', currency: 'DZD', goalMinor: 10_000_000 });
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

describe("a gift under Stripe's minimum where Stripe publishes none", () => {
  it('says, in French and without JavaScript, to give more and about how much, keeping what was typed', async () => {
    const context = await e2e.context({ language: 'fr', javaScriptEnabled: false, viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/oran-dockers`);
    await page.locator('input[name="amount"]').fill('1');
    await page.getByLabel(fr.give_email).fill('oran@example.org');
    await page.getByRole('button', { name: fr.give_submit }).click();
    const error = page.locator('#give-error');
    expect(await error.textContent()).toMatch(/^Un paiement par carte aussi petit n'est pas possible dans cette devise : donnez 130,00\s?DZD ou plus\.$/);
    expect(await page.locator('input[name="amount"]').inputValue()).toBe('1');
    await context.close();
  });
});
