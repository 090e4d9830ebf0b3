import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// An inquiry is a bank asking about a payment before (or instead of) charging it back: Stripe
// withdraws nothing. The ledger must not move until Stripe does, and the gift stays refundable.

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

/** Every USD balance a dispute could move, and the appeal's. */
async function balances() {
  const rows = await queryRows<{ code: string; balance: string }>(
    h.testDb.database.db,
    sql`SELECT code, balance_minor::text AS balance FROM ledger_accounts WHERE currency = 'USD' AND code IN ('stripe:available', 'stripe:pending', 'disputes:open', 'disputes:lost')`,
  );
  const of = (code: string) => BigInt(rows.find((r) => r.code === code)?.balance ?? '0');
  return { available: of('stripe:available'), pending: of('stripe:pending'), open: of('disputes:open'), lost: of('disputes:lost'), appeal: await h.appealBalance('buck-a-brick') };
}

async function donation(id: string) {
  const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, id));
  return row!;
}

/** A gift paid with 4242 and posted; `paid` is the checkout form's answer. */
async function paidGift(amountMinor: string) {
  const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { amountMinor });
  const paid = await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
  await h.settle();
  return { donationId, paid };
}

/**
 * A paid, posted gift and the inquiry its bank opens. Opened by the control: the harness turns off
 * the emulator's own timing, which opens one for Stripe's inquiry card (tested with the emulator).
 */
async function questionedGift(amountMinor: string) {
  const { donationId, paid } = await paidGift(amountMinor);
  expect(paid.status).toBe(303);
  const d = await donation(donationId);
  expect(d.status).toBe('succeeded');
  const before = await balances();
  const inquiry = h.emulator.controls.disputeCharge(d.chargeId!, { inquiry: true });
  await h.settle();
  return { donationId, inquiry, before };
}

describe('a dispute inquiry', () => {
  it('moves nothing while it is open or when it closes, and the gift can still be refunded', async () => {
    const { donationId, inquiry, before } = await questionedGift('2000');
    expect(inquiry).toMatchObject({ status: 'warning_needs_response', balance_transactions: [] });
    expect(await balances()).toEqual(before);
    expect((await donation(donationId)).status).toBe('succeeded');

    // Stripe advises refunding a questioned payment: it stops the inquiry from becoming a chargeback.
    const refund = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '500' } });
    expect(refund.statusCode).toBe(202);
    await h.settle();
    expect((await balances()).appeal).toBe(before.appeal + 500n);

    h.emulator.controls.closeDispute(inquiry.id, 'warning_closed');
    await h.settle();
    expect(await balances()).toMatchObject({ open: before.open, lost: before.lost, appeal: before.appeal + 500n });
    expect((await donation(donationId)).status).toBe('partially_refunded');
  });

  it('posts the chargeback when it is escalated, and its loss when it is lost', async () => {
    const { donationId, inquiry, before } = await questionedGift('3000');
    const escalated = h.emulator.controls.escalateInquiry(inquiry.id);
    const fee = BigInt(escalated.balance_transactions[0]!.fee);
    await h.settle();
    expect(await balances()).toMatchObject({ open: before.open + 3000n, lost: before.lost + fee, available: before.available - 3000n - fee, appeal: before.appeal });
    expect((await donation(donationId)).status).toBe('disputed');

    h.emulator.controls.closeDispute(inquiry.id, 'lost');
    await h.settle();
    expect(await balances()).toMatchObject({ open: before.open, appeal: before.appeal + 3000n });
    // A treasurer's statement reads these lines.
    const posted = await queryRows<{ kind: string; description: string }>(h.testDb.database.db, sql`SELECT kind, description FROM ledger_transactions WHERE metadata->>'disputeId' = ${inquiry.id} ORDER BY id`);
    expect(posted).toEqual([
      { kind: 'dispute_opened', description: `Chargeback ${inquiry.id} of a gift (fraudulent): withdrawn by Stripe` },
      { kind: 'dispute_lost', description: `Chargeback ${inquiry.id} of a gift to buck-a-brick: lost` },
    ]);
  });

  // Stripe sends created and funds_withdrawn for a chargeback, in any order and more than once.
  it('posts a chargeback once from either of its two events', async () => {
    h.emulator.controls.setDelivery({ times: 2, shuffle: true });
    try {
      const { donationId } = await paidGift('1100');
      const before = await balances();
      const dispute = h.emulator.controls.disputeCharge((await donation(donationId)).chargeId!);
      await h.settle();
      expect((await balances()).open).toBe(before.open + 1100n);
      const posted = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions WHERE metadata->>'disputeId' = ${dispute.id}`);
      expect(posted[0]!.n).toBe(1);
    } finally {
      h.emulator.controls.setDelivery({ times: 1, shuffle: false });
    }
  });

  // A chargeback's funds_withdrawn may arrive after the dispute was won (Stripe retries for days):
  // a repeat of its posting, it must not mark the gift disputed again.
  it('keeps a won gift succeeded when its funds_withdrawn arrives after the close', async () => {
    const { donationId } = await paidGift('1700');
    const before = await balances();
    h.emulator.controls.pause();
    try {
      const dispute = h.emulator.controls.disputeCharge((await donation(donationId)).chargeId!);
      h.emulator.controls.closeDispute(dispute.id, 'won');
      await h.deliver(await h.emulatorEvent('charge.dispute.created', dispute.id));
      await h.drain();
      expect((await donation(donationId)).status).toBe('disputed');
      await h.deliver(await h.emulatorEvent('charge.dispute.closed', dispute.id));
      await h.drain();
      expect((await donation(donationId)).status).toBe('succeeded');
      await h.deliver(await h.emulatorEvent('charge.dispute.funds_withdrawn', dispute.id));
      await h.drain();
      expect((await donation(donationId)).status).toBe('succeeded');
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect((await donation(donationId)).status).toBe('succeeded');
    expect(await balances()).toMatchObject({ open: before.open, appeal: before.appeal });
  });

  // An event of another API release is read again from Stripe (poster.ts): a chargeback's created
  // event read after the dispute was won lists the reinstatement too. The opening still books the
  // withdrawal's dispute fee, not the withdrawal's and the reinstatement's fees summed to zero.
  it('books the dispute fee when the opening is read after the dispute was won', async () => {
    const { donationId } = await paidGift('1900');
    const before = await balances();
    h.emulator.controls.pause();
    try {
      const dispute = h.emulator.controls.disputeCharge((await donation(donationId)).chargeId!);
      h.emulator.controls.closeDispute(dispute.id, 'won');
      const created = JSON.parse(JSON.stringify(await h.emulatorEvent('charge.dispute.created', dispute.id))) as Record<string, unknown>;
      await h.deliver({ ...created, api_version: '2024-06-20' });
      await h.drain();
      const fee = BigInt(dispute.balance_transactions[0]!.fee);
      expect(await balances()).toMatchObject({ open: before.open + 1900n, lost: before.lost + fee });
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await balances()).toMatchObject({ open: before.open, lost: before.lost, appeal: before.appeal });
    expect((await donation(donationId)).status).toBe('succeeded');
  });

  it('leaves a ledger that verifies and no event pending or parked', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const [left] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status IN ('pending', 'parked')`);
    expect(left!.n).toBe(0);
  });
});
