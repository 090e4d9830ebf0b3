import { eq, inArray, sql } from 'drizzle-orm';
import fc from 'fast-check';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { fromStripeAmount } from '../../server/ledger/money';
import { postDueFunds } from '../../server/payments/funds-available';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

/*
 * A treasurer reconciling against Stripe: after any sequence of gifts (JPY, KWD, USD with the
 * fees covered), funds becoming available, refunds (one or several partials), disputes (won,
 * lost), payouts (paid, returned by the bank, canceled while pending), with every webhook
 * delivered twice in shuffled order, the ledger's Stripe accounts must say what Stripe's balance
 * says: stripe:pending its pending balance, stripe:available its available balance plus the
 * payouts still on their way (the ledger moves a payout when it reaches the bank), bank:payouts
 * what reached the bank.
 */

const appealOf = { USD: 'buck-a-brick', JPY: 'osaka-care-strike-fund', KWD: 'kuwait-relief' } as const;
type Currency = keyof typeof appealOf;
const currencies = Object.keys(appealOf) as Currency[];
/** A gift is `tens` of these: Buck-a-Brick takes whole bricks of 1.00 USD; KWD amounts at Stripe end in 0. */
const unitMinor: Record<Currency, number> = { USD: 100, JPY: 10, KWD: 10 };

type Step =
  | { kind: 'give'; currency: Currency; tens: number; coverFees: boolean }
  | { kind: 'available' }
  | { kind: 'refund'; gift: number; percent: number }
  | { kind: 'dispute'; gift: number; outcome: 'won' | 'lost' | 'open' }
  | { kind: 'payout'; currency: Currency; percent: number }
  | { kind: 'payPayouts' }
  | { kind: 'failPayout' }
  | { kind: 'cancelPayout' }
  | { kind: 'failRefund' }
  | { kind: 'failRefunds'; gift: number }
  | { kind: 'hold' }
  | { kind: 'monthly'; currency: 'USD' | 'JPY'; tens: number; coverFees: boolean }
  | { kind: 'renew' }
  | { kind: 'availableByJob' }
  | { kind: 'inquiryRefund'; gift: number; percent: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('give' as const), currency: fc.constantFrom(...currencies), tens: fc.integer({ min: 50, max: 2_000 }), coverFees: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'available' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refund' as const), gift: fc.nat(), percent: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dispute' as const), gift: fc.nat(), outcome: fc.constantFrom<'won' | 'lost' | 'open'>('won', 'lost', 'open') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('payout' as const), currency: fc.constantFrom(...currencies), percent: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'payPayouts' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'failPayout' as const }) },
  // The treasurer takes back a payout still pending (POST /v1/payouts/:id/cancel).
  { weight: 1, arbitrary: fc.constant({ kind: 'cancelPayout' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'failRefund' as const }) },
  // Every refund of one gift sent back at once: their failures are posted in one batch.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('failRefunds' as const), gift: fc.nat() }) },
  // Webhooks held back (pause) until the next hold step or the end, then delivered shuffled.
  { weight: 1, arbitrary: fc.constant({ kind: 'hold' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('monthly' as const), currency: fc.constantFrom<'USD' | 'JPY'>('USD', 'JPY'), tens: fc.integer({ min: 50, max: 500 }), coverFees: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'renew' as const }) },
  // Stripe makes the funds available, and the app's own job, not the event, moves them first.
  { weight: 1, arbitrary: fc.constant({ kind: 'availableByJob' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('inquiryRefund' as const), gift: fc.nat(), percent: fc.integer({ min: 1, max: 100 }) }) },
);

let h: PaymentsHarness;
/** Every monthly gift's test clock starts here and moves on together, a month at a time. */
let clockNow = Math.floor(Date.now() / 1000);
let stripe: Stripe;

async function ledgerBalances(): Promise<Map<string, bigint>> {
  const rows = await queryRows<{ code: string; currency: string; b: string }>(
    h.testDb.database.db,
    sql`SELECT code, currency, balance_minor::text AS b FROM ledger_accounts WHERE code IN ('stripe:pending', 'stripe:available', 'bank:payouts')`,
  );
  return new Map(rows.map((r) => [`${r.code}|${r.currency}`, BigInt(r.b)]));
}

/** What Stripe says, in the ledger's terms (ISO minor units). */
async function stripeSide(): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const add = (key: string, v: bigint) => out.set(key, (out.get(key) ?? 0n) + v);
  const balance = await stripe.balance.retrieve();
  for (const b of balance.pending) add(`stripe:pending|${b.currency.toUpperCase()}`, fromStripeAmount(b.amount, b.currency.toUpperCase()));
  for (const b of balance.available) add(`stripe:available|${b.currency.toUpperCase()}`, fromStripeAmount(b.amount, b.currency.toUpperCase()));
  for await (const p of stripe.payouts.list({ limit: 100 })) {
    const c = p.currency.toUpperCase();
    const amount = fromStripeAmount(p.amount, c);
    if (p.status === 'pending' || p.status === 'in_transit') add(`stripe:available|${c}`, amount);
    if (p.status === 'paid') add(`bank:payouts|${c}`, amount);
  }
  return out;
}

