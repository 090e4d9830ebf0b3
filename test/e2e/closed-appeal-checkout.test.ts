import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import fr from '../../web/messages/fr.json' with { type: 'json' };
import { useE2E } from './harness';

// A donor opens Checkout, and the appeal closes before she pays. The server's own job expires her
// checkout at Stripe: paying it is refused, and the thank-you page tells her in her language that
// the appeal closed before she paid (nothing charged), without offering a second try at a closed
// appeal. Without JavaScript, as the page must work without it.
const e2e = useE2E();

const giftOf = async (email: string) =>
  (await queryRows<{ id: string; status: string }>(e2e.db.database.db, sql`SELECT id::text, status::text FROM donations WHERE donor_email = ${email}`))[0];

it('a checkout open when its appeal closes is expired, and the thank-you page says the appeal closed', { timeout: 90_000 }, async () => {
  const context = await e2e.context({ language: 'fr', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${e2e.url}/appeals/buck-a-brick`);
  await page.getByRole('radio', { name: /^10\b/ }).check();
  await page.getByLabel(fr.give_email).fill('tardive@example.org');
  await page.getByRole('button', { name: fr.give_submit }).click();
  await page.waitForURL(/\/checkout\/cs_/);

  // The appeal closes (as its deadline would close it) while Checkout is open in her tab.
  await e2e.db.database.db.execute(sql`UPDATE appeals SET status = 'closed', closed_at = now(), closed_reason = 'manual' WHERE slug = 'buck-a-brick'`);
  // The job runs every 30 seconds in the server's own process.
  await expect.poll(async () => (await giftOf('tardive@example.org'))?.status, { timeout: 45_000, interval: 1000 }).toBe('canceled');

  // Her card is no longer taken.
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry (MM / YY)').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Name on card').fill('Ana Solidarity');
  const refused = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: /^Pay / }).click()]);
  expect(refused[0].status()).toBe(409);
  expect(await page.locator('h1').textContent()).toContain('expired');

  const gift = await giftOf('tardive@example.org');
  await page.goto(`${e2e.url}/appeals/buck-a-brick/thanks?donation=${gift!.id}`);
  expect(await page.getByTestId('closed-unpaid').textContent()).toBe(fr.thanks_closed_unpaid_text);
  expect(await page.getByRole('link', { name: fr.thanks_try_again }).count()).toBe(0);
  expect(await page.getByRole('link', { name: fr.thanks_back, exact: true }).count()).toBe(1);
  await context.close();
});
