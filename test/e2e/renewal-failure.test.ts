import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { describe, expect, it, onTestFinished } from 'vitest';
import { queryRows } from '../../db/client';
import { screenshots, seriousAxeViolations, signInWithMail, useE2E } from './harness';

// A monthly donor's page says the day their card is charged next, as their calendar has it. When
// their card expired: it says the renewal failed and when Stripe tries again, and "Update card"
// takes them through Stripe's portal (the emulator's) and back, with the past-due month paid.
// With JavaScript and without: the button is a plain form.
const e2e = useE2E();

const DAY = 86_400;

async function control(emulator: string, path: string, body: object = {}): Promise<void> {
  const res = await fetch(`${emulator}/_emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`emulator control ${path}: ${res.status} ${await res.text()}`);
}

async function donationRow(id: string) {
  const [row] = await queryRows<{ status: string; renewal_failed_at: string | null; renewal_next_attempt_at: string | null }>(
    e2e.db.database.db,
    sql`SELECT status, renewal_failed_at::text, renewal_next_attempt_at::text FROM donations WHERE id = ${id}`,
  );
  return row!;
}

/**
 * A 10.00 USD monthly gift made through the app's API (with `body`), paid by a subscription whose
 * customer is on a test clock frozen at `start` (renewals happen only on clocks). Everything after
 * the gift is made goes through Stripe's API and webhooks into the running poster.
 */
async function monthlyGiftOnClock(donorEmail: string, start: number, body: Record<string, unknown> = {}) {
  // The demo appeal closes 60 days after seeding, and a gift names no charge after that
  // (appeal-deadline-monthly.test.ts): these renewals run on past it, as without a deadline.
  await e2e.db.database.db.execute(sql`UPDATE appeals SET deadline_at = NULL WHERE slug = 'buck-a-brick'`);
  const made = await fetch(`${e2e.url}/api/appeals/buck-a-brick/donations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amountMinor: '1000', frequency: 'monthly', donorEmail, donorName: 'Card Expired', idempotencyKey: randomUUID(), ...body }),
  });
  expect(made.status).toBe(201);
  const { donationId, checkoutUrl } = (await made.json()) as { donationId: string; checkoutUrl: string };
  const emulator = new URL(checkoutUrl);
  const stripe = new Stripe('sk_test_e2e', { host: emulator.hostname, port: Number(emulator.port), protocol: 'http', maxNetworkRetries: 0 });
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
  const customer = await stripe.customers.create({ email: donorEmail, test_clock: clock.id, metadata: { donation_id: donationId } });
  const metadata = { donation_id: donationId };
  const session = await stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    metadata,
    subscription_data: { metadata },
    line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Buck-a-Brick' } } }],
  });
  await control(emulator.origin, `/checkout/sessions/${session.id}/pay`, { card: '4242 4242 4242 4242' });
  await expect.poll(async () => (await donationRow(donationId)).status, { timeout: 20_000, interval: 250 }).toBe('succeeded');

  const subId = String((await stripe.checkout.sessions.retrieve(session.id)).subscription);
  /** Stripe's own word for when it charges next: the end of the subscription's current period. */
  const periodEnd = async () => (await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
  const advance = async (to: number) => void (await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: to }));
  /** A treasurer's "cancel at period end" in Stripe's Dashboard. */
  const endAtPeriodEnd = async () => void (await stripe.subscriptions.update(subId, { cancel_at_period_end: true }));
  return { donationId, emulator: emulator.origin, subId, periodEnd, advance, endAtPeriodEnd };
}

/** A monthly gift whose first renewal the bank declines. */
async function monthlyGiftWithFailedRenewal(donorEmail: string) {
  const g = await monthlyGiftOnClock(donorEmail, Math.floor(Date.now() / 1000));
  await control(g.emulator, `/subscriptions/${g.subId}/decline`, { code: 'expired_card' });
  const periodEnd = await g.periodEnd();
  await g.advance(periodEnd + 60);
  await expect.poll(async () => (await donationRow(g.donationId)).renewal_failed_at, { timeout: 20_000, interval: 250 }).not.toBeNull();
  return { ...g, nextAttemptAt: periodEnd + 3 * DAY };
}

const longDay = (seconds: number, locale = 'en', timeZone = 'UTC') => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(new Date(seconds * 1000));

