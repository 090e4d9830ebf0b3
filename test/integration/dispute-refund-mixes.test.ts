import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appeals, donations, organizations } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { drainConcurrently } from '../../server/payments/poster';
import { createStripeClient } from '../../server/payments/stripe-client';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';
import { testPlatform } from '../helpers/config';

/*
 * A gift that is both refunded and disputed is where the money path has the most orders to get
 * right: a refund posted before the chargeback, or asked just before it and posted after; an
 * inquiry during which part is refunded, then escalated; a chargeback lost and then won on appeal.
 * Each is played through the real path (the API, the emulator, signed webhooks delivered two or
 * three times in shuffled order, and two poster loops taking batches of two events, so one gift's
 * events are planned and committed side by side), on an account settling in the appeal's currency
 * and on one settling in USD. The appeal's account must hold what is left of the gifts, its
 * progress must say the same, each gift must end in the state its story leaves it, and nothing may
 * be left parked or pending. progress-properties.test.ts covers each step alone.
 */

type Outcome = 'won' | 'lost';
type Story =
  | { kind: 'refundedThenDisputed'; percent: number; outcome: Outcome }
  | { kind: 'refundedAsDisputed'; percent: number; outcome: Outcome }
  | { kind: 'refundedDuringInquiry'; percent: number; outcome: Outcome }
  | { kind: 'lostThenWonOnAppeal' };

const percent = fc.integer({ min: 1, max: 99 });
const outcome = fc.constantFrom<Outcome>('won', 'lost');
const storyArb: fc.Arbitrary<Story> = fc.oneof(
  fc.record({ kind: fc.constant('refundedThenDisputed' as const), percent, outcome }),
  fc.record({ kind: fc.constant('refundedAsDisputed' as const), percent, outcome }),
  fc.record({ kind: fc.constant('refundedDuringInquiry' as const), percent, outcome }),
  fc.constant({ kind: 'lostThenWonOnAppeal' as const }),
);

const silent = pino({ level: 'silent' });
const settlements = [
  { name: 'settled in the appeal currency', settlementCurrency: undefined, currencies: ['USD', 'JPY', 'KWD'] },
  { name: 'settled in USD', settlementCurrency: 'usd', currencies: ['JPY', 'KWD'] },
] as const;

