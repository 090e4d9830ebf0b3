import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appealUpdates, appeals } from '../../db/schema/index';
import { postUpdate } from '../../server/appeals/manage-service';
import ja from '../../web/messages/ja.json' with { type: 'json' };
import { payOnCheckout, settledGiftStatus, signInWithMail, useE2E } from './harness';

// A monthly donor in Tokyo, reading in Japanese, without JavaScript: her browser never says its
// zone, so the pages date in UTC. A gift she made at 05:00 on the 7th there is on the 6th in UTC;
// a bare "12月6日" would read as her own 6th. Every date these pages show her either is on a
// calendar that is hers (the zone her browser said when she gave) or names its zone.
const e2e = useE2E();

const utcDay = (at: Date) => `${new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'UTC' }).format(at)}（UTC）`;
/** A Japanese long date ("2026年12月6日") not followed by the zone it is in. */
const unnamedDate = /\d{4}年\d{1,2}月\d{1,2}日(?!（)/;

const tokyoWithoutScripts = () => e2e.context({ javaScriptEnabled: false, timezoneId: 'Asia/Tokyo', language: 'ja-JP' });

describe('dates for a reader whose browser said no zone', () => {
  it("the appeal page names UTC beside an update's day", async () => {
    const [appeal] = await e2e.db.database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    await postUpdate(e2e.db.database.db, { appeal: appeal!, by: null, title: 'The walls are up', bodyMarkdown: 'Thank you.', publicUrl: e2e.url });
    const [update] = await e2e.db.database.db.select().from(appealUpdates).where(eq(appealUpdates.title, 'The walls are up'));
    const context = await tokyoWithoutScripts();
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(await page.getByTestId('updates').locator('time').first().textContent()).toBe(utcDay(update!.publishedAt));
    await context.close();
  });

  it('the thank-you page, /account and the receipt page: a monthly gift given without JavaScript', async () => {
    const email = 'tokyo-nojs@example.org';
    const context = await tokyoWithoutScripts();
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    await page.getByRole('radio', { name: /^10\b/ }).check();
    await page.getByLabel(ja.give_monthly).check();
    await page.getByLabel(ja.give_email).fill(email);
    await page.getByRole('button', { name: ja.give_submit }).click();
    await payOnCheckout(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/thanks\?donation=/);
    expect(await settledGiftStatus(page)).toBe('succeeded');
    expect(await page.locator('main').textContent()).not.toMatch(unnamedDate);

    const [gift] = await queryRows<{ id: string; succeeded_at: string; next_charge_at: string | null; time_zone: string | null }>(
      e2e.db.database.db,
      sql`SELECT id::text, succeeded_at::text, next_charge_at::text, time_zone FROM donations WHERE donor_email = ${email}`,
    );
    // Given without JavaScript: no zone of hers is known.
    expect(gift!.time_zone).toBeNull();
    const paidAt = new Date(gift!.succeeded_at);
    expect(gift!.next_charge_at).not.toBeNull();
    const nextChargeAt = new Date(gift!.next_charge_at!);
    // The thank-you page names her next charge as her giving page does: its day in UTC, saying so.
    expect(await page.getByTestId('next-charge').textContent()).toBe(ja.monthly_next_charge.replace('{date}', utcDay(nextChargeAt)));

    // The sign-in helper reads English pages; her pages are in Japanese again after it.
    await context.addCookies([{ name: 'lang', value: 'en', url: e2e.url }]);
    await signInWithMail(page, e2e.url, email, '/account');
    await context.addCookies([{ name: 'lang', value: 'ja', url: e2e.url }]);
    await page.goto(`${e2e.url}/account`);
    const monthly = (await page.getByTestId('monthly').textContent()) ?? '';
    expect(monthly).toContain(ja.monthly_since.replace('{date}', utcDay(paidAt)));
    expect(await page.getByTestId('next-charge').textContent()).toBe(ja.monthly_next_charge.replace('{date}', utcDay(nextChargeAt)));
    expect(await page.locator(`td[data-label="${ja.col_date}"]`).first().textContent()).toBe(utcDay(paidAt));
    expect(monthly).not.toMatch(unnamedDate);
    expect(await page.getByTestId('gifts').textContent()).not.toMatch(unnamedDate);

    // The receipt's moment names its zone too.
    await page.goto(`${e2e.url}/account/receipts/${gift!.id}`);
    const onReceipt = new Intl.DateTimeFormat('ja', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'UTC' }).format(paidAt);
    expect(await page.getByTestId('receipt').textContent()).toContain(onReceipt);
    expect(onReceipt).toContain('UTC');
    await context.close();
  });
});
