import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { expect } from 'vitest';
import { queryRows } from '../../db/client';
import type { E2E } from './harness';

/**
 * A paid ¥3,000 monthly gift to the Osaka strike fund, given in Japanese through the app's API and
 * paid on the emulator's checkout, once the poster has linked its subscription; with the Stripe
 * client that reaches the same emulator, for what a test asks or changes there.
 */
export async function yenMonthlyGift(e2e: E2E, donorEmail: string, body: Record<string, unknown> = {}) {
  const made = await fetch(`${e2e.url}/api/appeals/osaka-care-strike-fund/donations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amountMinor: '3000', frequency: 'monthly', donorEmail, donorName: '山田花子', locale: 'ja', idempotencyKey: randomUUID(), ...body }),
  });
  expect(made.status).toBe(201);
  const { donationId, checkoutUrl } = (await made.json()) as { donationId: string; checkoutUrl: string };
  const emulator = new URL(checkoutUrl);
  const paid = await fetch(`${emulator.origin}/_emulator/checkout/sessions/${emulator.pathname.split('/').at(-1)}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ card: '4242 4242 4242 4242' }),
  });
  expect(paid.status).toBe(200);
  const subscriptionOf = async () =>
    (await queryRows<{ subscription_id: string | null }>(e2e.db.database.db, sql`SELECT subscription_id FROM donations WHERE id = ${donationId}`))[0]?.subscription_id ?? null;
  await expect.poll(subscriptionOf, { timeout: 20_000, interval: 250 }).not.toBeNull();
  const stripe = new Stripe('sk_test_e2e', { host: emulator.hostname, port: Number(emulator.port), protocol: 'http', maxNetworkRetries: 0 });
  return { donationId, subId: (await subscriptionOf())!, stripe };
}
