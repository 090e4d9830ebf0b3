import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// Card refunds are asynchronous at Stripe: one that said `succeeded` can fail later, when the card
// is closed or reported stolen (Stripe's test card 4000 0000 0000 5126). The money is back in the
// balance and the charge can be refunded again: the gift must say so, and a treasurer must be able
// to refund it again, through the app, at Stripe.

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('a refund the card’s bank sends back', () => {
  it('gives the gift back to the appeal, and the gift can be refunded again', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '900' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const balance = await h.appealBalance('buck-a-brick');
    const refund = (payload: Record<string, string>) => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload });
    const detail = async () => (await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();

    const first = await refund({ amountMinor: '400' });
    expect(first.statusCode, first.body).toBe(202);
    await h.settle();
    expect(await detail()).toMatchObject({ status: 'partially_refunded', refundedMinor: '400', refundableMinor: '500', refundsAwaiting: [] });
    expect(await h.appealBalance('buck-a-brick')).toBe(balance + 400n);

    h.emulator.controls.failRefund(first.json().refundId, 'lost_or_stolen_card');
    await h.settle();
    expect(await detail()).toMatchObject({ status: 'succeeded', refundedMinor: '0', refundableMinor: '900', refundsAwaiting: [] });
    expect(await h.appealBalance('buck-a-brick')).toBe(balance);

    // Stripe takes a new refund of the whole gift, and the ledger posts it.
    const again = await refund({});
    expect(again.statusCode, again.body).toBe(202);
    await h.settle();
    expect(await detail()).toMatchObject({ status: 'refunded', refundedMinor: '900', refundableMinor: '0', refundsAwaiting: [] });
    expect(await h.appealBalance('buck-a-brick')).toBe(balance + 900n);
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });
});
