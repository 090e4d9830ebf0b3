import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { giftReaches, startGift } from './a11y-audit';
import { screenshots, seriousAxeViolations, signInWithMail, startE2E, type E2E } from './harness';

// A member who gave the wrong amount finds, on the gift's receipt, how to ask for it back: only a
// treasurer refunds, so the form sends the appeal's treasurers the request. On a phone, without
// JavaScript, in Arabic as in English.
let e2e: E2E;
let giftId = '';

beforeAll(async () => {
  e2e = await startE2E();
  const gift = await startGift(e2e, { donorEmail: 'member@ue222.demo', donorName: 'Member of Local 222', amountMinor: '25000' }, '4242 4242 4242 4242');
  await giftReaches(e2e, gift.id, 'succeeded');
  giftId = gift.id;
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const requests = () => queryRows<{ to_address: string; text_body: string }>(e2e.db.database.db, sql`SELECT to_address, text_body FROM outbox_emails WHERE kind = 'refund_request' AND dedupe_key LIKE ${`refund_request:${giftId}:%`}`);

describe("asking for a gift back from its receipt", () => {
  it('without JavaScript, on a phone: the request reaches the treasurers and the receipt says so', async () => {
    const member = await e2e.context({ javaScriptEnabled: false, bypassCSP: true, viewport: { width: 375, height: 812 } });
    const page = await member.newPage();
    await signInWithMail(page, e2e.url, 'member@ue222.demo', '/account');
    await page.goto(`${e2e.url}/account/receipts/${giftId}`);
    const ask = page.getByTestId('refund-ask');
    expect(await ask.textContent()).toContain('Only the appeal’s treasurers can refund a payment');
    await page.getByLabel('What happened (optional)').fill('I meant $25, not $250.');
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.waitForURL(/refund_asked=1/);
    expect(await ask.getByRole('status').textContent()).toBe('Your request was sent to the appeal’s treasurers. They will write to you at member@ue222.demo. Nothing has been refunded yet.');
    const mails = await requests();
    expect(mails.length).toBeGreaterThan(0);
    expect(mails[0]!.text_body).toContain('I meant $25, not $250.');
    await screenshots(page, 'receipt-refund-asked');
    await member.close();
  });

  it('in Arabic, with JavaScript: a reason too long is refused on the field, nothing sent again', async () => {
    const member = await e2e.context({ bypassCSP: true, viewport: { width: 375, height: 812 } });
    const page = await member.newPage();
    await signInWithMail(page, e2e.url, 'member@ue222.demo', '/account');
    await page.locator('#lang-select').selectOption('ar');
    await page.getByRole('button', { name: 'Change' }).click();
    await page.locator('html[lang="ar"]').waitFor();
    await page.goto(`${e2e.url}/account/receipts/${giftId}`);
    expect(await seriousAxeViolations(page)).toEqual([]);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    const before = (await requests()).length;
    // The browser keeps a textarea to its maxlength; a request made another way is the API's to refuse.
    await page.locator('#refund-reason').evaluate((t) => t.removeAttribute('maxlength'));
    await page.locator('#refund-reason').fill('x'.repeat(501));
    await page.getByRole('button', { name: 'أرسل الطلب' }).click();
    await expect.poll(() => page.locator('#refund-ask-error').textContent()).toBe('يُرجى ألّا يتجاوز النص 500 حرف.');
    expect((await requests()).length).toBe(before);
    await screenshots(page, 'receipt-refund-ask-ar');
    await member.close();
  });
});
