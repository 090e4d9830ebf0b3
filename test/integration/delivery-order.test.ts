import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

const harnesses: PaymentsHarness[] = [];

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

/** The same life of several gifts: paid, refunded in part, disputed and lost, paid out. */
async function scenario(h: PaymentsHarness): Promise<void> {
  const gifts = [];
  for (const [slug, amountMinor] of [['buck-a-brick', '2500'], ['buck-a-brick', '1000'], ['osaka-care-strike-fund', '3000'], ['kuwait-relief', '1500']] as const) {
    gifts.push(await h.donate(slug, { amountMinor }));
  }
  for (const g of gifts) h.emulator.controls.payCheckoutSession(g.sessionId, '4242424242424242');
  const disputed = await h.donate('buck-a-brick', { amountMinor: '800' });
  h.emulator.controls.payCheckoutSession(disputed.sessionId, '4000000000000259');
  const stripe = h.emulator.client();
  const charge = (id: string) => stripe.checkout.sessions.retrieve(id, { expand: ['payment_intent'] }).then((s) => (s.payment_intent as { latest_charge: string }).latest_charge);
  await stripe.refunds.create({ charge: await charge(gifts[0]!.sessionId), amount: 700 });
  const dispute = h.emulator.controls.disputeCharge(await charge(disputed.sessionId));
  h.emulator.controls.closeDispute(dispute.id, 'lost');
  h.emulator.controls.makeFundsAvailable();
}

/** The ledger without the ids that differ between runs: kind and entries per account code. */
async function snapshot(h: PaymentsHarness): Promise<string[]> {
  const rows = await queryRows<{ line: string }>(
    h.testDb.database.db,
    sql`SELECT t.kind || ' ' || string_agg(coalesce('appeal:' || p.slug, a.code) || '/' || e.currency || ' ' || e.amount_minor, ', ' ORDER BY coalesce(p.slug, a.code), e.amount_minor) AS line
          FROM ledger_transactions t
          JOIN ledger_entries e ON e.transaction_id = t.id
          JOIN ledger_accounts a ON a.id = e.account_id
          LEFT JOIN appeals p ON a.code = 'appeal:' || p.id
         GROUP BY t.id, t.kind`,
  );
  return rows.map((r) => r.line).sort();
}

describe('delivery order and repetition', () => {
  // Stripe retries for days, sends twice and out of order: the books must not notice.
  it('3× shuffled delivery gives the same ledger as single in-order delivery', async () => {
    const inOrder = await startPaymentsHarness();
    const shuffled = await startPaymentsHarness();
    harnesses.push(inOrder, shuffled);
    shuffled.emulator.controls.setDelivery({ times: 3, shuffle: true });
    shuffled.emulator.controls.pause();
    await scenario(inOrder);
    await inOrder.settle();
    // Hold every event back until the whole story has happened, then release it all shuffled.
    await scenario(shuffled);
    shuffled.emulator.controls.resume();
    await shuffled.settle();
    const expected = await snapshot(inOrder);
    expect(expected.length).toBeGreaterThanOrEqual(8);
    expect(await snapshot(shuffled)).toEqual(expected);
    for (const h of [inOrder, shuffled]) expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const deliveries = shuffled.emulator.controls.deliveries.length;
    expect(deliveries).toBeGreaterThanOrEqual(3 * inOrder.emulator.controls.deliveries.length);
  });
});