describe.each(settlements)('a gift refunded and disputed, $name', ({ settlementCurrency, currencies }) => {
  let h: PaymentsHarness;
  let treasurer: string;
  let organizationId: string;
  let run = 0;

  beforeAll(async () => {
    h = await startPaymentsHarness(settlementCurrency ? { emulator: { settlementCurrency } } : {});
    const [local] = await h.testDb.database.db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
    organizationId = local!.id;
    treasurer = await signInAs(h.app, 'treasurer@local222.example.org', { organizationId, role: 'treasurer' });
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Every delivery made, then the inbox drained by two loops of small batches until nothing is pending. */
  async function settle() {
    await h.emulator.controls.flush();
    const stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: h.emulator.clientOptions });
    for (let i = 0; i < 40; i++) {
      await drainConcurrently({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform }, { loops: 2, batchSize: 2, planConcurrency: 2, backoffBaseMs: 0 });
      const [pending] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status = 'pending'`);
      if (pending!.n === 0) return;
      // An event waiting for another (a close before its opening) is due again after its back-off.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function refund(donationId: string, amountMinor: bigint) {
    const res = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: treasurer }, payload: { amountMinor: amountMinor.toString() } });
    expect(res.statusCode, res.body).toBe(202);
  }

  /** Multiples of 10 minor units: KWD amounts at Stripe end in 0. */
  const partOf = (amount: bigint, pct: number) => {
    const part = ((amount * BigInt(pct)) / 100n / 10n) * 10n;
    return part < 10n ? 10n : part;
  };

  /** Plays one gift's story; answers what the appeal keeps of it and the gift's status at the end. */
  async function play(donationId: string, chargeId: string, amount: bigint, story: Story): Promise<{ kept: bigint; status: string }> {
    const c = h.emulator.controls;
    if (story.kind === 'lostThenWonOnAppeal') {
      const dispute = c.disputeCharge(chargeId);
      await settle();
      c.closeDispute(dispute.id, 'lost');
      await settle();
      c.appealDispute(dispute.id);
      c.closeDispute(dispute.id, 'won');
      await settle();
      return { kept: amount, status: 'succeeded' };
    }
    const part = partOf(amount, story.percent);
    let dispute;
    if (story.kind === 'refundedDuringInquiry') {
      dispute = c.disputeCharge(chargeId, { inquiry: true });
      await settle();
      await refund(donationId, part);
      await settle();
      c.escalateInquiry(dispute.id);
    } else {
      await refund(donationId, part);
      // Asked just before the chargeback, the refund's events travel with the dispute's.
      if (story.kind === 'refundedThenDisputed') await settle();
      dispute = c.disputeCharge(chargeId);
    }
    await settle();
    c.closeDispute(dispute.id, story.outcome);
    await settle();
    // Lost, the appeal gives up what it still held of the gift; the refunded part left already.
    return story.outcome === 'won' ? { kept: amount - part, status: 'partially_refunded' } : { kept: 0n, status: 'disputed' };
  }

  it('leaves the appeal, its progress and each gift as the story says', async () => {
    const runArb = fc.record({
      currency: fc.constantFrom(...currencies),
      gifts: fc.array(fc.record({ tens: fc.integer({ min: 100, max: 2_000 }), story: storyArb }), { minLength: 1, maxLength: 3 }),
      times: fc.constantFrom(2, 3),
    });
    await fc.assert(
      fc.asyncProperty(runArb, async ({ currency, gifts, times }) => {
        const db = h.testDb.database.db;
        const [appeal] = await db
          .insert(appeals)
          .values({ slug: `mix-${++run}-${currency.toLowerCase()}`, organizationId, title: `Mix ${run}`, beneficiary: 'Strikers', currency, goalMinor: 10_000_000n, status: 'live', publishedAt: new Date() })
          .returning();
        h.emulator.controls.setDelivery({ times, shuffle: true });
        const expected: { id: string; status: string }[] = [];
        let kept = 0n;
        try {
          for (const g of gifts) {
            const amount = BigInt(g.tens * 10);
            const { donationId, sessionId } = await h.donate(appeal!.slug, { amountMinor: amount.toString(), donorEmail: `mix${run}@example.org` });
            h.emulator.controls.payCheckoutSession(sessionId);
            await settle();
            const [d] = await db.select().from(donations).where(eq(donations.id, donationId));
            const end = await play(donationId, d!.chargeId!, amount, g.story);
            kept += end.kept;
            expected.push({ id: donationId, status: end.status });
          }
        } finally {
          h.emulator.controls.setDelivery({ times: 1, shuffle: false });
        }
        const left = await queryRows<{ type: string; status: string; last_error: string | null }>(db, sql`SELECT type, status::text, last_error FROM stripe_events WHERE status IN ('parked', 'pending')`);
        expect(left, 'events left unposted').toEqual([]);
        const [ledger] = await queryRows<{ held: string }>(
          db,
          sql`SELECT (-coalesce(sum(e.amount_minor), 0))::text AS held FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id WHERE a.code = ${`appeal:${appeal!.id}`}`,
        );
        const [progress] = await queryRows<{ gross: string; gifts: number }>(db, sql`SELECT raised_gross_minor::text AS gross, gift_count AS gifts FROM appeal_progress WHERE appeal_id = ${appeal!.id}`);
        expect(BigInt(ledger!.held)).toBe(kept);
        expect(BigInt(progress!.gross)).toBe(kept);
        expect(progress!.gifts).toBe(gifts.length);
        const rows = await db.select({ id: donations.id, status: donations.status }).from(donations).where(eq(donations.appealId, appeal!.id));
        const status = new Map(rows.map((r) => [r.id, r.status]));
        expect(expected.map((e) => status.get(e.id))).toEqual(expected.map((e) => e.status));
      }),
      { numRuns: 6 },
    );
  }, 240_000);

  it('leaves a ledger that verifies', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });
});
