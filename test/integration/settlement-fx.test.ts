import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations, outboxEmails } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// One federation account settling in USD takes gifts to a JPY and a KWD appeal: each appeal gets
// what the donor paid in its own currency, Stripe's accounts what the balance transactions say in
// USD, and fx:conversion the difference. Rates: server/stripe-emulator/fx.ts (JPY→USD 0.0067,
// KWD→USD 3.25), fees 2.9 % + 30¢ on the converted amount.

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness({ emulator: { settlementCurrency: 'usd' } });
});

afterAll(async () => {
  await h?.close();
});

/** A transaction's entries as "code currency amount", sorted, so a test reads the whole posting. */
async function entries(idempotencyKey: string): Promise<string[]> {
  const rows = await queryRows<{ line: string }>(
    h.testDb.database.db,
    sql`SELECT CASE WHEN a.code LIKE 'appeal:%' THEN 'appeal' ELSE a.code END || ' ' || e.currency || ' ' || e.amount_minor AS line
          FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id JOIN ledger_transactions t ON t.id = e.transaction_id
         WHERE t.idempotency_key = ${idempotencyKey}`,
  );
  return rows.map((r) => r.line).sort();
}

/** The appeal's summary as the poster wrote it (the public read is cached for a second). */
async function progress(slug: string): Promise<{ gross: bigint; net: bigint }> {
  const [p] = await queryRows<{ gross: string; net: string }>(
    h.testDb.database.db,
    sql`SELECT coalesce(p.raised_gross_minor, 0)::text AS gross, coalesce(p.raised_net_minor, 0)::text AS net
          FROM appeals a LEFT JOIN appeal_progress p ON p.appeal_id = a.id WHERE a.slug = ${slug}`,
  );
  return { gross: BigInt(p!.gross), net: BigInt(p!.net) };
}

async function donation(id: string) {
  const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, id));
  return row!;
}

async function balanceTransactionOf(chargeId: string): Promise<Stripe.BalanceTransaction> {
  const charge = await h.emulator.client().charges.retrieve(chargeId, { expand: ['balance_transaction'] });
  return charge.balance_transaction as Stripe.BalanceTransaction;
}

async function give(slug: string, amountMinor: string, card = '4242424242424242') {
  const { donationId, sessionId } = await h.donate(slug, { amountMinor });
  h.emulator.controls.payCheckoutSession(sessionId, card);
  await h.settle();
  const d = await donation(donationId);
  return { donationId, chargeId: d.chargeId! };
}

async function expectLedgerSound() {
  expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
}