describe('the next monthly charge', () => {
  // A member who gave from Osaka: a charge at 22:40 UTC is on the next day there. Without
  // JavaScript the page knows no zone of the reader's and names the day from the one her browser
  // said when she gave; with it, her browser says where she reads now (Stockholm here, where it is
  // still the day before). Ended, the gift is charged no more and the page names no day.
  it.each([
    ['without JavaScript, on the calendar she gave from', false, 'Asia/Tokyo'],
    ['with JavaScript, on the calendar of where she reads', true, 'Europe/Stockholm'],
  ])('shows on /account, after a renewal, %s, and not once ended', async (_label, javaScriptEnabled, readerZone) => {
    const email = `osaka-${javaScriptEnabled ? 'js' : 'nojs'}@example.org`;
    const today = new Date();
    const start = Math.floor(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1, 22, 40) / 1000);
    const g = await monthlyGiftOnClock(email, start, { timeZone: 'Asia/Tokyo' });
    await g.advance((await g.periodEnd()) + 60);
    await expect.poll(async () => (await queryRows(e2e.db.database.db, sql`SELECT 1 FROM donations WHERE parent_donation_id = ${g.donationId} AND status = 'succeeded'`)).length, { timeout: 20_000, interval: 250 }).toBe(1);
    const next = await g.periodEnd();
    expect(next - start).toBeGreaterThan(58 * DAY);
    const context = await e2e.context({ javaScriptEnabled, bypassCSP: javaScriptEnabled, timezoneId: readerZone });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, email, '/account');

    const shown = page.getByTestId('next-charge');
    const expected = javaScriptEnabled ? longDay(next, 'en', 'Europe/Stockholm') : longDay(next, 'en', 'Asia/Tokyo');
    expect(longDay(next, 'en', 'Asia/Tokyo')).not.toBe(longDay(next, 'en', 'Europe/Stockholm'));
    await expect.poll(() => shown.textContent(), { timeout: 10_000 }).toBe(`Next charge: ${expected}`);
    // The renewal's row in the table of gifts, and its receipt, name its day on the same calendar.
    const [renewal] = await queryRows<{ id: string; at: number }>(e2e.db.database.db, sql`SELECT id::text, extract(epoch FROM succeeded_at)::float8 AS at FROM donations WHERE parent_donation_id = ${g.donationId}`);
    expect(longDay(renewal!.at, 'en', 'Asia/Tokyo')).not.toBe(longDay(renewal!.at, 'en', 'UTC'));
    expect(await page.locator('td[data-label="Date"]').first().textContent()).toBe(longDay(renewal!.at, 'en', readerZone));
    await page.goto(`${e2e.url}/account/receipts/${renewal!.id}`);
    expect(await page.getByTestId('receipt').textContent()).toContain(new Intl.DateTimeFormat('en', { day: 'numeric', month: 'short', year: 'numeric', timeZone: readerZone }).format(new Date(renewal!.at * 1000)));
    await page.goto(`${e2e.url}/account`);
    // Read in Japanese, dated as Japanese writes dates.
    await page.goto(`${e2e.url}/account?lang=ja`);
    expect(await shown.textContent()).toBe(`次回の請求日：${longDay(next, 'ja', javaScriptEnabled ? 'Europe/Stockholm' : 'Asia/Tokyo')}`);
    await page.goto(`${e2e.url}/account?lang=en`);
    if (javaScriptEnabled) {
      expect(await seriousAxeViolations(page)).toEqual([]);
      await screenshots(page, 'account-next-charge');
    }

    // Set in Stripe to end at its period's end: the day it ends, and no next charge.
    await g.endAtPeriodEnd();
    await expect
      .poll(async () => {
        await page.reload();
        return page.getByTestId('ends-on').count();
      }, { timeout: 20_000, interval: 500 })
      .toBe(1);
    expect(await page.getByTestId('ends-on').textContent()).toBe(`Ends on ${expected}: no charge after that.`);
    expect(await shown.count()).toBe(0);

    await page.getByRole('link', { name: /^End this monthly gift/ }).click();
    await page.getByRole('button', { name: 'Yes, end it' }).click();
    await page.getByText('Your monthly gift has ended.').waitFor();
    expect(await page.getByTestId('next-charge').count()).toBe(0);
    await page.reload();
    expect(await page.getByTestId('monthly').textContent()).toMatch(/ended/);
    expect(await page.getByTestId('next-charge').count()).toBe(0);
    expect(await page.getByTestId('ends-on').count()).toBe(0);
    await context.close();
  });
});

