import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appeals, donations, organizations } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * The progress an appeal page shows (appeal_progress) is a summary kept beside the ledger, in the
 * same database transaction as each posting. This checks, for random mixes of gifts, refunds
 * (partial, full, in two steps) and disputes (won, lost) sent through the real path — the API,
 * the Stripe emulator, signed webhooks, the inbox and the poster — that the summary says what the
 * ledger says:
 *   raised gross = what the appeal's account holds (minus the sum of its entries),
 *   raised net   = gross − the Stripe fees of its gifts (Stripe keeps a fee when a gift is refunded,
 *                  so a refund lowers gross and net alike; a dispute fee is not the appeal's),
 *   gifts        = the gift postings to the account, donors = the distinct donor addresses among them,
 * and that both agree with a plain model of what happened.
 */

type After =
  | { kind: 'none' }
  | { kind: 'partial'; percent: number }
  | { kind: 'full' }
  | { kind: 'twoSteps'; percent: number }
  /** A refund the bank sends back after it was posted (refund.failed): the money returns to the appeal. */
  | { kind: 'bounced'; percent: number }
  | { kind: 'dispute'; outcome: 'won' | 'lost' };
interface GiftPlan {
  /** Multiples of 10 minor units: KWD amounts at Stripe end in 0. */
  tens: number;
  donor: number;
  after: After;
}

const afterArb: fc.Arbitrary<After> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('partial' as const), percent: fc.integer({ min: 1, max: 99 }) }),
  fc.constant({ kind: 'full' as const }),
  fc.record({ kind: fc.constant('twoSteps' as const), percent: fc.integer({ min: 1, max: 99 }) }),
  fc.record({ kind: fc.constant('bounced' as const), percent: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('dispute' as const), outcome: fc.constantFrom('won' as const, 'lost' as const) }),
);
const runArb = fc.record({
  currency: fc.constantFrom('USD', 'JPY', 'KWD'),
  gifts: fc.array(fc.record({ tens: fc.integer({ min: 100, max: 2_000 }), donor: fc.integer({ min: 0, max: 2 }), after: afterArb }), { minLength: 1, maxLength: 5 }),
  // Stripe repeats and reorders deliveries; half the runs get every event twice, shuffled.
  delivery: fc.constantFrom({ times: 1, shuffle: false }, { times: 2, shuffle: true }),
});

let h: PaymentsHarness;
let treasurer: string;
let organizationId: string;
let run = 0;

beforeAll(async () => {
  h = await startPaymentsHarness();
  const [local] = await h.testDb.database.db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  organizationId = local!.id;
  // Refunds are asked for as the organization's treasurer would (the role the refund route is meant to need).
  treasurer = await signInAs(h.app, 'treasurer@local222.example.org', { organizationId, role: 'treasurer' });
});

afterAll(async () => {
  await h?.close();
});

