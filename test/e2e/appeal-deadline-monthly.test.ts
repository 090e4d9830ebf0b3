import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { signInContext } from './a11y-audit';
import { useE2E } from './harness';
import { yenMonthlyGift } from './yen-monthly-gift';

// The Osaka strike fund closes on its deadline (30 days after the demo is seeded), and its monthly
// gifts end with it. A member in Osaka gives ¥3,000 a month: the month she paid for ends after the
// deadline, so no further charge comes. Her thank-you page and "My giving", in Japanese and
// without JavaScript, say that the gift ends when the appeal closes, on her calendar, and name no
// next charge; paused, the gift does not stay paused "until she resumes it": it ends then too.
const e2e = useE2E();
const tokyoDay = (at: Date) => new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(at);
// The thank-you page, read without JavaScript, knows no zone (as its next charge: thanks-next-charge.test.ts): UTC's day, named.
const utcDay = (at: Date) => `${new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'UTC' }).format(at)}（UTC）`;

it("names no charge after an appeal's deadline, and says the gift ends then, in Japanese, without JavaScript", async () => {
  const email = 'hanako.deadline@example.jp';
  const { donationId, subId, stripe } = await yenMonthlyGift(e2e, email, { timeZone: 'Asia/Tokyo' });
  const [appeal] = await queryRows<{ deadline_at: string }>(e2e.db.database.db, sql`SELECT deadline_at::text FROM appeals WHERE slug = 'osaka-care-strike-fund'`);
  const closesAt = new Date(appeal!.deadline_at);
  const periodEnd = new Date((await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end * 1000);
  expect(periodEnd.getTime(), 'the month paid for ends after the deadline').toBeGreaterThan(closesAt.getTime());
  const endsWithAppeal = (day: (at: Date) => string) => ja.monthly_ends_with_appeal.replace('{date}', day(closesAt));

  const context = await e2e.context({ language: 'ja-JP', timezoneId: 'Asia/Tokyo', javaScriptEnabled: false });
  const thanks = await context.newPage();
  await thanks.goto(`${e2e.url}/appeals/osaka-care-strike-fund/thanks?donation=${donationId}`);
  await expect.poll(() => thanks.getByTestId('gift-status').getAttribute('data-status')).toBe('succeeded');
  expect(await thanks.getByTestId('next-charge').count()).toBe(0);
  expect(await thanks.getByTestId('ends-with-appeal').textContent()).toBe(endsWithAppeal(utcDay));

  await signInContext(e2e, context, email);
  const page = await context.newPage();
  await page.goto(`${e2e.url}/account`);
  const gift = page.locator(`#monthly-${donationId}`);
  expect(await gift.getByTestId('next-charge').count()).toBe(0);
  expect(await gift.getByTestId('ends-with-appeal').textContent()).toBe(endsWithAppeal(tokyoDay));

  await gift.getByLabel(ja.monthly_pause_label).selectOption({ label: ja.monthly_pause_one_month });
  await gift.getByRole('button', { name: ja.monthly_pause_save }).click();
  expect(await page.getByTestId('pause-notice').textContent()).toBe(ja.monthly_paused_notice);
  expect(await gift.getByTestId('paused').locator('p').first().textContent()).toBe(ja.monthly_paused_ends_with_appeal.replace('{date}', tokyoDay(closesAt)));
  expect(await gift.getByTestId('next-charge').count()).toBe(0);
  await context.close();
});
