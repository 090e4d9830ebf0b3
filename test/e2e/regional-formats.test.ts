import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ar from '../../web/messages/ar.json' with { type: 'json' };
import es from '../../web/messages/es.json' with { type: 'json' };
import arMail from '../../server/mail/messages/ar.json' with { type: 'json' };
import esMail from '../../server/mail/messages/es.json' with { type: 'json' };
import { signInContext } from './a11y-audit';
import { liveAppeal, payOnCheckout, settledGiftStatus, startE2E, type E2E } from './harness';

// A member in Mexico City reads the pages in Spanish and writes amounts as Mexico does (200,000.00):
// the pages wrote Spain's 200.000,00 and refused the "1,500" she typed. One in Oran reads Arabic
// and writes Algeria's 1.500,00 in Latin digits; a sentence ending in a dinar amount ended "د.ج..".
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  await liveAppeal(e2e.db, { slug: 'salon-sindical', title: 'Salón sindical', beneficiary: 'Sindicato de trabajadores municipales', currency: 'MXN', goalMinor: 20_000_000 });
  await liveAppeal(e2e.db, { slug: 'oran-dockers', title: 'Oran dockers', beneficiary: 'Dockers of Oran', currency: 'DZD', goalMinor: 10_000_000 });
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

const visible = (text: string | null) => (text ?? '').replace(/\p{Cf}/gu, '').replace(/\s/g, ' ');

/** The real SDK against the server's emulator, found from its hosted checkout page the browser is on. */
function emulatorStripe(checkoutPage: Page): Stripe {
  const emulator = new URL(checkoutPage.url());
  return new Stripe('sk_test_e2e', { host: emulator.hostname, port: Number(emulator.port), protocol: 'http' });
}

