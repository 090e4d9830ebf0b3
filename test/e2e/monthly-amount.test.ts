import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Locator, Page } from 'playwright-core';
import Stripe from 'stripe';
import { expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { signInContext } from './a11y-audit';
import { screenshots, seriousAxeViolations, useE2E } from './harness';

// A member in Osaka gives ¥3,000 a month and can now give ¥5,000: on "My giving", in Japanese,
// without JavaScript, she opens "Change amount", types the amount the way she writes it, and the
// page says the new amount from the next payment. A refused amount is said on its field.
const e2e = useE2E();

async function giftRow(id: string) {
  const [row] = await queryRows<{ status: string; subscription_id: string | null; renewal_amount_minor: string | null }>(
    e2e.db.database.db,
    sql`SELECT status, subscription_id, renewal_amount_minor::text FROM donations WHERE id = ${id}`,
  );
  return row!;
}

/** A paid ¥3,000 monthly gift to the Osaka strike fund, given in Japanese, through the app's API and the emulator's checkout. */
async function yenMonthlyGift(donorEmail: string) {
  const made = await fetch(`${e2e.url}/api/appeals/osaka-care-strike-fund/donations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amountMinor: '3000', frequency: 'monthly', donorEmail, donorName: '山田花子', locale: 'ja', idempotencyKey: randomUUID() }),
  });
  expect(made.status).toBe(201);
  const { donationId, checkoutUrl } = (await made.json()) as { donationId: string; checkoutUrl: string };
  const emulator = new URL(checkoutUrl);
  const paid = await fetch(`${emulator.origin}/_emulator/checkout/sessions/${emulator.pathname.split('/').at(-1)}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card: '4242 4242 4242 4242' }),
  });
  expect(paid.status).toBe(200);
  await expect.poll(async () => (await giftRow(donationId)).subscription_id, { timeout: 20_000, interval: 250 }).not.toBeNull();
  const stripe = new Stripe('sk_test_e2e', { host: emulator.hostname, port: Number(emulator.port), protocol: 'http', maxNetworkRetries: 0 });
  const subId = (await giftRow(donationId)).subscription_id!;
  return { donationId, price: async () => (await stripe.subscriptions.retrieve(subId)).items.data[0]!.price.unit_amount };
}

/**
 * The change is said once: not by the address (a reload, Back or a bookmark said it again, as if
 * the amount had been changed again), and not on the page drawn again.
 */
async function saidOnce(page: Page) {
  expect(new URL(page.url()).searchParams.has('amount_changed'), 'the address says the amount changed').toBe(false);
  await page.reload();
  expect(await page.getByTestId('monthly').isVisible()).toBe(true);
  expect(await page.getByTestId('amount-changed').count(), 'a reload says the amount changed again').toBe(0);
}

/** Whether a disclosure (a gift's "Change amount") shows its content. */
const panelOpen = (panel: Locator) => panel.evaluate((d) => (d as HTMLDetailsElement).open);

it('changes a monthly gift from ¥3,000 to ¥5,000 on /account, in Japanese, without JavaScript', async () => {
  const email = 'hanako@example.jp';
  const g = await yenMonthlyGift(email);
  const context = await e2e.context({ language: 'ja-JP', javaScriptEnabled: false });
  await signInContext(e2e, context, email);
  const page = await context.newPage();
  await page.goto(`${e2e.url}/account`);
  const gift = page.locator(`#monthly-${g.donationId}`);
  expect(await gift.textContent()).toContain('￥3,000');

  // Below Stripe's smallest charge: refused on the field, with what she typed, and nothing changed.
  await gift.getByText('金額を変更').click();
  const amount = gift.getByLabel('毎月の新しい金額（JPY）');
  expect(await amount.inputValue()).toBe('3,000');
  await amount.fill('10');
  await gift.getByRole('button', { name: /^新しい金額を保存/ }).click();
  const refused = page.locator(`#monthly-${g.donationId}`);
  const error = refused.getByRole('alert');
  expect(await error.textContent()).toBe('最低寄付額は￥50です。');
  const field = refused.getByLabel('毎月の新しい金額（JPY）');
  expect(await field.getAttribute('aria-invalid')).toBe('true');
  expect(await field.getAttribute('aria-describedby')).toContain(await error.getAttribute('id'));
  expect(await field.inputValue()).toBe('10');
  expect(await g.price()).toBe(3000);

  // Typed as she writes it: the page says the new amount from the next payment (after a redirect: a reload sends nothing again).
  await field.fill('5,000');
  await refused.getByRole('button', { name: /^新しい金額を保存/ }).click();
  await page.waitForURL((url) => url.pathname === '/account' && url.hash === '#monthly-title');
  expect(await page.getByTestId('amount-changed').textContent()).toBe('毎月のご寄付は次回のお支払いから月￥5,000になります。今回の請求はありません。');
  await saidOnce(page);
  expect(await page.locator(`#monthly-${g.donationId}`).textContent()).toContain('￥5,000');
  expect(await g.price()).toBe(5000);
  expect((await giftRow(g.donationId)).renewal_amount_minor).toBe('5000');
  // Her mail says so in Japanese.
  const [mail] = await queryRows<{ subject: string }>(e2e.db.database.db, sql`SELECT subject FROM outbox_emails WHERE kind = 'monthly_amount_changed' AND to_address = ${email}`);
  expect(mail!.subject).toBe('毎月のご寄付が￥5,000になりました');
  await context.close();

  // The open form, refused, as axe and a phone see it.
  const audited = await e2e.context({ language: 'ja-JP', bypassCSP: true });
  await signInContext(e2e, audited, email);
  const auditPage = await audited.newPage();
  // With JavaScript: hydrated first, as the page drives the panel's open state from then on.
  await auditPage.goto(`${e2e.url}/account`, { waitUntil: 'networkidle' });
  const again = auditPage.locator(`#monthly-${g.donationId}`);
  await again.getByText('金額を変更').click();
  await again.getByLabel('毎月の新しい金額（JPY）').fill('10');
  await again.getByRole('button', { name: /^新しい金額を保存/ }).click();
  await again.getByRole('alert').waitFor();
  expect(await seriousAxeViolations(auditPage), 'account-change-amount-ja').toEqual([]);
  await screenshots(auditPage, 'account-change-amount-ja');

  // With JavaScript too, the change is said once, and its panel closes as the page without it does.
  await again.getByLabel('毎月の新しい金額（JPY）').fill('6,000');
  await again.getByRole('button', { name: /^新しい金額を保存/ }).click();
  expect(await auditPage.getByTestId('amount-changed').textContent()).toBe('毎月のご寄付は次回のお支払いから月￥6,000になります。今回の請求はありません。');
  expect(await panelOpen(again.locator('details.change'))).toBe(false);
  expect(await g.price()).toBe(6000);
  await saidOnce(auditPage);
  await audited.close();
});
