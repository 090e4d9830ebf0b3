import { sql } from 'drizzle-orm';
import pino from 'pino';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { settleUnansweredAsks } from '../../server/payments/refund-ask-job';
import { refundAskUnansweredMs } from '../../server/payments/refund-ask-times';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// The refund ask job finishes what a treasurer's "Check with Stripe and finish it" button would:
// asks written but never answered (the process died, or Stripe's answer timed out).

let h: PaymentsHarness;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

// A round takes up every unanswered ask in the database: one test's leftovers must not be the next one's.
afterEach(async () => {
  await h.testDb.database.rows(sql`UPDATE refund_asks SET status = 'refused', refused_code = 'test_over' WHERE status = 'asking'`);
});

/** A Stripe client on the emulator whose refund calls are counted. */
function countedStripe() {
  const stripe = new Stripe('sk_test_emulator', { ...h.emulator.clientOptions, maxNetworkRetries: 0 });
  const calls = { create: vi.spyOn(stripe.refunds, 'create'), list: vi.spyOn(stripe.refunds, 'list'), retrieve: vi.spyOn(stripe.refunds, 'retrieve') };
  return { deps: { db: h.testDb.database.db, stripe, log: silent }, calls };
}

/** A paid US$40.00 gift to Buck-a-Brick, posted. */
async function paidGift(): Promise<{ donationId: string; chargeId: string }> {
  const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
  h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
  await h.settle();
  const [row] = await h.testDb.database.rows<{ charge_id: string }>(sql`SELECT charge_id FROM donations WHERE id = ${donationId}`);
  return { donationId, chargeId: row!.charge_id };
}

/** An ask of 10.00 written as the refund route writes it, `ageMs` ago, and never answered. */
async function unansweredAsk(donationId: string, key: string, ageMs: number): Promise<string> {
  const [ask] = await h.testDb.database.rows<{ id: string }>(
    sql`INSERT INTO refund_asks (donation_id, idempotency_key, amount_minor, reason, asked_at)
        VALUES (${donationId}, ${key}, 1000, 'requested_by_customer', now() - make_interval(secs => ${ageMs / 1000}))
        RETURNING id`,
  );
  return ask!.id;
}

async function ask(id: string) {
  const [row] = await h.testDb.database.rows<{ status: string; refund_id: string | null; refused_code: string | null }>(sql`SELECT status::text, refund_id, refused_code FROM refund_asks WHERE id = ${id}`);
  return row!;
}

/** Stripe's refunds of a charge, as Stripe lists them (newest first). */
async function refundsAtStripe(chargeId: string) {
  return (await new Stripe('sk_test_emulator', h.emulator.clientOptions).refunds.list({ charge: chargeId, limit: 100 })).data;
}

async function audits(donationId: string) {
  return h.testDb.database.rows<{ action: string; actor_user_id: string | null; after: { askId?: string; refundId?: string; refusedCode?: string } }>(
    sql`SELECT action, actor_user_id, after FROM audit_log WHERE subject_type = 'donation' AND subject_id = ${donationId} ORDER BY at`,
  );
}