describe('amounts in the reader’s region', () => {
  for (const javaScriptEnabled of [true, false]) {
    it(`a Mexican reader on a phone sees 200,000.00 and gives "1,500" as 1500.00 MXN (${javaScriptEnabled ? 'with' : 'without'} JavaScript)`, async () => {
      const context = await e2e.context({ language: 'es-MX', javaScriptEnabled, viewport: { width: 375, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
      await page.goto(`${e2e.url}/appeals/salon-sindical`);
      expect(await page.locator('html').getAttribute('lang')).toBe('es');
      expect(visible(await page.getByTestId('goal').textContent())).toBe('$200,000.00');
      const hint = visible(await page.locator('#amount-hint').textContent());
      expect(hint).toBe(es.give_amount_hint.replace('{example}', '1,234.50'));

      // Spain's "1.500" is one and a half pesos with too many decimals here: refused, never 1500.
      const email = `cdmx-${javaScriptEnabled ? 'js' : 'nojs'}@example.org`;
      await page.getByLabel(es.give_other_amount.replace('{currency}', 'MXN')).fill('1.500');
      await page.getByLabel(es.give_email).fill(email);
      await page.getByRole('button', { name: es.give_submit }).click();
      await expect.poll(async () => visible(await page.locator('#give-error').textContent())).toBe(es.error_amount_decimals.replace('{example}', '1,234.50'));

      await page.getByLabel(es.give_other_amount.replace('{currency}', 'MXN')).fill('1,500');
      await page.getByRole('button', { name: es.give_submit }).click();
      await page.waitForURL(/\/checkout\/cs_/);
      const session = await emulatorStripe(page).checkout.sessions.retrieve(new URL(page.url()).pathname.split('/').at(-1)!);
      expect([session.amount_total, session.currency]).toEqual([150000, 'mxn']);
      await payOnCheckout(page, '4242 4242 4242 4242');
      await page.waitForURL(/\/thanks\?donation=/);
      expect(await settledGiftStatus(page)).toBe('succeeded');
      expect(visible(await page.getByTestId('gift-status').textContent())).toContain(es.thanks_confirmed.replace('{amount}', '$1,500.00'));
      const [gift] = await e2e.db.database.rows<{ amount_minor: string; currency: string }>(sql`SELECT amount_minor::text, currency FROM donations WHERE donor_email = ${email}`);
      expect(gift).toEqual({ amount_minor: '150000', currency: 'MXN' });
      // Her receipt writes the amount as the page she gave from did, in Spanish: not Spain's "1500,00 MXN".
      const [receipt] = await e2e.db.database.rows<{ subject: string; text_body: string }>(sql`SELECT subject, text_body FROM outbox_emails WHERE to_address = ${email} AND kind = 'receipt'`);
      expect(receipt!.subject).toBe(esMail.receipt_subject.replace('{amount}', '$1,500.00'));
      expect(receipt!.text_body).toContain(esMail.receipt_thanks.replace('{amount}', '$1,500.00').replace('{appeal}', 'Salón sindical'));
      // The browser rendered the same digits as the server: no hydration mismatch was reported.
      expect(errors.filter((e) => /hydrat/i.test(e))).toEqual([]);
      await context.close();
    });
  }

  it('a reader in Oran sees Algeria’s 1.500,00 in Latin digits, gives "1.500" as 1500.00 DZD, and is thanked with one full stop', async () => {
    const context = await e2e.context({ language: 'ar-DZ', viewport: { width: 375, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/oran-dockers`);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(visible(await page.getByTestId('goal').textContent())).toBe('100.000,00 د.ج.');
    await page.getByLabel(ar.give_other_amount.replace('{currency}', 'DZD')).fill('1.500');
    await page.getByLabel(ar.give_email).fill('oran-dz@example.org');
    await page.getByRole('button', { name: ar.give_submit }).click();
    await payOnCheckout(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/thanks\?donation=/);
    expect(await settledGiftStatus(page)).toBe('succeeded');
    const thanked = visible(await page.getByTestId('gift-status').textContent());
    expect(thanked).toContain(ar.thanks_confirmed.replace('{amount}.', '1.500,00 د.ج.'));
    expect(thanked).not.toContain('..');
    const [gift] = await e2e.db.database.rows<{ amount_minor: string }>(sql`SELECT amount_minor::text FROM donations WHERE donor_email = 'oran-dz@example.org'`);
    expect(gift).toEqual({ amount_minor: '150000' });
    // Her receipt too, in Arabic with Algeria's digits: not the 1,500.00 of Arabic's own.
    const [receipt] = await e2e.db.database.rows<{ subject: string }>(sql`SELECT subject FROM outbox_emails WHERE to_address = 'oran-dz@example.org' AND kind = 'receipt'`);
    expect(visible(receipt!.subject)).toBe(visible(arMail.receipt_subject.replace('{amount}', '1.500,00 د.ج.')));
    await context.close();
  });
});

// An organizer in Osaka types the goal as a Japanese IME writes it: full-width digits and 万.
describe('a goal typed the Japanese way', () => {
  it('saves ５０万 as ¥500,000 on the appeal form', async () => {
    const context = await e2e.context({ language: 'ja' });
    await signInContext(e2e, context, 'organizer@ue222.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/ue-local-222/new?lang=ja`);
    await page.locator('#f-title').fill('大阪の介護ストライキ基金');
    await page.locator('#f-slug').fill('osaka-goal-ime');
    await page.locator('#f-summary').fill('ストライキ中の介護職員を支えます。');
    await page.locator('#f-story').fill('ストライキ中の介護職員の生活費です。');
    await page.locator('#f-beneficiary').fill('大阪介護労働組合');
    await page.locator('#f-currency').selectOption('JPY');
    await page.locator('#f-goal').fill('1.5万');
    await page.locator('#appeal-form .actions button').first().click();
    await page.locator('#goal-error').waitFor();
    await page.locator('#f-goal').fill('５０万');
    await page.locator('#appeal-form .actions button').first().click();
    await page.waitForURL(/\/manage\/appeals\/osaka-goal-ime\?created=1/);
    const [row] = await e2e.db.database.rows<{ goal_minor: string; currency: string }>(sql`SELECT goal_minor::text, currency FROM appeals WHERE slug = 'osaka-goal-ime'`);
    await context.close();
    expect(row).toEqual({ goal_minor: '500000', currency: 'JPY' });
  });
});
