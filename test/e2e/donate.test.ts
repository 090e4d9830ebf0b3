import { sql } from 'drizzle-orm';
import { formatAmount } from '../../server/ledger/money';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appealProgress, payOnCheckout, screenshots, seriousAxeViolations, startE2E, type E2E } from './harness';

// A member gives through the real pages, the emulator's hosted checkout and the signed webhook,
// with and without JavaScript; a declined card moves no money.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

const progress = () => appealProgress(e2e.url, 'buck-a-brick');

async function ledgerEntryCount(): Promise<number> {
  const [row] = await e2e.db.database.rows<{ n: string }>(sql`SELECT count(*)::text AS n FROM ledger_entries`);
  return Number(row!.n);
}

describe('giving to Buck-a-Brick', () => {
  it('a member buys 10 bricks with 4242, sees the gift confirmed, and the wall and total grow', async () => {
    const before = await progress();
    const context = await e2e.context({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    const filledBefore = Number(await page.getByTestId('brick-wall').getAttribute('data-filled'));
    expect(filledBefore).toBe(before.unitsFilled);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'appeal');

    await page.getByRole('radio', { name: /^10\b/ }).check();
    await page.getByLabel('Your name (for the donor wall)').fill('Rosa from Local 222');
    await page.getByLabel('Email, for your receipt').fill('rosa@example.org');
    await page.getByLabel('A message of solidarity (optional)').fill('¡Solidaridad!');
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await payOnCheckout(page, '4242 4242 4242 4242');

    await page.waitForURL(/\/appeals\/buck-a-brick\/thanks\?donation=/);
    const status = page.getByTestId('gift-status');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 20_000 }).toBe('succeeded');
    await expect.poll(() => status.textContent()).toContain('Your gift of $10.00 is confirmed.');
    expect(await page.getByTestId('raised').textContent()).toBe(formatAmount(BigInt(before.raisedGrossMinor) + 1000n, 'USD', 'en'));
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'thanks');

    await page.getByRole('link', { name: 'Back to the appeal' }).click();
    await page.waitForURL(/\/appeals\/buck-a-brick$/);
    expect(Number(await page.getByTestId('brick-wall').getAttribute('data-filled'))).toBe(filledBefore + 10);
    expect(await page.getByTestId('wall-text').textContent()).toContain(`${filledBefore + 10} of 1,300 bricks laid`);
    expect(await page.getByTestId('donors').textContent()).toBe(String(before.donorCount + 1));
    expect(await page.getByTestId('donor-wall').textContent()).toContain('Rosa from Local 222');
    // The message waits for an organizer: it is not on the wall yet.
    expect(await page.getByTestId('donor-wall').textContent()).not.toContain('Solidaridad');
    await screenshots(page, 'appeal-after-gift');
    await context.close();
  });

  it('a declined card shows a clear message, and nothing is posted', async () => {
    const before = await progress();
    const entriesBefore = await ledgerEntryCount();
    const context = await e2e.context();
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    await page.getByRole('radio', { name: /^5\b/ }).check();
    await page.getByLabel('Email, for your receipt').fill('decline@example.org');
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await payOnCheckout(page, '4000 0000 0000 0002');

    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Your card was declined.');
    await screenshots(page, 'checkout-declined');
    await page.getByRole('link', { name: 'Cancel and go back' }).click();
    await page.waitForURL(/\/appeals\/buck-a-brick\?.*canceled=1/);
    expect(await page.getByTestId('canceled').textContent()).toContain('The payment was canceled. Nothing was charged.');
    await screenshots(page, 'appeal-canceled');

    // Give the emulator and the poster time to do anything they would do, then check nothing moved.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await progress()).toEqual(before);
    expect(await ledgerEntryCount()).toBe(entriesBefore);
    await context.close();
  });

  it('works without JavaScript: a typed number of bricks, a form error, checkout and the thank-you page', async () => {
    const before = await progress();
    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);

    // No email: the server answers with the form again and says what is missing.
    await page.getByLabel('Another number of bricks').fill('3');
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Please give an email address');
    expect(await page.getByLabel('Another number of bricks').inputValue()).toBe('3');

    await page.getByLabel('Email, for your receipt').fill('nojs@example.org');
    await page.getByLabel('Don’t show my name on the donor wall').check();
    await page.getByLabel('Email me this appeal’s updates').check();
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await payOnCheckout(page, '4242424242424242');

    // The thank-you page refreshes itself (a <noscript> refresh) until the webhook was posted.
    await page.waitForURL(/\/thanks\?donation=/);
    await expect
      .poll(async () => page.getByTestId('gift-status').getAttribute('data-status').catch(() => null), { timeout: 25_000, interval: 500 })
      .toBe('succeeded');
    expect(await page.getByTestId('gift-status').textContent()).toContain('$3.00');
    const after = await progress();
    expect(after.unitsFilled).toBe((before.unitsFilled ?? 0) + 3);
    // The boxes ticked without JavaScript reached the gift: anonymous on the wall, updates by email.
    const [gift] = await e2e.db.database.rows<{ anonymous: boolean; updates_opt_in: boolean }>(
      sql`SELECT anonymous, updates_opt_in FROM donations WHERE donor_email = 'nojs@example.org' ORDER BY created_at DESC LIMIT 1`,
    );
    expect(gift).toEqual({ anonymous: true, updates_opt_in: true });
    await context.close();
  });
});