async function detail(donationId: string) {
  return (await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
}

const minutesAgo = (m: number) => m * 60_000;

describe('the refund ask job', () => {
  it('makes an ask that never reached Stripe, once, and audits it as the system', async () => {
    const { donationId, chargeId } = await paidGift();
    const id = await unansweredAsk(donationId, 'job-never-sent', minutesAgo(5));
    const { deps, calls } = countedStripe();
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 1 });
    const atStripe = await refundsAtStripe(chargeId);
    expect(atStripe.map((r) => [r.amount, r.metadata?.refund_ask_id])).toEqual([[1000, id]]);
    expect(calls.create).toHaveBeenCalledTimes(1);
    expect(await ask(id)).toMatchObject({ status: 'asked', refund_id: atStripe[0]!.id });
    expect(await audits(donationId)).toEqual([{ action: 'donation.refund', actor_user_id: null, after: expect.objectContaining({ askId: id, refundId: atStripe[0]!.id, amountMinor: '1000' }) }]);
    // The next round has nothing left to do.
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 0 });
    await h.settle();
    expect(await detail(donationId)).toMatchObject({ refundedMinor: '1000', refundableMinor: '3000', refundsAwaiting: [] });
  });

  // Stripe made the refund but the app never heard: a day later Stripe has forgotten the key, so
  // only looking the refund up by the ask's id keeps it from being made a second time.
  it('finds the refund of an ask that reached Stripe, and does not make it again', async () => {
    const { donationId, chargeId } = await paidGift();
    const id = await unansweredAsk(donationId, 'job-answer-lost', minutesAgo(5));
    const made = await new Stripe('sk_test_emulator', h.emulator.clientOptions).refunds.create(
      { charge: chargeId, amount: 1000, reason: 'requested_by_customer', metadata: { donation_id: donationId, refund_ask_id: id } },
      { idempotencyKey: `donation:${donationId}:refund:job-answer-lost` },
    );
    h.emulator.controls.forgetIdempotencyKeys();
    const { deps, calls } = countedStripe();
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 1 });
    expect(calls.create).not.toHaveBeenCalled();
    expect((await refundsAtStripe(chargeId)).map((r) => r.id)).toEqual([made.id]);
    expect(await ask(id)).toMatchObject({ status: 'asked', refund_id: made.id });
  });

  // Two instances (or two loops) run a round at the same moment: the ask is sent by one of them.
  it('two rounds at once send an ask once', async () => {
    const { donationId, chargeId } = await paidGift();
    const id = await unansweredAsk(donationId, 'job-two-rounds', minutesAgo(5));
    // Every pooled connection open first, so neither round waits for one behind the other.
    await Promise.all([1, 2, 3, 4].map(() => h.testDb.database.rows(sql`SELECT pg_sleep(0.02)`)));
    const one = countedStripe();
    const two = countedStripe();
    const rounds = await Promise.all([settleUnansweredAsks(one.deps), settleUnansweredAsks(two.deps)]);
    expect(rounds.map((r) => r.sent).sort()).toEqual([0, 1]);
    expect(one.calls.create.mock.calls.length + two.calls.create.mock.calls.length).toBe(1);
    expect(one.calls.list.mock.calls.length + two.calls.list.mock.calls.length).toBe(1);
    const atStripe = await refundsAtStripe(chargeId);
    expect(atStripe).toHaveLength(1);
    expect(await ask(id)).toMatchObject({ status: 'asked', refund_id: atStripe[0]!.id });
  });

  it('settles an ask past its window as expired once Stripe shows it never made it, and frees its money', async () => {
    const { donationId, chargeId } = await paidGift();
    const id = await unansweredAsk(donationId, 'job-long-ago', 4 * 86_400_000);
    expect(await detail(donationId)).toMatchObject({ refundableMinor: '4000', refundsAwaiting: [] });
    const { deps, calls } = countedStripe();
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 1, sent: 1 });
    // Looked for at Stripe, never made there.
    expect([calls.create, calls.list].map((c) => c.mock.calls.length)).toEqual([0, 1]);
    expect(await ask(id)).toMatchObject({ status: 'refused', refund_id: null, refused_code: 'ask_expired' });
    expect(await audits(donationId)).toEqual([{ action: 'donation.refund_expired', actor_user_id: null, after: expect.objectContaining({ askId: id, refusedCode: 'ask_expired' }) }]);
    expect(await detail(donationId)).toMatchObject({ refundableMinor: '4000', refundsAwaiting: [] });
    expect(await refundsAtStripe(chargeId)).toEqual([]);
    // Settled once: a later round finds nothing to send.
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 0 });
  });

  // Its answer and its event both lost, the refund was made all the same: the ask says so, not "never made".
  it('records an ask past its window whose refund Stripe did make as asked, not expired', async () => {
    const { donationId, chargeId } = await paidGift();
    const id = await unansweredAsk(donationId, 'job-made-long-ago', 4 * 86_400_000);
    const made = await new Stripe('sk_test_emulator', h.emulator.clientOptions).refunds.create(
      { charge: chargeId, amount: 1000, reason: 'requested_by_customer', metadata: { donation_id: donationId, refund_ask_id: id } },
      { idempotencyKey: `donation:${donationId}:refund:job-made-long-ago` },
    );
    h.emulator.controls.pause();
    try {
      const { deps, calls } = countedStripe();
      expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 1 });
      expect(calls.create).not.toHaveBeenCalled();
      expect(await ask(id)).toMatchObject({ status: 'asked', refund_id: made.id });
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
  });

  // An ask another instance is sending is its own until its lease ends, however old the ask.
  it('leaves an ask whose send is under way elsewhere to that send', async () => {
    const { donationId } = await paidGift();
    const id = await unansweredAsk(donationId, 'job-held', 4 * 86_400_000);
    await h.testDb.database.rows(sql`UPDATE refund_asks SET next_resend_at = now() + interval '5 minutes' WHERE id = ${id}`);
    const { deps, calls } = countedStripe();
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 0 });
    expect(calls.list).not.toHaveBeenCalled();
    expect(await ask(id)).toMatchObject({ status: 'asking' });
  });

  // An ask younger than this may still be in flight: its own request records Stripe's answer.
  it('leaves an ask alone until the gift page would offer to finish it', async () => {
    const young = await paidGift();
    const old = await paidGift();
    const youngId = await unansweredAsk(young.donationId, 'job-young', refundAskUnansweredMs - 10_000);
    const oldId = await unansweredAsk(old.donationId, 'job-old', refundAskUnansweredMs + 10_000);
    const { deps } = countedStripe();
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 1 });
    expect(await ask(youngId)).toMatchObject({ status: 'asking', refund_id: null });
    expect(await refundsAtStripe(young.chargeId)).toEqual([]);
    expect(await ask(oldId)).toMatchObject({ status: 'asked' });
  });

  // Stripe unreachable: the ask stays spoken for, and is tried again once its claim's lease ends.
  it('leaves an ask Stripe could not be reached for to a later round', async () => {
    const { donationId, chargeId } = await paidGift();
    const id = await unansweredAsk(donationId, 'job-stripe-down', minutesAgo(5));
    const down = new Stripe('sk_test_emulator', { host: '127.0.0.1', port: 1, protocol: 'http', maxNetworkRetries: 0 });
    const deps = { db: h.testDb.database.db, stripe: down, log: silent };
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 1 });
    expect(await ask(id)).toMatchObject({ status: 'asking', refund_id: null });
    expect(await audits(donationId)).toEqual([]);
    expect((await detail(donationId)).refundsAwaiting).toMatchObject([{ askId: id, refundId: null }]);
    // Within its lease it is not taken up again.
    expect(await settleUnansweredAsks(countedStripe().deps)).toEqual({ expired: 0, sent: 0 });
    await h.testDb.database.rows(sql`UPDATE refund_asks SET next_resend_at = now() WHERE id = ${id}`);
    expect(await settleUnansweredAsks(countedStripe().deps)).toEqual({ expired: 0, sent: 1 });
    expect(await ask(id)).toMatchObject({ status: 'asked' });
    expect(await refundsAtStripe(chargeId)).toHaveLength(1);
  });

  // Stripe says no for good (here: the charge was refunded in full from its Dashboard, and that
  // refund is in the books): the ask is refused, as the button would record it, and audited.
  it('records an ask Stripe refuses as refused', async () => {
    const { donationId, chargeId } = await paidGift();
    await new Stripe('sk_test_emulator', h.emulator.clientOptions).refunds.create({ charge: chargeId });
    await h.settle();
    const id = await unansweredAsk(donationId, 'job-refused', minutesAgo(5));
    const { deps, calls } = countedStripe();
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 1 });
    expect(calls.create).toHaveBeenCalledTimes(1);
    expect(await ask(id)).toMatchObject({ status: 'refused', refund_id: null, refused_code: 'charge_already_refunded' });
    expect(await audits(donationId)).toEqual([{ action: 'donation.refund_refused', actor_user_id: null, after: expect.objectContaining({ askId: id, refusedCode: 'charge_already_refunded' }) }]);
    expect(await settleUnansweredAsks(deps)).toEqual({ expired: 0, sent: 0 });
  });
});