describe('gifts settled in another currency', () => {
  // ¥3,000 booked by Stripe as 20.10 USD, fee 0.88: the appeal raised ¥3,000, Stripe holds 19.22 USD.
  it('a JPY gift on a USD account posts both currencies as the balance transaction says', async () => {
    const before = await progress('osaka-care-strike-fund');
    const { donationId, chargeId } = await give('osaka-care-strike-fund', '3000');
    const bt = await balanceTransactionOf(chargeId);
    expect([bt.currency, bt.amount, bt.fee, bt.net, bt.exchange_rate]).toEqual(['usd', 2010, 88, 1922, 0.0067]);
    expect(await entries(`stripe:${chargeId}:gift`)).toEqual(
      ['appeal JPY -3000', 'fees:stripe USD 88', 'fx:conversion JPY 3000', 'fx:conversion USD -2010', 'stripe:pending USD 1922'].sort(),
    );
    // Net in yen is an estimate at the settlement rate: 3000 × 1922 / 2010 = 2868.66 → 2869.
    const after = await progress('osaka-care-strike-fund');
    expect(after.gross - before.gross).toBe(3000n);
    expect(after.net - before.net).toBe(2869n);
    const d = await donation(donationId);
    expect([d.status, d.feeMinor]).toEqual(['succeeded', 131n]);
    const [receipt] = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `receipt:${donationId}:${chargeId}`));
    expect(receipt!.subject).toBe('Thank you for your gift of ¥3,000');
    await expectLedgerSound();
  });

  // KWD has three decimals: KWD 1.500 × 3.25 = 4.875 USD, booked as 4.88 (fee 0.44, net 4.44).
  it('a KWD gift keeps its fils exact and books the rounded dollars', async () => {
    const before = await progress('kuwait-relief');
    const { donationId, chargeId } = await give('kuwait-relief', '1500');
    const bt = await balanceTransactionOf(chargeId);
    expect([bt.currency, bt.amount, bt.fee, bt.net]).toEqual(['usd', 488, 44, 444]);
    expect(await entries(`stripe:${chargeId}:gift`)).toEqual(
      ['appeal KWD -1500', 'fees:stripe USD 44', 'fx:conversion KWD 1500', 'fx:conversion USD -488', 'stripe:pending USD 444'].sort(),
    );
    // 1500 × 444 / 488 = 1364.75 → 1365 fils net.
    const after = await progress('kuwait-relief');
    expect([after.gross - before.gross, after.net - before.net]).toEqual([1500n, 1365n]);
    expect((await donation(donationId)).feeMinor).toBe(135n);
    await expectLedgerSound();
  });

  // The appeal gives back the yen the donor gets back; Stripe's balance loses the dollars it took.
  it('a partial refund moves the appeal in yen and Stripe in dollars', async () => {
    const { donationId, chargeId } = await give('osaka-care-strike-fund', '3000');
    const before = await progress('osaka-care-strike-fund');
    const res = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1000' } });
    expect(res.statusCode).toBe(202);
    await h.settle();
    const refund = await h.emulator.client().refunds.retrieve(res.json().refundId, { expand: ['balance_transaction'] });
    const bt = refund.balance_transaction as Stripe.BalanceTransaction;
    expect([refund.amount, refund.currency, bt.currency, bt.amount]).toEqual([1000, 'jpy', 'usd', -670]);
    expect(await entries(`stripe:${refund.id}:refund`)).toEqual(
      ['appeal JPY 1000', 'fx:conversion JPY -1000', 'fx:conversion USD 670', 'stripe:available USD -670'].sort(),
    );
    const after = await progress('osaka-care-strike-fund');
    expect([after.gross - before.gross, after.net - before.net]).toEqual([-1000n, -1000n]);
    const d = await donation(donationId);
    expect([d.status, d.refundedMinor]).toEqual(['partially_refunded', 1000n]);
    expect(chargeId).toBe(refund.charge);
    await expectLedgerSound();
  });

  // Stripe withdraws 20.10 USD and a 15.00 USD fee; losing takes the ¥3,000 off the appeal.
  it('a lost dispute holds dollars, then takes the yen off the appeal', async () => {
    const { donationId, chargeId } = await give('osaka-care-strike-fund', '3000', '4000 0000 0000 0259');
    const before = await progress('osaka-care-strike-fund');
    const dispute = h.emulator.controls.disputeCharge(chargeId);
    await h.settle();
    expect(await entries(`stripe:${dispute.id}:dispute_opened`)).toEqual(
      ['disputes:lost USD 1500', 'disputes:open USD 2010', 'stripe:available USD -3510'].sort(),
    );
    expect((await donation(donationId)).status).toBe('disputed');
    h.emulator.controls.closeDispute(dispute.id, 'lost');
    await h.settle();
    expect(await entries(`stripe:${dispute.id}:dispute_lost`)).toEqual(
      ['appeal JPY 3000', 'disputes:open USD -2010', 'fx:conversion JPY -3000', 'fx:conversion USD 2010'].sort(),
    );
    const after = await progress('osaka-care-strike-fund');
    expect([after.gross - before.gross, after.net - before.net]).toEqual([-3000n, -3000n]);
    await expectLedgerSound();
  });

  // ¥1,000 refunded, then the whole ¥3,000 charged back and lost: the appeal gives up the ¥2,000 it
  // still held (13.40 of the 20.10 USD withdrawn, at the withdrawal's rate), and the other 6.70 USD
  // is the organization's loss. Posted as a whole, the appeal and its total would lose ¥1,000 twice.
  it('a lost dispute of a partly refunded gift takes from the appeal only what it still held', async () => {
    const { donationId, chargeId } = await give('osaka-care-strike-fund', '3000');
    const refund = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1000' } });
    expect(refund.statusCode).toBe(202);
    await h.settle();
    const before = await progress('osaka-care-strike-fund');
    const dispute = h.emulator.controls.disputeCharge(chargeId);
    h.emulator.controls.closeDispute(dispute.id, 'lost');
    await h.settle();
    expect(await entries(`stripe:${dispute.id}:dispute_lost`)).toEqual(
      ['appeal JPY 2000', 'disputes:lost USD 670', 'disputes:open USD -2010', 'fx:conversion JPY -2000', 'fx:conversion USD 1340'].sort(),
    );
    const after = await progress('osaka-care-strike-fund');
    expect([after.gross - before.gross, after.net - before.net]).toEqual([-2000n, -2000n]);
    await expectLedgerSound();
  });

  // Won: the dollars and the dispute fee come back; the appeal never moved.
  it('a won dispute gives the dollars back and leaves the appeal alone', async () => {
    const { chargeId } = await give('kuwait-relief', '1500', '4000 0000 0000 0259');
    const dispute = h.emulator.controls.disputeCharge(chargeId);
    await h.settle();
    expect(await entries(`stripe:${dispute.id}:dispute_opened`)).toEqual(['disputes:lost USD 1500', 'disputes:open USD 488', 'stripe:available USD -1988'].sort());
    h.emulator.controls.closeDispute(dispute.id, 'won');
    await h.settle();
    expect(await entries(`stripe:${dispute.id}:dispute_won`)).toEqual(['disputes:lost USD -1500', 'disputes:open USD -488', 'stripe:available USD 1988'].sort());
    await expectLedgerSound();
  });

  // A USD gift on the USD account: exactly the posting it always had, no fx:conversion.
  it('a gift in the settlement currency posts as before', async () => {
    const { donationId, chargeId } = await give('buck-a-brick', '1000');
    expect(await entries(`stripe:${chargeId}:gift`)).toEqual(['appeal USD -1000', 'fees:stripe USD 59', 'stripe:pending USD 941'].sort());
    expect((await donation(donationId)).feeMinor).toBe(59n);
  });

  // What fx:conversion holds after all of the above is the treasurer's view of the conversions:
  // at fixed rates and with the refund converted at the gift's rate, every yen leg is matched.
  it('fx:conversion balances per currency equal the sums of their legs', async () => {
    const rows = await queryRows<{ currency: string; balance: string; sum: string }>(
      h.testDb.database.db,
      sql`SELECT a.currency, a.balance_minor::text AS balance, coalesce(sum(e.amount_minor), 0)::text AS sum
            FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
           WHERE a.code = 'fx:conversion' GROUP BY a.id ORDER BY a.currency`,
    );
    // JPY: +3000 +3000 −1000 +3000 −3000; KWD: +1500 +1500; USD: −2010 −488 −2010 +670 −2010 +2010 −488.
    expect(rows.map((r) => [r.currency, r.balance, r.sum])).toEqual([
      ['JPY', '5000', '5000'],
      ['KWD', '3000', '3000'],
      ['USD', '-4326', '-4326'],
    ]);
  });
});

