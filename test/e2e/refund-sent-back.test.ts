import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { giftReaches, signInContext, startGift } from './a11y-audit';
import { useE2E } from './harness';

// A refund Stripe made can be sent back by the card's bank weeks later (a closed or lost card).
// The gift's page must say so (when, how much, why) and offer the money for refund again; the
// treasurer reads it in her language, and it works without JavaScript.
const e2e = useE2E();

/** What the refund panel shows, as one line of text. */
const panel = async (page: Page) => ((await page.locator('section[aria-labelledby="refund-title"]').textContent()) ?? '').replace(/\s+/g, ' ');

/** Reviews and confirms a refund through the page's forms (`amount` typed, or the whole gift when null). */
async function refundThroughPage(page: Page, amount: string | null): Promise<void> {
  if (amount === null) await page.locator('input[name="whole"]').check();
  else await page.locator('#refund-amount').fill(amount);
  await page.locator('form[action="?/review#refund-title"] button[type="submit"]').click();
  await page.getByTestId('refund-confirm').waitFor();
  await page.locator('[data-testid="refund-confirm"] button[type="submit"]').click();
  await page.getByTestId('refund-done').waitFor();
}

describe('a refund the card’s bank sent back, on the gift’s page', () => {
  it('in German, without JavaScript: says when, how much and why, and the gift can be refunded again', async () => {
    const gift = await startGift(e2e, { amountMinor: '900', donorEmail: 'sent-back@example.org' }, '4242 4242 4242 4242');
    await giftReaches(e2e, gift.id, 'succeeded');
    const context = await e2e.context({ javaScriptEnabled: false, language: 'de' });
    await signInContext(e2e, context, 'treasurer@federation.demo');
    const page = await context.newPage();
    const giftPage = `${e2e.url}/treasury/donations/${gift.id}`;
    await page.goto(giftPage);
    await refundThroughPage(page, '4,00');
    await giftReaches(e2e, gift.id, 'partially_refunded');

    const [ask] = await e2e.db.database.rows<{ refund_id: string }>(sql`SELECT refund_id FROM refund_asks WHERE donation_id = ${gift.id}`);
    const emulator = new URL(gift.checkoutUrl).origin;
    const failed = await fetch(`${emulator}/_emulator/refunds/${ask!.refund_id}/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'lost_or_stolen_card' }) });
    expect(failed.ok, await failed.text()).toBe(true);
    await giftReaches(e2e, gift.id, 'succeeded');

    await page.goto(giftPage);
    const sentBack = ((await page.getByTestId('refunds-sent-back').textContent()) ?? '').replace(/\s+/g, ' ');
    expect(sentBack).toMatch(/Eine Erstattung über 4,00\s\$ wurde am .*2026.* von der Bank der Karte zurückgeschickt \(Karte als verloren oder gestohlen gemeldet\)\./);
    expect(sentBack).toContain('Zahlen Sie es auf anderem Weg zurück.');
    expect(sentBack).toContain(ask!.refund_id);
    // The money is refundable again, through the same form.
    expect(await panel(page)).toContain('Noch erstattbar: 9,00');
    await refundThroughPage(page, null);
    await giftReaches(e2e, gift.id, 'refunded');
    await context.close();
  });
});
