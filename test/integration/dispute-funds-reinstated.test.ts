import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations } from '../../db/schema/index';
import { fromStripeAmount } from '../../server/ledger/money';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

/*
 * A chargeback won: Stripe puts the amount back (and the dispute fee, when it returns it) in one
 * balance transaction and says so twice, charge.dispute.funds_reinstated and charge.dispute.closed.
 * Either may reach us first, twice, or alone (a delivery that gave up, an endpoint subscribed to
 * one of them): the win is posted once, from whichever comes first, and the ledger's Stripe
 * accounts then say what Stripe's balance says.
 */

let h: PaymentsHarness;
let stripe: Stripe;

/** The ledger's stripe:pending and stripe:available, and Stripe's pending and available balance, every currency. */
async function stripeAccounts(): Promise<{ ours: Record<string, string>; theirs: Record<string, string> }> {
  const balance = await stripe.balance.retrieve();
  const theirs: Record<string, string> = {};
  for (const [code, list] of [['stripe:pending', balance.pending], ['stripe:available', balance.available]] as const) {
    for (const b of list) if (b.amount !== 0) theirs[`${code}|${b.currency.toUpperCase()}`] = fromStripeAmount(b.amount, b.currency.toUpperCase()).toString();
  }
  const rows = await queryRows<{ key: string; b: string }>(h.testDb.database.db, sql`SELECT code || '|' || currency AS key, balance_minor::text AS b FROM ledger_accounts WHERE code IN ('stripe:pending', 'stripe:available') AND balance_minor <> 0`);
  return { ours: Object.fromEntries(rows.map((r) => [r.key, r.b])), theirs };
}

async function postingsOf(disputeId: string): Promise<string[]> {
  const rows = await queryRows<{ kind: string }>(h.testDb.database.db, sql`SELECT kind FROM ledger_transactions WHERE metadata->>'disputeId' = ${disputeId} ORDER BY id`);
  return rows.map((r) => r.kind);
}

async function leftUnposted() {
  return queryRows<{ type: string; last_error: string | null }>(h.testDb.database.db, sql`SELECT type, last_error FROM stripe_events WHERE status IN ('parked', 'pending')`);
}

/** Drains until nothing is pending (a close before its opening waits and is tried again). */
async function drainAll() {
  for (let i = 0; i < 10 && (await leftUnposted()).length > 0; i++) await h.drain();
}

const opened = ['charge.dispute.created', 'charge.dispute.funds_withdrawn'];
const cases = [
  { name: 'only funds_reinstated arrives', types: [...opened, 'charge.dispute.funds_reinstated'] },
  { name: 'funds_reinstated and closed both arrive', types: [...opened, 'charge.dispute.funds_reinstated', 'charge.dispute.closed'] },
  { name: 'only closed arrives', types: [...opened, 'charge.dispute.closed'] },
];

describe.each([
  { name: 'settled in the gift currency', settlementCurrency: undefined, slug: 'buck-a-brick', amountMinor: '5000' },
  { name: 'settled in USD', settlementCurrency: 'usd', slug: 'osaka-care-strike-fund', amountMinor: '3000' },
])('a chargeback won, $name', ({ settlementCurrency, slug, amountMinor }) => {
  beforeAll(async () => {
    h = await startPaymentsHarness(settlementCurrency ? { emulator: { settlementCurrency } } : {});
    stripe = h.emulator.client();
  });

  afterAll(async () => {
    await h?.close();
  });

  it.each(cases)('is posted once when $name, each twice and out of order', async ({ types }) => {
    const c = h.emulator.controls;
    const { donationId, sessionId } = await h.donate(slug, { amountMinor });
    c.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const [gift] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
    const held = await h.appealBalance(slug);
    c.pause();
    let disputeId = '';
    try {
      const dispute = c.disputeCharge(gift!.chargeId!);
      disputeId = dispute.id;
      c.closeDispute(dispute.id, 'won');
      const events = [];
      for (const type of types) events.push(await h.emulatorEvent(type, dispute.id));
      // The last told first, and everything twice.
      for (const event of [...events].reverse()) await h.deliver(event);
      for (const event of events) await h.deliver(event);
      await drainAll();
      expect(await leftUnposted()).toEqual([]);
      expect(await postingsOf(dispute.id)).toEqual(['dispute_opened', 'dispute_won']);
      const { ours, theirs } = await stripeAccounts();
      expect(ours).toEqual(theirs);
    } finally {
      c.resume();
    }
    // Stripe's own deliveries, the ones held back among them, change nothing more.
    await h.settle();
    expect(await leftUnposted()).toEqual([]);
    expect(await postingsOf(disputeId)).toEqual(['dispute_opened', 'dispute_won']);
    const { ours, theirs } = await stripeAccounts();
    expect(ours).toEqual(theirs);
    // The appeal holds the gift again, and the gift says it is paid.
    expect(await h.appealBalance(slug)).toBe(held);
    const [after] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
    expect(after!.status).toBe('succeeded');
  });

  it('leaves a ledger that verifies', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });
});
