import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { screenshots, seriousAxeViolations, signInWithMail, startE2E, type E2E } from './harness';

// A monthly donor whose card expired: their page says the renewal failed and when Stripe tries
// again, and "Update card" takes them through Stripe's portal (the emulator's) and back, with the
// past-due month paid. With JavaScript and without: the button is a plain form.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

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
 * A 10.00 USD monthly gift made through the app's API, paid by a subscription whose customer is on
 * a test clock (renewals happen only on clocks), whose first renewal the bank then declines.
 * Everything after the gift is made goes through Stripe's API and webhooks into the running poster.
 */
async function monthlyGiftWithFailedRenewal(donorEmail: string): Promise<{ donationId: string; nextAttemptAt: number }> {
  const made = await fetch(`${e2e.url}/api/appeals/buck-a-brick/donations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amountMinor: '1000', frequency: 'monthly', donorEmail, donorName: 'Card Expired', idempotencyKey: randomUUID() }),
  });
  expect(made.status).toBe(201);
  const { donationId, checkoutUrl } = (await made.json()) as { donationId: string; checkoutUrl: string };
  const emulator = new URL(checkoutUrl);
  const stripe = new Stripe('sk_test_e2e', { host: emulator.hostname, port: Number(emulator.port), protocol: 'http', maxNetworkRetries: 0 });
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: Math.floor(Date.now() / 1000) });
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
  await control(emulator.origin, `/subscriptions/${subId}/decline`, { code: 'expired_card' });
  const periodEnd = (await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
  await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: periodEnd + 60 });
  await expect.poll(async () => (await donationRow(donationId)).renewal_failed_at, { timeout: 20_000, interval: 250 }).not.toBeNull();
  return { donationId, nextAttemptAt: periodEnd + 3 * DAY };
}

describe('a monthly renewal that failed', () => {
  it.each([
    ['with JavaScript', true],
    ['without JavaScript', false],
  ])('shows on /account and "Update card" goes through the portal and back, %s', async (_label, javaScriptEnabled) => {
    const email = `expired-${javaScriptEnabled ? 'js' : 'nojs'}@example.org`;
    const { donationId, nextAttemptAt } = await monthlyGiftWithFailedRenewal(email);
    const context = await e2e.context({ javaScriptEnabled, bypassCSP: javaScriptEnabled });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, email, '/account');

    const failed = page.getByTestId('renewal-failed');
    const day = new Intl.DateTimeFormat('en', { dateStyle: 'long' }).format(new Date(nextAttemptAt * 1000));
    expect(await failed.textContent()).toContain('The last payment did not go through');
    expect(await failed.textContent()).toContain(`Stripe will try again on ${day}.`);
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
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.waitForURL(`${e2e.url}/account`);

    // The past-due month is paid with the new card; once its webhook is posted the notice is gone.
    await expect.poll(async () => (await donationRow(donationId)).renewal_failed_at, { timeout: 20_000, interval: 250 }).toBeNull();
    await page.reload();
    expect(await page.getByTestId('renewal-failed').count()).toBe(0);
    expect(await page.getByTestId('monthly').textContent()).toContain('$10.00');
    const [renewal] = await queryRows<{ status: string }>(e2e.db.database.db, sql`SELECT status FROM donations WHERE parent_donation_id = ${donationId}`);
    expect(renewal?.status).toBe('succeeded');
    await context.close();
  });
});
