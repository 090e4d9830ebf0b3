import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { signInContext } from './a11y-audit';
import { useE2E } from './harness';
import { yenMonthlyGift as yenMonthly } from './yen-monthly-gift';

// A member in Osaka gives ¥3,000 a month and goes on strike herself: on "My giving", in Japanese,
// without JavaScript, she pauses the gift for two months; the page says until when, on her
// calendar, and lets her resume it now.
const e2e = useE2E();
const tokyoDay = (at: Date) => new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(at);

async function giftRow(id: string) {
  const [row] = await queryRows<{ subscription_id: string | null; paused_next_charge_at: string | null }>(
    e2e.db.database.db,
    sql`SELECT subscription_id, paused_next_charge_at::text FROM donations WHERE id = ${id}`,
  );
  return row!;
}

/** A paid ¥3,000 monthly gift, given from Tokyo, and its subscription as Stripe has it now. */
async function yenMonthlyGift(donorEmail: string) {
  const { donationId, subId, stripe } = await yenMonthly(e2e, donorEmail, { timeZone: 'Asia/Tokyo' });
  return { donationId, subscription: () => stripe.subscriptions.retrieve(subId) };
}

it('pauses a monthly gift for two months on /account and resumes it, in Japanese, without JavaScript', async () => {
  const email = 'hanako.pause@example.jp';
  // The demo fund closes 30 days after seeding, and a gift names no charge after that (see
  // appeal-deadline-monthly.test.ts): this one's organizers set no deadline, so it runs on.
  await e2e.db.database.db.execute(sql`UPDATE appeals SET deadline_at = NULL WHERE slug = 'osaka-care-strike-fund'`);
  const g = await yenMonthlyGift(email);
  const periodEnd = (await g.subscription()).items.data[0]!.current_period_end;
  const context = await e2e.context({ language: 'ja-JP', timezoneId: 'Asia/Tokyo', javaScriptEnabled: false });
  await signInContext(e2e, context, email);
  const page = await context.newPage();
  await page.goto(`${e2e.url}/account`);
  const gift = page.locator(`#monthly-${g.donationId}`);

  await gift.getByLabel(ja.monthly_pause_label).selectOption({ label: ja.monthly_pause_two_months });
  await gift.getByRole('button', { name: ja.monthly_pause_save }).click();
  expect(new URL(page.url()).pathname).toBe('/account');
  expect(await page.getByTestId('pause-notice').textContent()).toBe(ja.monthly_paused_notice);
  const pause = (await g.subscription()).pause_collection;
  expect(pause?.behavior).toBe('void');
  // Charged again on the third period end from now: the two payments between are skipped.
  const chargesAgainAt = new Date((await giftRow(g.donationId)).paused_next_charge_at!);
  expect(chargesAgainAt.getTime()).toBe((pause!.resumes_at! + 3600) * 1000);
  const thirdEnd = new Date(periodEnd * 1000);
  expect([chargesAgainAt.getUTCMonth(), chargesAgainAt.getUTCFullYear()]).toEqual([(thirdEnd.getUTCMonth() + 2) % 12, thirdEnd.getUTCFullYear() + (thirdEnd.getUTCMonth() >= 10 ? 1 : 0)]);
  expect(await gift.getByTestId('paused').locator('p').textContent()).toBe(ja.monthly_paused_until.replace('{date}', tokyoDay(chargesAgainAt)));
  expect(await gift.getByTestId('next-charge').textContent()).toBe(ja.monthly_next_charge.replace('{date}', tokyoDay(chargesAgainAt)));
  expect(await gift.getByTestId('pause-form').count(), 'a paused gift offers to resume, not to pause').toBe(0);
  // Said once: a reload does not say it again.
  await page.reload();
  expect(await page.getByTestId('pause-notice').count()).toBe(0);

  await gift.getByRole('button', { name: ja.monthly_resume }).click();
  expect(await page.getByTestId('pause-notice').textContent()).toBe(ja.monthly_resumed_notice);
  expect(await gift.getByTestId('paused').count()).toBe(0);
  expect(await gift.getByTestId('next-charge').textContent()).toBe(ja.monthly_next_charge.replace('{date}', tokyoDay(new Date(periodEnd * 1000))));
  expect(await gift.getByTestId('pause-form').count()).toBe(1);
  expect((await g.subscription()).pause_collection).toBeNull();
});