function nonZero(m: Map<string, bigint>): Record<string, string> {
  return Object.fromEntries([...m].filter(([, v]) => v !== 0n).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.toString()]));
}

async function refund(donationId: string, amountMinor: bigint): Promise<void> {
  const res = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: amountMinor.toString() } });
  // A gift refunded in full, or disputed, is refused (by us, or by Stripe): that is the treasurer's answer, not a failure.
  if (res.statusCode !== 202 && res.statusCode !== 409 && !(res.statusCode === 400 && ['payment_provider.refused', 'donation.refund_too_large'].includes(res.json().error.code))) throw new Error(`refund ${res.statusCode}: ${res.body}`);
}

async function play(steps: Step[], gifts: { id: string; chargeId: string; currency: Currency }[]): Promise<void> {
  const c = h.emulator.controls;
  const db = h.testDb.database.db;
  let held = false;
  const clocks: string[] = [];
  const settle = async () => {
    if (!held) await h.settle();
  };
  // Any gift of this run that Stripe charged, renewals of monthly gifts among them.
  const pick = async (n: number) => {
    const renewals = await db.select().from(donations).where(inArray(donations.parentDonationId, gifts.length > 0 ? gifts.map((g) => g.id) : ['00000000-0000-0000-0000-000000000000']));
    const all = [...gifts, ...renewals.filter((r) => r.chargeId).map((r) => ({ id: r.id, chargeId: r.chargeId!, currency: r.currency as Currency }))];
    return all[n % all.length]!;
  };
  for (const step of steps) {
    if (step.kind === 'hold') {
      if (held) c.resume();
      else c.pause();
      held = !held;
    } else if (step.kind === 'give') {
      const { donationId, sessionId } = await h.donate(appealOf[step.currency], { amountMinor: String(step.tens * unitMinor[step.currency]), coverFees: step.coverFees });
      const session = c.payCheckoutSession(sessionId, '4242424242424242');
      const intent = await stripe.paymentIntents.retrieve(String(session.payment_intent));
      gifts.push({ id: donationId, chargeId: String(intent.latest_charge), currency: step.currency });
    } else if (step.kind === 'monthly') {
      if (held) continue;
      const start = clockNow;
      const gift = await h.monthlyGiftOnClock(`m${Math.random().toString(36).slice(2)}@example.org`, start, { amountMinor: String(step.tens * unitMinor[step.currency]), coverFees: step.coverFees }, appealOf[step.currency]);
      clocks.push(gift.clock);
      const [d] = await db.select().from(donations).where(eq(donations.id, gift.donationId));
      gifts.push({ id: gift.donationId, chargeId: d!.chargeId!, currency: step.currency });
    } else if (step.kind === 'renew') {
      clockNow += 32 * 86_400;
      for (const clock of clocks) await stripe.testHelpers.testClocks.advance(clock, { frozen_time: clockNow });
    } else if (step.kind === 'availableByJob') {
      c.makeFundsAvailable();
      await postDueFunds(db, undefined, new Date(Date.now() + 400 * 86_400_000));
    } else if (step.kind === 'available') {
      c.makeFundsAvailable();
    } else if (step.kind === 'refund' && gifts.length > 0) {
      const gift = await pick(step.gift);
      const [d] = await db.select().from(donations).where(eq(donations.id, gift.id));
      if (!d!.chargeId) continue; // not posted yet: the treasurer sees nothing to refund
      const left = d!.amountMinor + d!.coverFeesMinor - d!.refundedMinor;
      const step10 = gift.currency === 'KWD' ? 10n : 1n;
      let part = ((left * BigInt(step.percent)) / 100n / step10) * step10;
      if (part <= 0n) part = left;
      if (part > 0n) await refund(gift.id, part);
    } else if (step.kind === 'dispute' && gifts.length > 0) {
      const gift = await pick(step.gift);
      const charge = await stripe.charges.retrieve(gift.chargeId);
      if (charge.disputed || charge.refunded) continue;
      const dispute = c.disputeCharge(gift.chargeId);
      await settle();
      if (step.outcome !== 'open') c.closeDispute(dispute.id, step.outcome);
    } else if (step.kind === 'payout') {
      const balance = await stripe.balance.retrieve();
      const available = balance.available.find((b) => b.currency === step.currency.toLowerCase())?.amount ?? 0;
      let amount = Math.floor((available * step.percent) / 100);
      if (step.currency === 'KWD') amount -= amount % 10;
      if (amount >= 1) await stripe.payouts.create({ amount, currency: step.currency.toLowerCase() });
    } else if (step.kind === 'payPayouts') {
      c.payPayouts();
    } else if (step.kind === 'failRefund') {
      const [last] = (await stripe.refunds.list({ limit: 1 })).data;
      if (last && last.status === 'succeeded') c.failRefund(last.id);
    } else if (step.kind === 'failRefunds' && gifts.length > 0) {
      const gift = await pick(step.gift);
      for await (const r of stripe.refunds.list({ charge: gift.chargeId, limit: 100 })) if (r.status === 'succeeded') c.failRefund(r.id);
    } else if (step.kind === 'inquiryRefund' && gifts.length > 0) {
      const gift = await pick(step.gift);
      const charge = await stripe.charges.retrieve(gift.chargeId);
      if (charge.disputed || charge.refunded) continue;
      const dispute = c.disputeCharge(gift.chargeId, { inquiry: true });
      await settle();
      const left = BigInt(charge.amount - charge.amount_refunded);
      const step10 = gift.currency === 'KWD' ? 10n : 1n;
      let part = ((left * BigInt(step.percent)) / 100n / step10) * step10;
      if (part <= 0n) part = left;
      // Stripe's amounts are the charge's; the API takes ISO minor units.
      await refund(gift.id, fromStripeAmount(Number(part), gift.currency));
      await settle();
      // Refunded in full during the inquiry, there is nothing left to charge back: it closes.
      const after = await stripe.charges.retrieve(gift.chargeId);
      if (after.amount_refunded >= after.amount) {
        c.closeDispute(dispute.id, 'warning_closed');
      } else {
        c.escalateInquiry(dispute.id);
        await settle();
        c.closeDispute(dispute.id, step.percent % 2 === 0 ? 'won' : 'lost');
      }
    } else if (step.kind === 'cancelPayout') {
      const [last] = (await stripe.payouts.list({ limit: 1, status: 'pending' })).data;
      if (last) await stripe.payouts.cancel(last.id);
    } else if (step.kind === 'failPayout') {
      const [last] = (await stripe.payouts.list({ limit: 1 })).data;
      if (last && last.status !== 'failed' && last.status !== 'canceled') c.failPayout(last.id);
    }
    await settle();
  }
  if (held) c.resume();
}

