import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amountsBrokenOrSpilling, liveAppeal, startE2E, type E2E } from './harness';

// A member reading an appeal on a small phone: the raised and goal figures sat two to a row, and
// Intl joins the currency and the number with a no-break space, so a column too narrow for
// "USD 1,300.00" broke the number itself ("USD 1,300.0" over "0"; in Arabic "US" over "$").
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  // A Mexican union's large goal in pesos, beside the demo's dollar and yen appeals.
  await liveAppeal(e2e.db, { slug: 'salon-sindical', title: 'Salón sindical', beneficiary: 'Sindicato de trabajadores municipales', currency: 'MXN', goalMinor: 2_000_000_000 });
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

describe('amounts on a phone', () => {
  for (const language of ['es-MX', 'ar-DZ', 'ru-RU', 'ja-JP']) {
    it(`${language}: every raised and goal amount stays on one line inside its box, from 320 to 390 px`, async () => {
      const context = await e2e.context({ language });
      const page = await context.newPage();
      const found: string[] = [];
      for (const width of [320, 360, 390]) {
        await page.setViewportSize({ width, height: 800 });
        for (const path of ['/', '/appeals/buck-a-brick', '/appeals/osaka-care-strike-fund', '/appeals/salon-sindical']) {
          await page.goto(`${e2e.url}${path}`);
          expect(await page.getByTestId('goal').count(), path).toBeGreaterThan(0);
          found.push(...(await amountsBrokenOrSpilling(page)).map((f) => `${width} px ${path} ${f}`));
        }
      }
      expect(found).toEqual([]);
      await context.close();
    });
  }
});