describe('a monthly renewal that failed', () => {
  // The account's Stripe setting may leave the subscription unpaid or past due after the last try
  // instead of canceling it: the gift has not ended, and the page must not say "That was the last
  // try" as if nothing were left to do, with or without JavaScript.
  it.each([
    ['unpaid, with JavaScript', 'unpaid', true],
    ['past due, without JavaScript', 'past_due', false],
  ] as const)('after the last try, left %s, says the gift has not ended', async (_label, choice, javaScriptEnabled) => {
    const email = `last-try-${choice}@example.org`;
    const g = await monthlyGiftWithFailedRenewal(email);
    await control(g.emulator, '/after-last-retry', { choice });
    onTestFinished(() => control(g.emulator, '/after-last-retry', { choice: 'cancel' }));
    await g.advance(g.nextAttemptAt + 20 * DAY);
    await expect.poll(async () => (await donationRow(g.donationId)).renewal_next_attempt_at, { timeout: 20_000, interval: 250 }).toBeNull();
    const context = await e2e.context({ javaScriptEnabled, bypassCSP: javaScriptEnabled });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, email, '/account');
    const failed = page.getByTestId('renewal-failed');
    expect(await failed.textContent()).toContain('That was the last try for this payment. This monthly gift has not ended: update the card to go on giving, or end the gift.');
    expect(await page.getByTestId('give-again').count(), 'listed as ended').toBe(0);
    expect(await failed.getByRole('button', { name: /^Update card/ }).count()).toBe(1);
    expect(await page.getByRole('link', { name: /^End this monthly gift/ }).count()).toBe(1);
    await context.close();
  });

  it.each([
    ['with JavaScript', true],
    ['without JavaScript', false],
  ])('shows on /account and "Update card" goes through the portal and back, %s', async (_label, javaScriptEnabled) => {
    const email = `expired-${javaScriptEnabled ? 'js' : 'nojs'}@example.org`;
    const { donationId, emulator, nextAttemptAt, periodEnd } = await monthlyGiftWithFailedRenewal(email);
    const context = await e2e.context({ javaScriptEnabled, bypassCSP: javaScriptEnabled });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, email, '/account');

    const failed = page.getByTestId('renewal-failed');
    // Neither the gift nor this browser (in UTC, the zone pages date in until told) said a zone: UTC's day, named.
    const day = `${longDay(nextAttemptAt)} (UTC)`;
    expect(await failed.textContent()).toContain('The last payment did not go through');
    expect(await failed.textContent()).toContain(`Stripe will try again on ${day}.`);
    // What is at stake, while there is still time to act: the gift may end if every try fails
    // (whether it does is the account's Stripe setting).
    expect(await failed.textContent()).toContain('If the card is declined each time, Stripe stops trying, and this monthly gift may end.');
    // That try is what comes next, not a monthly charge.
    expect(await page.getByTestId('next-charge').count()).toBe(0);
    if (javaScriptEnabled) {
      expect(await seriousAxeViolations(page)).toEqual([]);
      await screenshots(page, 'account-renewal-failed');
    }

    await failed.getByRole('button', { name: /^Update card/ }).click();
    await page.waitForURL(/\/p\/session\/bps_/);
    expect(await page.textContent('body')).toContain('Payment past due');
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiry (MM / YY)').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByLabel('Name on card').fill('Card Renewed');
    // Stripe's word on the renewal it now charges is held back, as on a slow day: the page must not
    // say the payment failed (it used to, with its red button, until a reload), nor that it was paid.
    await control(emulator, '/pause');
    // Never left paused for the next test, whatever happens in this one.
    onTestFinished(() => control(emulator, '/resume'));
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.waitForURL(/\/account\b/);
    expect(await page.getByTestId('renewal-failed').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('card_saved')).toBe(donationId);
    const status = page.getByTestId('card-status');
    await expect.poll(() => status.textContent()).toContain('Card saved. Stripe is charging the unpaid renewal now…');
    expect(await page.getByRole('button', { name: /^Update card/ }).count()).toBe(0);
    // Stripe's word held back, what could still change the page is the page drawn again from the
    // server: with JavaScript it loads its data every 1.5 s (two loads waited for: the first is
    // drawn by the time the second is answered), without it the donor looks again by its link. A
    // fixed wait alone said nothing when no load came within it.
    if (javaScriptEnabled) {
      for (let i = 0; i < 2; i++) await page.waitForResponse((r) => new URL(r.url()).pathname === '/account/__data.json');
    } else {
      await Promise.all([page.waitForEvent('load'), page.getByTestId('card-check-again').click()]);
    }
    expect(await status.textContent()).toContain('Stripe is charging the unpaid renewal now…');
    expect(await page.getByTestId('renewal-failed').count()).toBe(0);
    if (javaScriptEnabled) expect(await status.textContent()).toContain('This page updates by itself.');

    // The webhook lands: the page says so by itself with JavaScript, by its link without.
    await control(emulator, '/resume');
    await expect.poll(async () => (await donationRow(donationId)).renewal_failed_at, { timeout: 20_000, interval: 250 }).toBeNull();
    if (!javaScriptEnabled) await page.getByTestId('card-check-again').click();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('Card saved. This monthly gift is up to date.');
    expect(await page.getByTestId('renewal-failed').count()).toBe(0);
    // Settled, the address loses its mark (with JavaScript), and a later visit says nothing of it.
    if (javaScriptEnabled) await expect.poll(() => page.url()).toBe(`${e2e.url}/account#monthly-title`);
    await page.goto(`${e2e.url}/account`);
    expect(await page.getByTestId('card-saved').count()).toBe(0);
    expect(await page.getByTestId('renewal-failed').count()).toBe(0);
    expect(await page.getByTestId('monthly').textContent()).toContain('$10.00');
    // Paid, the gift is charged next at the end of the month that payment was for.
    expect(await page.getByTestId('next-charge').textContent()).toBe(`Next charge: ${longDay(await periodEnd())} (UTC)`);
    const [renewal] = await queryRows<{ status: string }>(e2e.db.database.db, sql`SELECT status FROM donations WHERE parent_donation_id = ${donationId}`);
    expect(renewal?.status).toBe('succeeded');
    await context.close();
  });
});
