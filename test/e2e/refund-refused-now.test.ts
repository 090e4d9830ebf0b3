import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { giftReaches, signInContext, startGift } from './a11y-audit';
import { useE2E } from './harness';

// An audit found a refused refund leaving the treasurer's page on money that no longer exists: with
// the gift refunded in another tab, the confirmation was refused ("nothing left to refund") yet the
// same panel still offered "Still refundable: $10.00" and the form to refund it. A refusal that
// means the gift changed must show the gift as it is now, with and without JavaScript.
const e2e = useE2E();

const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return !el || el === document.body ? 'body' : `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`;
  });

/** Reviews a refund on an open gift page: `amount` typed, or the whole gift when null. */
async function review(page: Page, amount: string | null): Promise<void> {
  // A tab behind another gets no animation frames, and Playwright waits for them before a click.
  await page.bringToFront();
  // The box is drawn over a hidden input: its label is what a person clicks.
  if (amount === null) await page.locator('label.check', { hasText: 'Refund the whole gift' }).click();
  else await page.getByLabel(/^Amount to refund/).fill(amount);
  await page.getByRole('button', { name: 'Review the refund' }).click();
  await page.getByTestId('refund-confirm').waitFor();
}

/** The gift's page open in two tabs of one treasurer's browser, each loaded and its script running. */
async function twoTabs(context: BrowserContext, giftId: string): Promise<[Page, Page]> {
  const tabs: [Page, Page] = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) {
    await tab.goto(`${e2e.url}/treasury/donations/${giftId}`);
    await tab.waitForLoadState('networkidle');
  }
  return tabs;
}

/** Presses the reviewed refund's button in `page`, brought to the front first (see review). */
async function confirmRefund(page: Page): Promise<void> {
  await page.bringToFront();
  await page.getByRole('button', { name: /^Refund .* now$/ }).click();
}

/** What the refund panel shows, as one line of text. */
const panel = async (page: Page) => ((await page.locator('section[aria-labelledby="refund-title"]').textContent()) ?? '').replace(/\s+/g, ' ');

describe('a refused refund shows the gift as it is now', () => {
  for (const javaScriptEnabled of [true, false]) {
    it(`${javaScriptEnabled ? 'with' : 'without'} JavaScript: refunded in another tab, the refusal offers nothing that is gone`, async () => {
      const gift = await startGift(e2e, { amountMinor: '1000', donorEmail: `two-tabs-${javaScriptEnabled}@example.org` }, '4242 4242 4242 4242');
      await giftReaches(e2e, gift.id, 'succeeded');
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'treasurer@federation.demo');
      const [a, b] = await twoTabs(context, gift.id);
      await review(a, '10.00');

      // Tab B refunds the whole gift while tab A's review waits.
      await review(b, null);
      await confirmRefund(b);
      await b.getByTestId('refund-done').waitFor();

      await confirmRefund(a);
      await a.locator('#refund-error').waitFor();
      const shown = await panel(a);
      expect(shown).toContain('Nothing is left to refund on this gift');
      // The $10.00 is gone: no figure, no box and no form offer it again.
      expect(shown).not.toContain('Still refundable');
      expect(await a.locator('label.check', { hasText: 'Refund the whole gift' }).count()).toBe(0);
      expect(await a.getByRole('button', { name: 'Review the refund' }).count()).toBe(0);
      // In its place, why nothing more can be refunded (asked of Stripe, or refunded already).
      expect(await a.getByTestId('refund-unavailable').count()).toBe(1);
      if (javaScriptEnabled) await expect.poll(() => focused(a)).toBe('p#refund-error');
      await context.close();
    });
  }

  it('with JavaScript: partly refunded in another tab, the refusal shows what is still refundable, and so does the review’s', async () => {
    const gift = await startGift(e2e, { amountMinor: '1000', donorEmail: 'two-tabs-part@example.org' }, '4242 4242 4242 4242');
    await giftReaches(e2e, gift.id, 'succeeded');
    const context = await e2e.context();
    await signInContext(e2e, context, 'treasurer@federation.demo');
    const [a, b] = await twoTabs(context, gift.id);
    await review(a, '10.00');
    await review(b, '6.00');
    await confirmRefund(b);
    await b.getByTestId('refund-done').waitFor();

    // The confirmation is refused as too large: the panel offers the $4.00 left, the amount has the focus.
    await confirmRefund(a);
    await a.locator('#refund-error').waitFor();
    let shown = await panel(a);
    expect(shown).toContain('At most $4.00 can still be refunded.');
    expect(shown).toContain('Still refundable: $4.00');
    expect(shown).toContain('Refund the whole gift ($4.00)');
    await expect.poll(() => focused(a)).toBe('input#refund-amount');

    // Tab B refunds the rest; tab A's next review is refused, and the form offering $4.00 goes.
    await b.goto(`${e2e.url}/treasury/donations/${gift.id}`);
    await b.waitForLoadState('networkidle');
    await review(b, null);
    await confirmRefund(b);
    await b.getByTestId('refund-done').waitFor();
    await a.bringToFront();
    await a.getByLabel(/^Amount to refund/).fill('');
    await a.locator('label.check', { hasText: 'Refund the whole gift' }).click();
    await a.getByRole('button', { name: 'Review the refund' }).click();
    await expect.poll(async () => panel(a)).toContain('Nothing is left to refund on this gift');
    shown = await panel(a);
    expect(shown).not.toContain('Still refundable');
    expect(await a.getByRole('button', { name: 'Review the refund' }).count()).toBe(0);
    await expect.poll(() => focused(a)).toBe('p#refund-error');
    await context.close();
  });
});
