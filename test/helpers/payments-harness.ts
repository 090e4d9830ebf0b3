import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance, RouteOptions } from 'fastify';
import pino from 'pino';
import type Stripe from 'stripe';
import { buildApp } from '../../server/app';
import { appeals, organizations } from '../../db/schema/index';
import { queryRows } from '../../db/client';
import { drainOnce, type DrainResult, type posterDefaults } from '../../server/payments/poster';
import { createStripeClient } from '../../server/payments/stripe-client';
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../../server/stripe-emulator/index';
import { seedDemoData } from '../../db/seed';
import { signIn } from './sign-in';
import { createTestDatabase, type TestDatabase } from './db';
import { testConfig } from './config';

export interface PaymentsHarness {
  testDb: TestDatabase;
  app: FastifyInstance;
  emulator: StripeEmulator;
  /** Waits for every webhook delivery, then drains the inbox until it is empty. */
  settle(): Promise<void>;
  donate(slug: string, body: Record<string, unknown>): Promise<{ donationId: string; checkoutUrl: string; sessionId: string; resumeKey: string }>;
  appealBalance(slug: string): Promise<bigint>;
  /** Posts an event to the webhook signed as Stripe signs it (for sequences the emulator's cards never make); throws unless 200. */
  deliver(event: object): Promise<void>;
  /** One poster batch, as the app's poster drains (failures retry without back-off). */
  drain(opts?: Partial<typeof posterDefaults>): Promise<DrainResult>;
  /** The emulator's own event of `type` about the object `objectId` (among the latest 100 of that type). */
  emulatorEvent(type: string, objectId: string): Promise<Stripe.Event>;
  /** Fields every monthly gift's Stripe customer gets; set `test_clock` to drive renewals. */
  customerDefaults: { test_clock?: string };
  /** A paid 10.00 USD monthly gift to Buck-a-Brick (or to `slug`, of `body.amountMinor`) whose customer is on a test clock of its own, frozen at `start` (renewals happen only on clocks). */
  monthlyGiftOnClock(donorEmail: string, start: number, body?: Record<string, unknown>, slug?: string): Promise<{ donationId: string; subId: string; clock: string }>;
  /** Cookie of the demo federation's treasurer (reaches every organization below it): refunds, parked events. */
  treasurer: string;
  close(): Promise<void>;
}

const silent = pino({ level: 'silent' });

/** The real app on a real Postgres database, listening, with the emulator delivering webhooks to it. */
export async function startPaymentsHarness(
  opts: {
    onRoute?: (route: RouteOptions) => void;
    emulator?: Pick<StripeEmulatorOptions, 'settlementCurrency' | 'fees'>;
    /** As the embedded demo: no PUBLIC_URL, answering at http://localhost:3000 and http://127.0.0.1:3000. */
    demo?: boolean;
    /** More settings, as the environment would give them. */
    env?: Record<string, string>;
  } = {},
): Promise<PaymentsHarness> {
  const testDb = await createTestDatabase();
  await seedDemoData(testDb.database.db);
  await addKwdAppeal(testDb);
  const webhookSecret = 'whsec_test_harness_secret';
  const emulator = await startStripeEmulator({ ...opts.emulator, logger: false, disputeAfterMs: null, webhook: { url: 'http://127.0.0.1:1/unset', secret: webhookSecret, baseDelayMs: 20, maxAttempts: 6 } });
  const stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: emulator.clientOptions });
  const customerDefaults: { test_clock?: string } = {};
  const app = await buildApp({ config: testConfig({ ...(opts.demo ? { PORT: '3000' } : { PUBLIC_URL: 'http://localhost:3000' }), DONATION_RATE_LIMIT_PER_MINUTE: '10000', ...opts.env }), database: testDb.database, stripe: { client: stripe, webhookSecret, customerDefaults }, onRoute: opts.onRoute });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  emulator.controls.setWebhook({ url: `${url}/api/stripe/webhook`, secret: webhookSecret, baseDelayMs: 20, maxAttempts: 6 });
  const treasurer = await signIn(app, 'treasurer@federation.demo');
  const drain = (opts: Partial<typeof posterDefaults> = {}) => drainOnce({ db: testDb.database.db, stripe, log: silent, publicUrl: 'http://localhost:3000', platform: app.platform }, { backoffBaseMs: 0, ...opts });
  const harness: PaymentsHarness = {
    testDb,
    app,
    emulator,
    customerDefaults,
    treasurer,
    async settle() {
      await emulator.controls.flush();
      for (let i = 0; i < 20; i++) {
        const { claimed } = await drain();
        const [pending] = await queryRows<{ n: number }>(testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status = 'pending'`);
        if (claimed === 0 && pending!.n === 0) break;
      }
      // Postings reach this instance's appeal cache by NOTIFY, which may land after this returns; a
      // test that reads GET /api/appeals/:slug next must see the ledger, not the cache of a second ago.
      // The live tests check the NOTIFY path itself.
      app.appealLive.cache.clear();
    },
    async monthlyGiftOnClock(donorEmail, start, body = {}, slug = 'buck-a-brick') {
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
      customerDefaults.test_clock = clock.id;
      try {
        const { donationId, sessionId } = await harness.donate(slug, { amountMinor: '1000', frequency: 'monthly', donorEmail, ...body });
        const session = emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
        await harness.settle();
        return { donationId, subId: String(session.subscription), clock: clock.id };
      } finally {
        delete customerDefaults.test_clock;
      }
    },
    async donate(slug, body) {
      const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/donations`, payload: { donorEmail: 'member@example.org', donorName: 'A. Member', idempotencyKey: `k-${Math.random().toString(36).slice(2)}`, ...body } });
      if (res.statusCode !== 201) throw new Error(`donate ${res.statusCode}: ${res.body}`);
      const { donationId, checkoutUrl, resumeKey } = res.json();
      return { donationId, checkoutUrl, sessionId: new URL(checkoutUrl).pathname.split('/').at(-1)!, resumeKey };
    },
    drain,
    async deliver(event) {
      const body = JSON.stringify(event);
      const signature = stripe.webhooks.generateTestHeaderString({ payload: body, secret: webhookSecret });
      const res = await app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload: body });
      if (res.statusCode !== 200) throw new Error(`webhook ${res.statusCode}: ${res.body}`);
    },
    async emulatorEvent(type, objectId) {
      const found = (await stripe.events.list({ type, limit: 100 })).data.find((e) => (e.data.object as { id?: string }).id === objectId);
      if (!found) throw new Error(`the emulator has no ${type} event for ${objectId}`);
      return found;
    },
    async appealBalance(slug) {
      const [row] = await queryRows<{ balance: string }>(
        testDb.database.db,
        sql`SELECT a.balance_minor::text AS balance FROM ledger_accounts a JOIN appeals p ON a.code = 'appeal:' || p.id WHERE p.slug = ${slug}`,
      );
      return row ? BigInt(row.balance) : 0n;
    },
    async close() {
      await app.close();
      await emulator.close();
      await testDb.drop();
    },
  };
  return harness;
}

async function addKwdAppeal(testDb: TestDatabase) {
  const [org] = await testDb.database.db.select().from(organizations).where(eq(organizations.slug, 'demo-federation'));
  await testDb.database.db.insert(appeals).values({
    slug: 'kuwait-relief',
    organizationId: org!.id,
    title: 'Relief for dismissed workers (KWD)',
    beneficiary: 'Dismissed workers',
    currency: 'KWD',
    goalMinor: 1_000_000n,
    status: 'live',
    publishedAt: new Date(),
  });
}