describe('a gift paid in another currency than its appeal', () => {
  // Checkout is asked for the appeal's currency, but Stripe may present the donor another one
  // (Adaptive Pricing). Posted as paid, the USD appeal's account and its public total would count
  // euro cents as dollar cents: the event is parked at once for a treasurer, and nothing moves.
  it('parks the event with its reason and posts nothing', async () => {
    const { donationId } = await h.donate('buck-a-brick', { amountMinor: '2500' });
    const progressBefore = await progress('buck-a-brick');
    const balanceBefore = await h.appealBalance('buck-a-brick');
    const transactionsBefore = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions`);
    const session = await h.emulator.client().checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 2300, product_data: { name: 'Buck-a-Brick' } } }],
      success_url: 'http://localhost:3000/thanks',
      cancel_url: 'http://localhost:3000/',
      metadata: { donation_id: donationId },
    });
    h.emulator.controls.payCheckoutSession(session.id);
    await h.settle();

    const parked = (await h.app.inject({ url: '/api/stripe/events?status=parked', headers: { cookie: h.treasurer } })).json().events;
    expect(parked).toEqual([expect.objectContaining({ type: 'checkout.session.completed', attempts: 1, lastError: expect.stringMatching(/paid in EUR, but appeal buck-a-brick raises USD/) })]);
    expect((await donation(donationId)).status).toBe('pending');
    expect(await progress('buck-a-brick')).toEqual(progressBefore);
    expect(await h.appealBalance('buck-a-brick')).toBe(balanceBefore);
    expect(await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions`)).toEqual(transactionsBefore);
    const euroAppealAccounts = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_accounts WHERE code LIKE 'appeal:%' AND currency = 'EUR'`);
    expect(euroAppealAccounts[0]!.n).toBe(0);
    await expectLedgerSound();
  });

  // A monthly gift whose subscription bills in another currency: its first invoice and each
  // renewal are parked, and no renewal leaves a donation row behind for a gift never posted.
  it('parks a renewal in another currency before it makes a donation row', async () => {
    const stripe = h.emulator.client();
    const start = Math.floor(Date.now() / 1000);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const { donationId } = await h.donate('buck-a-brick', { amountMinor: '2500', frequency: 'monthly' });
    const customer = await stripe.customers.create({ email: 'member@example.org', test_clock: clock.id });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 2300, recurring: { interval: 'month' }, product_data: { name: 'Buck-a-Brick' } } }],
      success_url: 'http://localhost:3000/thanks',
      cancel_url: 'http://localhost:3000/',
      subscription_data: { metadata: { donation_id: donationId } },
    });
    const parkedInvoices = async () =>
      ((await h.app.inject({ url: '/api/stripe/events?status=parked', headers: { cookie: h.treasurer } })).json().events as { type: string; lastError: string }[]).filter((e) => e.type === 'invoice.paid');
    h.emulator.controls.payCheckoutSession(session.id);
    await h.settle();
    expect(await parkedInvoices()).toEqual([expect.objectContaining({ lastError: expect.stringMatching(/paid in EUR, but appeal buck-a-brick raises USD/) })]);

    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start + 31 * 86_400 });
    await h.settle();
    expect(await parkedInvoices()).toHaveLength(2);
    const renewals = await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, donationId));
    expect(renewals).toEqual([]);
    expect((await donation(donationId)).status).toBe('pending');
    await expectLedgerSound();
  });
});
