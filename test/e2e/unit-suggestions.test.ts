import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { organizations } from '../../db/schema/index';
import { createAppeal, publishAppeal } from '../../server/appeals/manage-service';
import { useE2E } from './harness';

const e2e = useE2E();

// A unit appeal offered 5 to 100 units with 25 chosen, whatever a unit cost. At 20 pesos a brick a
// donor in Mexico found 500 pesos chosen (the peso form's own choice is 25), and had to type "1" to
// give one brick; at ¥1,000 a bento, ¥25,000. Units that cost as much as a gift offer 1 to 10.
describe('a unit appeal on a phone suggests numbers of units its price makes sense of', () => {
  it('20-peso bricks: 1 to 10 offered, one brick chosen, and Continue without JavaScript gives 20 pesos', async () => {
    const db = e2e.db.database.db;
    const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
    const body = { slug: 'ladrillo-veinte', title: 'Un ladrillo, veinte pesos', summary: 'Cada ladrillo cuesta 20 pesos.', storyMarkdown: 'Construimos el local.', beneficiary: 'Sindicato municipal', language: 'es' as const, currency: 'MXN', goalMinor: 2_000_000n, unit: { name: 'ladrillo', priceMinor: 2_000n }, deadlineAt: null };
    await publishAppeal(db, { by: null, appeal: await createAppeal(db, { by: null, org: org!, body }) });

    for (const javaScriptEnabled of [true, false]) {
      const context = await e2e.context({ language: 'es', viewport: { width: 375, height: 740 }, javaScriptEnabled });
      const page = await context.newPage();
      await page.goto(`${e2e.url}/appeals/ladrillo-veinte`, { waitUntil: 'networkidle' });
      const radios = page.locator('#give input[name=units]');
      expect(await radios.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual(['1', '2', '3', '5', '10']);
      expect(await page.locator('#give input[name=units]:checked').inputValue()).toBe('1');
      await page.getByLabel('Correo electrónico, para su recibo').fill(`ladrillo-${javaScriptEnabled}@example.org`);
      await page.locator('#give button[type=submit]').click();
      await page.waitForURL(/\/checkout\/cs_/);
      expect(await page.locator('.total').textContent()).toContain('MX$20.00');
      await context.close();
    }
  });
});