/** What each gift's page says is refunded is what Stripe refunded of its charge; each appeal's progress is its account. */
async function expectGiftsAsStripeHasThem(): Promise<void> {
  const db = h.testDb.database.db;
  const rows = await db.select().from(donations);
  const ours: Record<string, string> = {};
  const theirs: Record<string, string> = {};
  for (const d of rows) {
    if (!d.chargeId) continue;
    const charge = await stripe.charges.retrieve(d.chargeId);
    ours[d.chargeId] = d.refundedMinor.toString();
    theirs[d.chargeId] = fromStripeAmount(charge.amount_refunded, d.currency).toString();
  }
  expect(ours).toEqual(theirs);
  const appealsHeld = await queryRows<{ slug: string; held: string; gross: string }>(
    db,
    sql`SELECT p.slug, (-a.balance_minor)::text AS held, coalesce(g.raised_gross_minor, 0)::text AS gross
          FROM appeals p JOIN ledger_accounts a ON a.code = 'appeal:' || p.id LEFT JOIN appeal_progress g ON g.appeal_id = p.id`,
  );
  expect(appealsHeld.map((r) => ({ slug: r.slug, gross: r.gross }))).toEqual(appealsHeld.map((r) => ({ slug: r.slug, gross: r.held })));
}

describe.each([
  { name: 'settled in each currency', settlementCurrency: undefined },
  { name: 'settled in USD', settlementCurrency: 'usd' },
])('the ledger reconciled against Stripe, $name', ({ settlementCurrency }) => {
  beforeAll(async () => {
    h = await startPaymentsHarness(settlementCurrency ? { emulator: { settlementCurrency } } : {});
    stripe = h.emulator.client();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('says what Stripe says after any sequence a treasurer and Stripe can make', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 3, maxLength: 16 }), async (steps) => {
        h.emulator.controls.setDelivery({ times: 2, shuffle: true });
        try {
          await play(steps, []);
        } finally {
          h.emulator.controls.resume();
          h.emulator.controls.setDelivery({ times: 1, shuffle: false });
        }
        await h.settle();
        const left = await queryRows<{ type: string; status: string; last_error: string | null }>(h.testDb.database.db, sql`SELECT type, status::text, last_error FROM stripe_events WHERE status IN ('parked', 'pending')`);
        expect(left, 'events left unposted').toEqual([]);
        expect(nonZero(await ledgerBalances())).toEqual(nonZero(await stripeSide()));
        await expectGiftsAsStripeHasThem();
      }),
      {
        numRuns: Number(process.env.RECON_RUNS ?? 10),
        // Found by the property: an inquiry refunded in full, which Stripe will not escalate.
        examples: [[[{ kind: 'give', currency: 'USD', tens: 50, coverFees: false }, { kind: 'inquiryRefund', gift: 0, percent: 100 }]]],
      },
    );
  }, 600_000);

  it('leaves a ledger that verifies', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });
});
