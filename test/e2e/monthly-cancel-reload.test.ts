import { describe, expect, it } from 'vitest';
import en from '../../web/messages/en.json' with { type: 'json' };
import { signInContext } from './a11y-audit';
import { useE2E } from './harness';
import { yenMonthlyGift } from './yen-monthly-gift';

// Ending a monthly gift on /account is a POST: answered in place, the address kept `?/cancel` (or
// the confirm step's `?cancel=<id>`), and a reload sent the form again or asked again to end a
// gift already ended. Post/Redirect/Get: the page it lands on is plain /account, says "ended"
// once, and a reload says nothing more.
const e2e = useE2E();

describe('ending a monthly gift on /account', () => {
  for (const javaScriptEnabled of [false, true]) {
    it(`lands on /account, says it once, and a reload sends nothing (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const email = `cancel.reload.${javaScriptEnabled ? 'js' : 'nojs'}@example.org`;
      const { donationId, subId, stripe } = await yenMonthlyGift(e2e, email);
      const context = await e2e.context({ language: 'en-US', javaScriptEnabled });
      await signInContext(e2e, context, email);
      const page = await context.newPage();
      const posts: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST') posts.push(new URL(r.url()).search);
      });
      await page.goto(`${e2e.url}/account?lang=en`);
      await page.locator(`#monthly-${donationId}`).getByRole('link', { name: new RegExp(`^${en.monthly_cancel}`) }).click();
      await page.getByRole('heading', { name: en.monthly_confirm_title }).waitFor();
      await page.getByRole('button', { name: en.monthly_confirm_yes }).click();
      await page.getByTestId('canceled-notice').waitFor();
      expect(await page.getByTestId('canceled-notice').textContent()).toBe(en.monthly_canceled_notice);
      expect((await stripe.subscriptions.retrieve(subId)).status).toBe('canceled');
      const landed = new URL(page.url());
      expect(`${landed.pathname}${landed.search}`).toBe('/account');
      expect(posts).toHaveLength(1);

      await page.reload();
      await page.getByTestId('monthly').waitFor();
      expect(posts, 'a reload sends the form again').toHaveLength(1);
      expect(await page.getByTestId('canceled-notice').count(), 'said again on reload').toBe(0);
      expect(await page.locator(`#monthly-${donationId}`).textContent()).toMatch(/ended/);
      await context.close();
    });
  }
});
