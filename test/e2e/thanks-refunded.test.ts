import { expect, it } from 'vitest';
import { sessionCookiesOverHttp } from '../helpers/http-sign-in';
import es from '../../web/messages/es.json' with { type: 'json' };
import { giftReaches, startGift } from './a11y-audit';
import { useE2E } from './harness';

// A donor who opens her thank-you page again after her gift was refunded (the link is in her
// browser's history) read "Your gift was not completed" over "This gift has been refunded": the
// gift was completed, then given back. Refunded for real, through the treasurer's API and
// Stripe's events, and read without JavaScript in Spanish.
const e2e = useE2E();

it('a refunded gift’s thank-you page says it was refunded, not that it was not completed', { timeout: 90_000 }, async () => {
  const gift = await startGift(e2e, { amountMinor: '1500', donorEmail: 'devuelta@example.org', locale: 'es' }, '4242 4242 4242 4242');
  await giftReaches(e2e, gift.id, 'succeeded');
  const treasurer = (await sessionCookiesOverHttp(e2e.url, e2e.db.database, 'treasurer@federation.demo')).join('; ');
  const refund = await fetch(`${e2e.url}/api/donations/${gift.id}/refund`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: e2e.url, cookie: treasurer },
    body: JSON.stringify({ idempotencyKey: `refund-${gift.id}` }),
  });
  expect(refund.status, await refund.clone().text()).toBeLessThan(300);
  await giftReaches(e2e, gift.id, 'refunded');

  const context = await e2e.context({ language: 'es', javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${e2e.url}/appeals/buck-a-brick/thanks?donation=${gift.id}&lang=es`);
  expect(await page.locator('h1').textContent()).toBe(es.thanks_refunded_title);
  expect(await page.locator('main').textContent()).toContain(es.thanks_refunded_text);
  expect(await page.locator('main').textContent()).not.toContain(es.thanks_failed_title);
  await context.close();
});
