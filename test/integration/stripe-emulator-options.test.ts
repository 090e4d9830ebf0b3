import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator } from '../../server/stripe-emulator/index';
import { startReceiver, submitCheckoutForm, type Receiver } from '../../server/stripe-emulator/testing';

let dir: string;
let receiver: Receiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stripe-emulator-'));
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const lineItems = (currency: string, unit_amount: number): Stripe.Checkout.SessionCreateParams.LineItem[] => [
  { price_data: { currency, unit_amount, product_data: { name: 'Brick' } }, quantity: 1 },
];

describe('stripe emulator options', () => {
  // Demo mode restarts the process; donations already made must still be there afterwards.
  it('keeps its objects across a restart with stateFile', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startStripeEmulator({ stateFile, disputeAfterMs: null });
    const session = await first.client().checkout.sessions.create({ mode: 'payment', line_items: lineItems('usd', 1300) });
    first.controls.payCheckoutSession(session.id);
    await first.close();

    const second = await startStripeEmulator({ stateFile, disputeAfterMs: null });
    try {
      const again = await second.client().checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
      expect(again.status).toBe('complete');
      expect((again.payment_intent as Stripe.PaymentIntent).amount_received).toBe(1300);
      expect((await second.client().balance.retrieve()).pending.find((b) => b.currency === 'usd')?.amount).toBe(1300 - 68);
    } finally {
      await second.close();
    }
  });

  // Affiliates in other countries pay other fees; a per-currency fixed part must apply in that currency's unit.
  it('applies configured fees per currency', async () => {
    const emu = await startStripeEmulator({ fees: { percentBps: 140, fixedMinor: { eur: 25n, jpy: 0n } }, disputeAfterMs: null });
    try {
      const stripe = emu.client();
      for (const [currency, amount, fee] of [['eur', 1000, 39], ['jpy', 3000, 42]] as const) {
        const session = await stripe.checkout.sessions.create({ mode: 'payment', line_items: lineItems(currency, amount) });
        const pi = await stripe.paymentIntents.retrieve(String(emu.controls.payCheckoutSession(session.id).payment_intent), {
          expand: ['latest_charge.balance_transaction'],
        });
        const bt = (pi.latest_charge as Stripe.Charge).balance_transaction as Stripe.BalanceTransaction;
        expect([bt.amount, bt.fee, bt.net]).toEqual([amount, fee, amount - fee]);
      }
    } finally {
      await emu.close();
    }
  });

  // A federation's one account settles in USD: a yen or dinar gift must be booked in USD at the
  // documented test rate, fee on the converted amount, and so must its refunds and disputes.
  it('books charges in another currency in settlementCurrency, with exchange_rate', async () => {
    const emu = await startStripeEmulator({ settlementCurrency: 'usd', disputeAfterMs: null });
    try {
      const stripe = emu.client();
      const pay = async (currency: string, amount: number) => {
        const session = await stripe.checkout.sessions.create({ mode: 'payment', line_items: lineItems(currency, amount) });
        const pi = await stripe.paymentIntents.retrieve(String(emu.controls.payCheckoutSession(session.id).payment_intent), {
          expand: ['latest_charge.balance_transaction'],
        });
        const charge = pi.latest_charge as Stripe.Charge;
        return { charge, bt: charge.balance_transaction as Stripe.BalanceTransaction };
      };
      // ¥3,000 × 0.0067 = 20.10 USD; fee 2.9 % of 2010 (58.29 → 58) + 30 = 88.
      const yen = await pay('jpy', 3000);
      expect([yen.charge.amount, yen.charge.currency]).toEqual([3000, 'jpy']);
      expect([yen.bt.currency, yen.bt.amount, yen.bt.fee, yen.bt.net, yen.bt.exchange_rate]).toEqual(['usd', 2010, 88, 1922, 0.0067]);
      expect(yen.bt.fee_details[0]?.currency).toBe('usd');
      // KWD 1.500 × 3.25 = 4.875 USD: the half cent rounds away from zero to 4.88; fee 14 + 30.
      const dinar = await pay('kwd', 1500);
      expect([dinar.bt.currency, dinar.bt.amount, dinar.bt.fee, dinar.bt.net, dinar.bt.exchange_rate]).toEqual(['usd', 488, 44, 444, 3.25]);
      // A charge already in the settlement currency is untouched.
      const dollars = await pay('usd', 1000);
      expect([dollars.bt.currency, dollars.bt.amount, dollars.bt.fee, dollars.bt.exchange_rate]).toEqual(['usd', 1000, 59, null]);

      const refund = await stripe.refunds.create({ charge: yen.charge.id, amount: 1000 }, { idempotencyKey: 'fx-refund' });
      const refundBt = (await stripe.refunds.retrieve(refund.id, { expand: ['balance_transaction'] })).balance_transaction as Stripe.BalanceTransaction;
      expect([refund.amount, refund.currency]).toEqual([1000, 'jpy']);
      expect([refundBt.currency, refundBt.amount, refundBt.fee, refundBt.exchange_rate]).toEqual(['usd', -670, 0, 0.0067]);

      const opened = emu.controls.disputeCharge(dinar.charge.id);
      expect([opened.amount, opened.currency]).toEqual([1500, 'kwd']);
      const won = emu.controls.closeDispute(opened.id, 'won');
      expect(won.balance_transactions.map((bt) => [bt.currency, bt.amount, bt.fee, bt.exchange_rate])).toEqual([
        ['usd', -488, 1500, 3.25],
        ['usd', 488, -1500, 3.25],
      ]);

      // A pair without a test rate is refused when the session is made, not when the donor pays.
      const refused = await stripe.checkout.sessions.create({ mode: 'payment', line_items: lineItems('gbp', 1000) }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect((refused as Stripe.errors.StripeError).code).toBe('currency_not_supported');
    } finally {
      await emu.close();
    }
  });

  // Card numbers and secrets must never reach the logs, even at trace level.
  it('never logs card numbers, API keys or the webhook secret', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const logger = pino({ level: 'trace' }, sink);
    const secret = 'whsec_never_log_this_secret';
    receiver.script([500]);
    const emu = await startStripeEmulator({ logger, webhook: { url: receiver.url, secret, baseDelayMs: 5 }, disputeAfterMs: null });
    try {
      const stripe = emu.client('sk_test_never_log_this_key');
      const session = await stripe.checkout.sessions.create({ mode: 'payment', line_items: lineItems('usd', 500) });
      await submitCheckoutForm(session.url!, { card_number: '4000 0000 0000 0002' });
      await submitCheckoutForm(session.url!, { card_number: '4242 4242 4242 4242' });
      await emu.controls.flush();
    } finally {
      await emu.close();
    }
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const forbidden of ['4242424242424242', '4242 4242', '4000000000000002', secret, 'sk_test_never_log_this_key']) {
      expect(log).not.toContain(forbidden);
    }
  });

  // Browsers and curl send `[]` arrays and nested brackets; the parser must read them like Stripe.
  it('parses raw bracket-key form bodies and rejects oversized ones', async () => {
    const emu = await startStripeEmulator({ disputeAfterMs: null });
    try {
      const headers = { authorization: 'Bearer sk_test_raw', 'content-type': 'application/x-www-form-urlencoded' };
      const body =
        'mode=payment&metadata[appeal]=hall%20fund&line_items[0][price_data][currency]=usd' +
        '&line_items[0][price_data][unit_amount]=500&line_items[0][price_data][product_data][name]=Brick' +
        '&line_items[0][quantity]=2&expand[]=line_items';
      const res = await fetch(`${emu.url}/v1/checkout/sessions`, { method: 'POST', headers, body });
      expect(res.status).toBe(200);
      const session = (await res.json()) as Stripe.Checkout.Session;
      expect(session).toMatchObject({ amount_total: 1000, metadata: { appeal: 'hall fund' } });
      expect(session.line_items?.data[0]).toMatchObject({ quantity: 2, amount_total: 1000, description: 'Brick' });

      const huge = await fetch(`${emu.url}/v1/customers`, { method: 'POST', headers, body: `name=${'x'.repeat(1_100_000)}` });
      expect(huge.status).toBe(413);
      expect(((await huge.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    } finally {
      await emu.close();
    }
  });
});
