import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app';
import { donations } from '../../db/schema/index';
import { seedDemoData } from '../../db/seed';
import { createStripeClient } from '../../server/payments/stripe-client';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';

// The embedded demo (no PUBLIC_URL) answers at localhost and at 127.0.0.1, and a session cookie
// belongs to one of the two names: Checkout's way back (the thank-you page, or the form again)
// opens at the name the donor gave from. With PUBLIC_URL set it is always PUBLIC_URL.

let testDb: TestDatabase;
let emulator: StripeEmulator;
let stripe: Stripe;
let demo: FastifyInstance;
let production: FastifyInstance;

beforeAll(async () => {
  testDb = await createTestDatabase();
  await seedDemoData(testDb.database.db);
  emulator = await startStripeEmulator({ logger: false, disputeAfterMs: null, webhook: { url: 'http://127.0.0.1:1/unset', secret: 'whsec_x', baseDelayMs: 20, maxAttempts: 1 } });
  stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: emulator.clientOptions });
  const stripeDeps = { client: stripe, webhookSecret: 'whsec_x' };
  const common = { DONATION_RATE_LIMIT_PER_MINUTE: '10000', PORT: '3000' };
  demo = await buildApp({ config: testConfig(common), database: testDb.database, stripe: stripeDeps });
  production = await buildApp({ config: testConfig({ ...common, PUBLIC_URL: 'https://give.example.org' }), database: testDb.database, stripe: stripeDeps });
});

afterAll(async () => {
  await demo?.close();
  await production?.close();
  await emulator?.close();
  await testDb?.drop();
});

/** Where a gift started with `origin` (none: a script) sends the donor back from Checkout. */
async function returnsOf(app: FastifyInstance, origin: string | undefined): Promise<{ success: string; cancel: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/appeals/buck-a-brick/donations',
    headers: origin ? { origin } : {},
    payload: { amountMinor: '1000', donorEmail: 'donor@example.org', donorName: 'A. Donor', idempotencyKey: `k-${Math.random().toString(36).slice(2)}` },
  });
  expect(res.statusCode, res.body).toBe(201);
  const [row] = await testDb.database.db.select().from(donations).where(eq(donations.id, res.json().donationId));
  const session = await stripe.checkout.sessions.retrieve(row!.checkoutSessionId!);
  return { success: new URL(session.success_url!).origin, cancel: new URL(session.cancel_url!).origin };
}

describe("Checkout's way back", () => {
  it.each(['http://127.0.0.1:3000', 'http://localhost:3000'])('in the demo, given from %s, goes back there', async (origin) => {
    expect(await returnsOf(demo, origin)).toEqual({ success: origin, cancel: origin });
  });

  it('in the demo, started without an Origin (a script), goes to its usual address', async () => {
    expect(await returnsOf(demo, undefined)).toEqual({ success: 'http://localhost:3000', cancel: 'http://localhost:3000' });
  });

  it('in production, goes to PUBLIC_URL', async () => {
    const at = 'https://give.example.org';
    expect(await returnsOf(production, at)).toEqual({ success: at, cancel: at });
    expect(await returnsOf(production, undefined)).toEqual({ success: at, cancel: at });
  });

  it('in production, an Origin not ours is refused before any gift starts', async () => {
    const res = await production.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', headers: { origin: 'http://127.0.0.1:3000' }, payload: { amountMinor: '1000', donorEmail: 'donor@example.org', idempotencyKey: 'k-foreign' } });
    expect({ status: res.statusCode, code: res.json().error.code }).toEqual({ status: 403, code: 'csrf.cross_site' });
  });
});
