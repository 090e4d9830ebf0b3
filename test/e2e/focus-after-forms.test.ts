import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { giftReaches, signInContext, startGift } from './a11y-audit';
import { useE2E } from './harness';

// A keyboard or screen-reader user who presses a form's button must not be dropped to the top of
// the page: an audit found the focus on <body> after these forms answered, the next Tab on "Skip to
// content", and a moderated message not said at all. Each answer puts the focus where the person
// goes on, and the next Tab goes on from there.
const e2e = useE2E();

/** The focused element as a person would name it, or "body" when nothing is. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent ?? '').replace(/\s+/g, ' ').trim()}"`;
  });

describe('the focus after a form answers', () => {
  it('moderating a message keeps the organizer on its row, and says what became of it', async () => {
    // Two messages, newest first: Rosa's row has Ana's below it.
    const older = await startGift(e2e, { donorEmail: 'older@example.org', donorName: 'Ana Older', message: 'An older message' }, '4242 4242 4242 4242');
    await giftReaches(e2e, older.id, 'succeeded');
    const gift = await startGift(e2e, { donorEmail: 'wall@example.org', donorName: 'Rosa Wall', message: 'Solidarity from the night shift' }, '4242 4242 4242 4242');
    await giftReaches(e2e, gift.id, 'succeeded');
    const context = await e2e.context();
    await signInContext(e2e, context, 'organizer@ue222.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/buck-a-brick`);
    // Pressed before the page's script has run, the form would post without it.
    await page.waitForLoadState('networkidle');
    const row = page.locator('tr', { hasText: 'Solidarity from the night shift' });
    const status = page.getByTestId('donors-table').getByRole('status');

    await row.getByRole('button', { name: 'Show on the wall · Rosa Wall' }).focus();
    await page.keyboard.press('Enter');
    // The button pressed is gone; the row's other one has the focus.
    // (The button's hidden " · name" loses its leading space in the text, not in what is read.)
    await expect.poll(() => focused(page)).toMatch(/^button "Hide ?· Rosa Wall"$/);
    expect(await status.textContent()).toBe('On the wall · Rosa Wall');
    // The next Tab goes on down the list, not back to the top of the page: to the next row's first
    // button, which takes its donor's name off the wall.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^button "Take name off the wall ?· Ana Older"$/);

    await row.getByRole('button', { name: 'Hide · Rosa Wall' }).focus();
    await page.keyboard.press(' ');
    await expect.poll(() => focused(page)).toMatch(/^button "Show on the wall ?· Rosa Wall"$/);
    expect(await status.textContent()).toBe('Hidden · Rosa Wall');
    await context.close();
  });

  it('moderating without JavaScript says what became of the message on the page it loads', async () => {
    const gift = await startGift(e2e, { donorEmail: 'plain@example.org', donorName: 'Joe Plain', message: 'From a plain browser' }, '4242 4242 4242 4242');
    await giftReaches(e2e, gift.id, 'succeeded');
    const context = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@ue222.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/buck-a-brick`);
    await page.locator('tr', { hasText: 'From a plain browser' }).getByRole('button', { name: 'Show on the wall · Joe Plain' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#donors-title$/);
    expect(await page.getByTestId('donors-table').getByRole('status').textContent()).toBe('On the wall · Joe Plain');
    await context.close();
  });

  it('a refund’s review takes the treasurer to the question, its refusal to the amount, its end to the outcome', async () => {
    const gift = await startGift(e2e, { donorEmail: 'refund-focus@example.org' }, '4242 4242 4242 4242');
    await giftReaches(e2e, gift.id, 'succeeded');
    const context = await e2e.context();
    await signInContext(e2e, context, 'treasurer@federation.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/treasury/donations/${gift.id}`);
    await page.waitForLoadState('networkidle');

    // Nothing typed: the refusal is said on the amount, where the focus goes.
    await page.getByRole('button', { name: 'Review the refund' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#refund-error').waitFor();
    await expect.poll(() => focused(page)).toBe('input#refund-amount ""');

    await page.keyboard.type('1.00');
    await page.getByRole('button', { name: 'Review the refund' }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('refund-confirm').waitFor();
    // The question to confirm, not its button: a second press of Enter must not refund at once.
    await expect.poll(() => focused(page)).toMatch(/^p#refund-question "Refund \W*USD\W*1\.00\W* of the gift from refund-focus@example\.org to/);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^button "Refund \W*\$1\.00\W* now"$/);
    await page.keyboard.press('Enter');
    await page.getByTestId('refund-done').waitFor();
    await expect.poll(() => focused(page)).toMatch(/^p#refund-done /);
    await context.close();
  });

  it('a refused invitation takes the admin to the address to correct', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'admin@federation.demo');
      const page = await context.newPage();
      await page.goto(`${e2e.url}/manage/ue-local-222/people`);
      await page.waitForLoadState('networkidle');
      const email = page.locator('form[action^="?/invite"] input[name="email"]');
      await email.focus();
      await page.keyboard.type('not-an-address');
      await page.keyboard.press('Enter');
      await page.locator('#invite-error').waitFor();
      if (javaScriptEnabled) {
        await expect.poll(() => focused(page)).toBe('input ""');
      } else {
        // Without JavaScript the page loads at the form's heading: the next Tab reaches the address.
        await page.keyboard.press('Tab');
        expect(await focused(page), 'without JavaScript').toBe('input ""');
      }
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe('not-an-address');
      await context.close();
    }
  });
});

// Enter in a field of the new-appeal form previewed the story (Preview is the form's first button)
// and saved nothing; a refused save then left the focus on <body>.
describe('the new-appeal form and the keyboard', () => {
  for (const javaScriptEnabled of [true, false]) {
    it(`Enter in a field saves, and a refusal is said on the first field to correct${javaScriptEnabled ? '' : ', without JavaScript'}`, async () => {
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'organizer@ue222.demo');
      const page = await context.newPage();
      await page.goto(`${e2e.url}/manage/ue-local-222/new`);
      if (javaScriptEnabled) await page.waitForLoadState('networkidle');
      await page.getByLabel('Title', { exact: true }).fill('A roof for the hall');
      await page.getByLabel('Title', { exact: true }).press('Enter');
      // A save with fields missing: refused, each field marked (a preview marks none).
      await page.locator('#appeal-form [aria-invalid="true"]').first().waitFor();
      expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe('A roof for the hall');
      if (javaScriptEnabled) expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid'))).toBe('true');
      await context.close();
    });
  }
});
