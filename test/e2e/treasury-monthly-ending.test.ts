import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { signInWithMail, useE2E } from './harness';

// A monthly gift set in Stripe's Dashboard to end at its period's end: the donor's page says the
// day it ends; the treasurer's gift page says it too, and names no amount for renewals that will
// not come.
const e2e = useE2E();

async function control(emulator: string, path: string, body: object = {}): Promise<void> {
  const res = await fetch(`${emulator}/_emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`emulator control ${path}: ${res.status} ${await res.text()}`);
}

const endsAtOf = async (id: string) =>
  (await queryRows<{ ends_at: Date | string | null }>(e2e.db.database.db, sql`SELECT subscription_ends_at AS ends_at FROM donations WHERE id = ${id}`))[0]?.ends_at ?? null;

describe("a monthly gift's end on the treasurer's gift page", () => {
  it('says the day a monthly gift set to end ends, and no renewal amount', async () => {
    // A 10.00 USD monthly gift made through the app's API, paid through the emulator.
    const made = await fetch(`${e2e.url}/api/appeals/buck-a-brick/donations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amountMinor: '1000', frequency: 'monthly', donorEmail: 'ending@example.org', donorName: 'Ending Soon', idempotencyKey: randomUUID() }),
    });
    expect(made.status).toBe(201);
    const { donationId, checkoutUrl } = (await made.json()) as { donationId: string; checkoutUrl: string };
    const emulator = new URL(checkoutUrl);
    const stripe = new Stripe('sk_test_e2e', { host: emulator.hostname, port: Number(emulator.port), protocol: 'http', maxNetworkRetries: 0 });
    const metadata = { donation_id: donationId };
    const customer = await stripe.customers.create({ email: 'ending@example.org', metadata });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      metadata,
      subscription_data: { metadata },
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Buck-a-Brick' } } }],
    });
    await control(emulator.origin, `/checkout/sessions/${session.id}/pay`, { card: '4242 4242 4242 4242' });
    const statusOf = async () => (await queryRows<{ status: string }>(e2e.db.database.db, sql`SELECT status FROM donations WHERE id = ${donationId}`))[0]?.status;
    await expect.poll(statusOf, { timeout: 20_000, interval: 250 }).toBe('succeeded');

    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, 'treasurer@federation.demo', `/treasury/donations/${donationId}`);
    // Running: each renewal's amount, and no end.
    expect(await page.getByTestId('gift-monthly-amount').textContent()).toBe('$10.00');
    expect(await page.getByTestId('gift-ends-on').count()).toBe(0);

    // A treasurer's "cancel at period end" in Stripe's Dashboard.
    const subId = String((await stripe.checkout.sessions.retrieve(session.id)).subscription);
    await stripe.subscriptions.update(subId, { cancel_at_period_end: true });
    await expect.poll(() => endsAtOf(donationId), { timeout: 20_000, interval: 250 }).not.toBeNull();
    const endsAt = new Date((await endsAtOf(donationId))!);

    await page.reload();
    const day = new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(endsAt);
    expect(await page.getByTestId('gift-kind').textContent()).toContain(`Ends on ${day} (UTC): no charge after that.`);
    expect(await page.getByTestId('gift-monthly-amount').count()).toBe(0);
    await context.close();
  });
});