async function refund(donationId: string, amountMinor?: bigint): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/donations/${donationId}/refund`,
    headers: { cookie: treasurer },
    payload: amountMinor === undefined ? {} : { amountMinor: amountMinor.toString() },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().refundId;
}

/** Stripe's refund.failed for a refund that was posted, signed as the emulator signs its own. */
async function bounce(refundId: string) {
  const refund = await h.emulator.client().refunds.retrieve(refundId);
  const payload = JSON.stringify({
    id: `evt_bounce_${refundId}`,
    object: 'event',
    type: 'refund.failed',
    created: Math.floor(Date.now() / 1000),
    data: { object: { ...refund, status: 'failed', failure_reason: 'lost_or_stolen_card' } },
  });
  const signature = h.emulator.client().webhooks.generateTestHeaderString({ payload, secret: 'whsec_test_harness_secret' });
  const res = await h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload });
  expect(res.statusCode).toBe(200);
}

const partOf = (amount: bigint, percent: number) => {
  const part = ((amount * BigInt(percent)) / 100n / 10n) * 10n;
  return part < 10n ? 10n : part;
};

/** Plays one run through the real path and returns the appeal's id and the model's expectations. */
async function play(currency: string, gifts: GiftPlan[], delivery: { times: number; shuffle: boolean }) {
  h.emulator.controls.setDelivery(delivery);
  try {
    return await playRun(currency, gifts);
  } finally {
    h.emulator.controls.setDelivery({ times: 1, shuffle: false });
  }
}

async function playRun(currency: string, gifts: GiftPlan[]) {
  const db = h.testDb.database.db;
  const slug = `prop-${++run}-${currency.toLowerCase()}`;
  const [appeal] = await db
    .insert(appeals)
    .values({ slug, organizationId, title: `Property run ${run}`, beneficiary: 'Strikers', currency, goalMinor: 10_000_000n, status: 'live', publishedAt: new Date() })
    .returning();
  const donors = [0, 1, 2].map((i) => `donor${i}.run${run}@example.org`);

  const started = [];
  for (const g of gifts) started.push(await h.donate(slug, { amountMinor: String(g.tens * 10), donorEmail: donors[g.donor] }));
  // Paused, so one run's webhooks go out together (and shuffled, when the run says so).
  h.emulator.controls.pause();
  for (const s of started) h.emulator.controls.payCheckoutSession(s.sessionId);
  h.emulator.controls.resume();
  await h.settle();

  let expectedGross = 0n;
  const disputes: { id: string; outcome: 'won' | 'lost' }[] = [];
  const secondSteps: string[] = [];
  const bounces: string[] = [];
  for (const [i, g] of gifts.entries()) {
    const amount = BigInt(g.tens * 10);
    const donationId = started[i]!.donationId;
    expectedGross += amount;
    const a = g.after;
    if (a.kind === 'partial') {
      const part = partOf(amount, a.percent);
      await refund(donationId, part);
      expectedGross -= part;
    } else if (a.kind === 'full') {
      await refund(donationId);
      expectedGross -= amount;
    } else if (a.kind === 'twoSteps') {
      await refund(donationId, partOf(amount, a.percent));
      secondSteps.push(donationId);
      expectedGross -= amount;
    } else if (a.kind === 'bounced') {
      bounces.push(await refund(donationId, partOf(amount, a.percent)));
    } else if (a.kind === 'dispute') {
      const [d] = await db.select().from(donations).where(eq(donations.id, donationId));
      disputes.push({ id: h.emulator.controls.disputeCharge(d!.chargeId!).id, outcome: a.outcome });
      if (a.outcome === 'lost') expectedGross -= amount;
    }
  }
  await h.settle();
  // The rest of a two-step refund: a full refund of whatever is left.
  for (const id of secondSteps) await refund(id);
  for (const d of disputes) h.emulator.controls.closeDispute(d.id, d.outcome);
  for (const id of bounces) await bounce(id);
  await h.settle();

  return {
    appealId: appeal!.id,
    expectedGross,
    expectedGifts: gifts.length,
    expectedDonors: new Set(gifts.map((g) => g.donor)).size,
  };
}

/** What the ledger itself says about the appeal: its account's entries and the gift postings to it. */
async function fromLedger(appealId: string) {
  const [row] = await queryRows<{ gross: string; fees: string; gifts: number; donors: number }>(
    h.testDb.database.db,
    sql`
      WITH account AS (SELECT id FROM ledger_accounts WHERE code = ${`appeal:${appealId}`}),
      gifts AS (
        SELECT t.id, t.metadata->>'donationId' AS donation_id
        FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
        WHERE e.account_id IN (SELECT id FROM account) AND t.kind = 'gift'
      )
      SELECT
        (SELECT (-coalesce(sum(amount_minor), 0))::text FROM ledger_entries WHERE account_id IN (SELECT id FROM account)) AS gross,
        (SELECT coalesce(sum(e.amount_minor), 0)::text FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
           WHERE a.code = 'fees:stripe' AND e.transaction_id IN (SELECT id FROM gifts)) AS fees,
        (SELECT count(*)::int FROM gifts) AS gifts,
        (SELECT count(DISTINCT lower(d.donor_email))::int FROM gifts g JOIN donations d ON d.id::text = g.donation_id) AS donors`,
  );
  return { gross: BigInt(row!.gross), fees: BigInt(row!.fees), gifts: row!.gifts, donors: row!.donors };
}

async function progressOf(appealId: string) {
  const [row] = await queryRows<{ gross: string; net: string; gifts: number; donors: number }>(
    h.testDb.database.db,
    sql`SELECT raised_gross_minor::text AS gross, raised_net_minor::text AS net, gift_count AS gifts, donor_count AS donors FROM appeal_progress WHERE appeal_id = ${appealId}`,
  );
  return { gross: BigInt(row!.gross), net: BigInt(row!.net), gifts: row!.gifts, donors: row!.donors };
}

describe('appeal progress follows the ledger', () => {
  // The number on the appeal page is what donors and organizers trust; if it drifts from the
  // ledger after refunds or disputes, the page lies. Small runs, real path, every run checked.
  it('equals the ledger after random gifts, refunds and disputes', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ currency, gifts, delivery }) => {
        const played = await play(currency, gifts, delivery);
        const [parked] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status IN ('parked', 'pending')`);
        expect(parked!.n, 'events left unposted').toBe(0);
        const ledger = await fromLedger(played.appealId);
        const progress = await progressOf(played.appealId);
        expect(progress.gross).toBe(ledger.gross);
        expect(progress.net).toBe(ledger.gross - ledger.fees);
        expect(progress.gifts).toBe(ledger.gifts);
        expect(progress.donors).toBe(ledger.donors);
        expect(ledger.gross).toBe(played.expectedGross);
        expect(ledger.gifts).toBe(played.expectedGifts);
        expect(ledger.donors).toBe(played.expectedDonors);
        expect(ledger.fees).toBeGreaterThan(0n);
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  // Whatever the mix, the ledger's own invariants (balanced transactions, cached balances) hold.
  it('leaves a ledger that verifies', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });
});
