import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { payOnCheckout, useE2E } from './harness';

// A member in Tokyo gives to Buck-a-Brick in Japanese. Given monthly, her thank-you page says when
// her card is charged next, on her calendar, as her receipt and her giving page do; given once,
// it says nothing of a next charge.
const e2e = useE2E();

const tokyoDay = (at: Date) => new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(at);

/** Gives ten bricks on the appeal's page from a browser in Tokyo, pays, and waits on the thank-you page for the gift to be confirmed. */
async function giveFromTokyo(email: string, frequency: 'monthly' | 'one_off') {
  const context = await e2e.context({ language: 'ja-JP', timezoneId: 'Asia/Tokyo' });
  const page = await context.newPage();
  await page.goto(`${e2e.url}/appeals/buck-a-brick`);
  // The page says its zone once (a cookie, then its data again): she gives after that round trip.
  await expect.poll(async () => (await context.cookies()).some((c) => c.name === 'tz' && c.value === 'Asia%2FTokyo')).toBe(true);
  await page.waitForLoadState('networkidle');
  await page.getByRole('radio', { name: /^10\b/ }).check();
  if (frequency === 'monthly') await page.getByLabel(ja.give_monthly).check();
  await page.getByLabel(ja.give_email).fill(email);
  await page.getByRole('button', { name: ja.give_submit }).click();
  await payOnCheckout(page, '4242 4242 4242 4242');
  await page.waitForURL(/\/thanks\?donation=/);
  await expect.poll(() => page.getByTestId('gift-status').getAttribute('data-status'), { timeout: 20_000 }).toBe('succeeded');
  return { context, page };
}

it("a monthly gift's thank-you page names its next charge on the donor's calendar; a one-off gift's names none", async () => {
  const monthly = await giveFromTokyo('tokyo-monthly@example.jp', 'monthly');
  const [gift] = await queryRows<{ next_charge_at: string | null }>(e2e.db.database.db, sql`SELECT next_charge_at::text FROM donations WHERE donor_email = 'tokyo-monthly@example.jp'`);
  expect(gift!.next_charge_at).not.toBeNull();
  expect(await monthly.page.getByTestId('next-charge').textContent()).toBe(ja.monthly_next_charge.replace('{date}', tokyoDay(new Date(gift!.next_charge_at!))));
  await monthly.context.close();

  const once = await giveFromTokyo('tokyo-once@example.jp', 'one_off');
  expect(await once.page.getByTestId('next-charge').count()).toBe(0);
  await once.context.close();
});
