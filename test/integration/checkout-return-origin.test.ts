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
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';

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

// Stripe's card portal (a monthly gift's new card) sends the signed-in donor back to their giving
// page: at the name they are signed in at.
describe("the card portal's way back", () => {
  let h: PaymentsHarness;
  beforeAll(async () => {
    h = await startPaymentsHarness({ demo: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(['http://127.0.0.1:3000', 'http://localhost:3000'])('in the demo, opened from %s, comes back there', async (origin) => {
    const email = `portal-${new URL(origin).hostname}@example.org`;
    const { donationId } = await h.monthlyGiftOnClock(email, Math.floor(Date.now() / 1000));
    const cookie = await signIn(h.app, email, { origin });
    const opened = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${donationId}/card-portal`, headers: { cookie, origin } });
    expect(opened.statusCode, opened.body).toBe(200);
    const saved = await submitCheckoutForm(opened.json().url, { card_number: '4242 4242 4242 4242' });
    expect(saved.headers.get('location')).toBe(`${origin}/account?card_saved=${donationId}#monthly-title`);
  });
});
