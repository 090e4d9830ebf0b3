import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import { startReceiver, submitCheckoutForm, type Receiver } from '../../server/stripe-emulator/testing';

const SECRET = 'whsec_emulator_test_secret';
let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  emu = await startStripeEmulator({ webhook: { url: receiver.url, secret: SECRET, baseDelayMs: 10, maxAttempts: 4 }, disputeAfterMs: 50 });
  stripe = emu.client();
});

afterAll(async () => {
  await emu.close();
  await receiver.close();
});

beforeEach(async () => {
  await emu.controls.flush();
  emu.controls.reset();
  receiver.reset();
});

async function createPaymentSession(currency: string, unitAmount: number, extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) {
  return stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price_data: { currency, unit_amount: unitAmount, product_data: { name: 'Brick for the union hall' } }, quantity: 1 }],
    success_url: 'https://give.example.org/thanks?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://give.example.org/appeal',
    metadata: { appeal: 'buck-a-brick' },
    payment_intent_data: { metadata: { appeal: 'buck-a-brick' } },
    ...extra,
  });
}

async function deliveredEvents(): Promise<Stripe.Event[]> {
  await emu.controls.flush();
  return receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, SECRET));
}

describe('payment-mode checkout through the hosted form', () => {
  // Fees are computed in each currency's smallest unit: zero-, two- and three-decimal currencies must all come out exact.
  it.each([
    { currency: 'usd', amount: 2500, fee: 103, shown: '$25.00' },
    { currency: 'jpy', amount: 3000, fee: 87, shown: '¥3,000' },
    { currency: 'kwd', amount: 1500, fee: 44, shown: 'KWD 1.500' },
  ])('pays $currency $amount with 4242 and records amount, fee and net', async ({ currency, amount, fee, shown }) => {
    const session = await createPaymentSession(currency, amount);
    expect(session.url).toMatch(/\/checkout\/cs_test_/);
    const page = await fetch(session.url!);
    const html = await page.text();
    expect(html).toContain('Stripe emulator — test mode');
    expect(html.replace(/\u00a0/g, ' ')).toContain(`Pay ${shown}`);

    const res = await submitCheckoutForm(session.url!, { card_number: '4242 4242 4242 4242' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`https://give.example.org/thanks?session=${session.id}`);

    const paid = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent.latest_charge.balance_transaction'] });
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid', amount_total: amount, currency });
    const pi = paid.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({ status: 'succeeded', amount, amount_received: amount, metadata: { appeal: 'buck-a-brick' } });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ paid: true, status: 'succeeded', amount, currency });
    const bt = charge.balance_transaction as Stripe.BalanceTransaction;
    expect(bt).toMatchObject({ type: 'charge', amount, fee, net: amount - fee, currency, status: 'pending' });
    // Expanding answers a copy: the stored objects still hold ids.
    const plain = await stripe.checkout.sessions.retrieve(session.id);
    expect(plain.payment_intent).toBe(pi.id);
    expect((await stripe.paymentIntents.retrieve(pi.id)).latest_charge).toBe(charge.id);
    expect((await stripe.charges.retrieve(charge.id)).balance_transaction).toBe(bt.id);

    const types = (await deliveredEvents()).map((e) => e.type);
    expect(types).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
  });

  // A card number reaches the app nowhere, and a typo must be reported next to its field, accessibly.
  it('re-renders the form with field errors and never echoes the card number', async () => {
    const session = await createPaymentSession('usd', 500);
    const res = await submitCheckoutForm(session.url!, { card_number: '4242 4242 4242 4241', card_expiry: '13/20', card_cvc: '1' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('Your card number is invalid.');
    expect(html).toContain('aria-describedby="card_expiry-error"');
    expect(html).not.toContain('4241');
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  // A declined card must leave the session payable and emit only failure events, so the ledger posts nothing.
  it('declines 4000 0000 0000 0002, keeps the session open, and a retry with 4242 pays', async () => {
    const session = await createPaymentSession('usd', 2500);
    const res = await submitCheckoutForm(session.url!, { card_number: '4000 0000 0000 0002' });
    expect(res.status).toBe(402);
    expect(await res.text()).toContain('Your card was declined.');
    const open = await stripe.checkout.sessions.retrieve(session.id);
    expect(open.status).toBe('open');
    let types = (await deliveredEvents()).map((e) => e.type);
    expect(types).toContain('payment_intent.payment_failed');
    expect(types).not.toContain('charge.succeeded');
    expect(types).not.toContain('checkout.session.completed');

    expect((await submitCheckoutForm(session.url!, { card_number: '4242424242424242' })).status).toBe(303);
    const done = await stripe.checkout.sessions.retrieve(session.id);
    expect(done.payment_intent).toBe(open.payment_intent);
    types = (await deliveredEvents()).map((e) => e.type);
    expect(types.filter((t) => t === 'checkout.session.completed')).toHaveLength(1);
  });
});

describe('webhooks', () => {
  // The app verifies with the SDK: every delivery must pass constructEvent and a tampered body must fail.
  it('signs every delivery as Stripe does', async () => {
    const session = await createPaymentSession('usd', 1000);
    emu.controls.payCheckoutSession(session.id, '4242 4242 4242 4242');
    const events = await deliveredEvents();
    expect(events.length).toBe(4);
    for (const e of events) {
      expect(e).toMatchObject({ object: 'event', api_version: Stripe.API_VERSION, livemode: false, pending_webhooks: 1 });
    }
    const completed = events.find((e) => e.type === 'checkout.session.completed') as Stripe.CheckoutSessionCompletedEvent;
    expect(completed.data.object.id).toBe(session.id);
    const first = receiver.received[0]!;
    const tampered = first.body.replace('"livemode": false', '"livemode": true');
    expect(() => stripe.webhooks.constructEvent(tampered, first.signature, SECRET)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => stripe.webhooks.constructEvent(first.body, first.signature, 'whsec_wrong')).toThrow();
  });

  // Stripe may deliver an event more than once and in any order; the app's inbox must cope with both.
  it('delivers each event N times in shuffled order when asked', async () => {
    emu.controls.setDelivery({ times: 3, shuffle: true });
    const session = await createPaymentSession('usd', 1000);
    emu.controls.payCheckoutSession(session.id);
    const events = await deliveredEvents();
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    expect(counts.size).toBe(4);
    expect([...counts.values()]).toEqual([3, 3, 3, 3]);
  });

  // An endpoint that is down or failing must still get every event once it recovers.
  it('retries with back-off while the endpoint answers 500, then succeeds', async () => {
    receiver.script([500, 503]);
    const customer = await stripe.customers.create({ email: 'ada@example.org' });
    await emu.controls.flush();
    const log = emu.controls.deliveries.filter((d) => d.eventId !== undefined);
    expect(log.map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [1, 500, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    const event = stripe.webhooks.constructEvent(receiver.received[2]!.body, receiver.received[2]!.signature, SECRET);
    expect((event.data.object as Stripe.Customer).id).toBe(customer.id);
  });

  // Retries are bounded: a dead endpoint must not keep the emulator busy forever.
  it('gives up after maxAttempts', async () => {
    receiver.script([500, 500, 500, 500, 500]);
    await stripe.customers.create({ email: 'ada@example.org' });
    await emu.controls.flush();
    expect(emu.controls.deliveries).toHaveLength(4);
    expect(emu.controls.deliveries.at(-1)).toMatchObject({ gaveUp: true, ok: false });
  });
});

describe('disputes', () => {
  // 0259 payments are disputed on their own; a won dispute must reinstate both amount and fee.
  it('opens a dispute for 4000 0000 0000 0259 and closes it as won', async () => {
    const session = await createPaymentSession('usd', 2500);
    emu.controls.payCheckoutSession(session.id, '4000 0000 0000 0259');
    let disputeEvent: Stripe.Event | undefined;
    for (let i = 0; i < 50 && !disputeEvent; i++) {
      await new Promise((r) => setTimeout(r, 20));
      disputeEvent = (await stripe.events.list({ type: 'charge.dispute.created' })).data[0];
    }
    const dispute = disputeEvent!.data.object as Stripe.Dispute;
    expect(dispute).toMatchObject({ amount: 2500, status: 'needs_response', reason: 'fraudulent' });
    const withdrawal = dispute.balance_transactions[0]!;
    expect(withdrawal).toMatchObject({ type: 'adjustment', amount: -2500, fee: 1500, net: -4000 });

    emu.controls.closeDispute(dispute.id, 'won');
    const won = await stripe.disputes.retrieve(dispute.id);
    expect(won.status).toBe('won');
    expect(won.balance_transactions[1]).toMatchObject({ type: 'adjustment', amount: 2500, fee: -1500, net: 4000 });
    const types = (await deliveredEvents()).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['charge.dispute.created', 'charge.dispute.funds_reinstated', 'charge.dispute.closed']));
  });

  // Stripe does not return the dispute fee on every win: told so (here over HTTP), the reinstating
  // adjustment brings back the amount alone.
  it('closes a dispute as won keeping the dispute fee when told to', async () => {
    const session = await createPaymentSession('usd', 3000);
    const paid = emu.controls.payCheckoutSession(session.id);
    const pi = await stripe.paymentIntents.retrieve(String(paid.payment_intent));
    const dispute = emu.controls.disputeCharge(String(pi.latest_charge));
    const res = await fetch(`${emu.url}/_emulator/disputes/${dispute.id}/close`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'won', feeReturned: false }) });
    expect(res.status).toBe(200);
    const won = await stripe.disputes.retrieve(dispute.id);
    expect(won.balance_transactions.map((bt) => [bt.type, bt.amount, bt.fee, bt.net])).toEqual([
      ['adjustment', -3000, 1500, -4500],
      ['adjustment', 3000, 0, 3000],
    ]);
  });

  // A lost dispute keeps the withdrawal: no reinstating balance transaction may appear.
  it('closes a dispute opened by the control as lost without moving money back', async () => {
    const session = await createPaymentSession('eur', 4000);
    const paid = emu.controls.payCheckoutSession(session.id);
    const pi = await stripe.paymentIntents.retrieve(String(paid.payment_intent));
    const dispute = emu.controls.disputeCharge(String(pi.latest_charge));
    emu.controls.closeDispute(dispute.id, 'lost');
    const lost = await stripe.disputes.retrieve(dispute.id);
    expect(lost.status).toBe('lost');
    expect(lost.balance_transactions).toHaveLength(1);
    const adjustments = await stripe.balanceTransactions.list({ type: 'adjustment' });
    expect(adjustments.data).toHaveLength(1);
    const closed = (await deliveredEvents()).filter((e) => e.type === 'charge.dispute.closed');
    expect((closed[0]!.data.object as Stripe.Dispute).status).toBe('lost');
  });

  // Answering with evidence, as in Stripe's Dashboard: staged first (submit=false), then submitted,
  // which puts the dispute under review; Stripe refuses evidence once it is submitted.
  it('takes evidence for a dispute, staged then submitted, and refuses more after that', async () => {
    const session = await createPaymentSession('usd', 2200);
    const paid = emu.controls.payCheckoutSession(session.id);
    const pi = await stripe.paymentIntents.retrieve(String(paid.payment_intent));
    const dispute = emu.controls.disputeCharge(String(pi.latest_charge));
    await expect(stripe.disputes.update(dispute.id, { evidence: { no_such_field: 'x' } as Stripe.DisputeUpdateParams.Evidence })).rejects.toMatchObject({ code: 'parameter_unknown' });
    const staged = await stripe.disputes.update(dispute.id, { evidence: { customer_name: 'A. Member' }, submit: false });
    expect(staged).toMatchObject({ status: 'needs_response', evidence: { customer_name: 'A. Member' }, evidence_details: { has_evidence: true, submission_count: 0 } });
    const submitted = await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'Pledge card signed by the member.' } });
    expect(submitted).toMatchObject({ status: 'under_review', evidence: { customer_name: 'A. Member', uncategorized_text: 'Pledge card signed by the member.' }, evidence_details: { submission_count: 1 } });
    await expect(stripe.disputes.update(dispute.id, { evidence: { customer_name: 'Someone else' } })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', message: expect.stringContaining('under_review') });
    const updates = (await deliveredEvents()).filter((e) => e.type === 'charge.dispute.updated' && (e.data.object as Stripe.Dispute).id === dispute.id);
    expect(updates.map((e) => (e.data.object as Stripe.Dispute).status)).toEqual(['needs_response', 'under_review']);
  });

  // 1976 payments are questioned (an inquiry): nothing is withdrawn and a refund is still allowed,
  // until the inquiry is escalated (here over HTTP) into a chargeback, which withdraws then.
  it('opens an inquiry for 4000 0000 0000 1976 that withdraws only once escalated', async () => {
    const session = await createPaymentSession('usd', 2000);
    emu.controls.payCheckoutSession(session.id, '4000 0000 0000 1976');
    let created: Stripe.Event | undefined;
    for (let i = 0; i < 50 && !created; i++) {
      await new Promise((r) => setTimeout(r, 20));
      created = (await stripe.events.list({ type: 'charge.dispute.created' })).data[0];
    }
    const inquiry = created!.data.object as Stripe.Dispute;
    expect(inquiry).toMatchObject({ status: 'warning_needs_response', balance_transactions: [], is_charge_refundable: true });
    expect((await stripe.refunds.create({ charge: String(inquiry.charge), amount: 100 })).status).toBe('succeeded');

    const control = (path: string, body: unknown = {}) => fetch(`${emu.url}/_emulator/disputes/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await control(`${inquiry.id}/close`, { status: 'won' })).status).toBe(400);
    const escalated = (await (await control(`${inquiry.id}/escalate`)).json()) as Stripe.Dispute;
    expect(escalated).toMatchObject({ status: 'needs_response', is_charge_refundable: false });
    expect(escalated.balance_transactions.map((bt) => [bt.type, bt.amount, bt.fee])).toEqual([['adjustment', -2000, 1500]]);
    expect((await control(`${inquiry.id}/escalate`)).status).toBe(400);
    await expect(stripe.refunds.create({ charge: String(inquiry.charge), amount: 100 })).rejects.toMatchObject({ code: 'charge_disputed' });
    expect((await control(`${inquiry.id}/close`, { status: 'warning_closed' })).status).toBe(400);
    const types = (await deliveredEvents()).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn']));
  });

  // Refunded in full during its inquiry, a payment has nothing left to withdraw; an inquiry that
  // closed does not stop the bank charging the payment back later.
  it('refuses to escalate an inquiry of a fully refunded payment, and allows a chargeback after a closed one', async () => {
    const chargeOf = async (amount: number) => {
      const paid = emu.controls.payCheckoutSession((await createPaymentSession('usd', amount)).id);
      return String((await stripe.paymentIntents.retrieve(String(paid.payment_intent))).latest_charge);
    };
    const refunded = await chargeOf(1400);
    const inquiry = emu.controls.disputeCharge(refunded, { inquiry: true });
    await stripe.refunds.create({ charge: refunded });
    expect(() => emu.controls.escalateInquiry(inquiry.id)).toThrow(/fully refunded/);

    const questioned = await chargeOf(1600);
    const closed = emu.controls.disputeCharge(questioned, { inquiry: true });
    emu.controls.closeDispute(closed.id, 'warning_closed');
    const chargeback = emu.controls.disputeCharge(questioned);
    expect(chargeback).toMatchObject({ status: 'needs_response', amount: 1600 });
    expect(() => emu.controls.disputeCharge(questioned)).toThrow(/already disputed/);
  });
});

describe('refunds', () => {
  // Treasurers refund in parts; each part is its own negative balance transaction and the charge tracks the total.
  it('refunds partially by payment_intent, then the rest by charge, then refuses more', async () => {
    const session = await createPaymentSession('usd', 2500);
    const pi = String(emu.controls.payCheckoutSession(session.id).payment_intent);
    const part = await stripe.refunds.create({ payment_intent: pi, amount: 1000, metadata: { reason_note: 'duplicate gift' } });
    expect(part).toMatchObject({ amount: 1000, status: 'succeeded', metadata: { reason_note: 'duplicate gift' } });
    const chargeId = String(part.charge);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 1000, refunded: false });

    const rest = await stripe.refunds.create({ charge: chargeId });
    expect(rest.amount).toBe(1500);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 2500, refunded: true });
    const bt = await stripe.balanceTransactions.retrieve(String(rest.balance_transaction));
    expect(bt).toMatchObject({ type: 'refund', amount: -1500, fee: 0, net: -1500 });

    await expect(stripe.refunds.create({ charge: chargeId, amount: 1 })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'charge_already_refunded',
    });
    const types = (await deliveredEvents()).map((e) => e.type);
    expect(types.filter((t) => t === 'charge.refunded')).toHaveLength(2);
    expect(types.filter((t) => t === 'refund.created')).toHaveLength(2);
  });
});

describe('refunds that fail', () => {
  // Stripe's 4000 0000 0000 5126: a card refund says succeeded, then the bank sends it back. The
  // money is in the balance again and the charge is refundable again.
  it('fails a succeeded refund: refund_failure back in the balance, the charge refundable again, refund.updated then refund.failed', async () => {
    const session = await createPaymentSession('usd', 2500);
    const pi = String(emu.controls.payCheckoutSession(session.id).payment_intent);
    const refund = await stripe.refunds.create({ payment_intent: pi, amount: 1000 });
    const chargeId = String(refund.charge);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 1000 });
    const available = async () => (await stripe.balance.retrieve()).available.find((b) => b.currency === 'usd')!.amount;
    const before = await available();

    emu.controls.failRefund(refund.id);
    const failed = await stripe.refunds.retrieve(refund.id, { expand: ['failure_balance_transaction'] });
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card', failure_balance_transaction: { type: 'refund_failure', amount: 1000, fee: 0, net: 1000, source: refund.id } });
    expect(await available()).toBe(before + 1000);
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({ amount_refunded: 0, refunded: false });
    // Refundable again, all of it.
    expect((await stripe.refunds.create({ charge: chargeId })).amount).toBe(2500);

    const events = (await deliveredEvents()).filter((e) => (e.data.object as { id?: string }).id === refund.id);
    expect(events.map((e) => e.type)).toEqual(['refund.created', 'refund.updated', 'refund.failed']);
    expect(events[1]!.data.previous_attributes).toMatchObject({ status: 'succeeded' });
    expect(() => emu.controls.failRefund(refund.id)).toThrow(/only a pending or succeeded refund can fail/);
  });

  it('fails a refund over HTTP with the reason asked for, and refuses an unknown reason', async () => {
    const session = await createPaymentSession('usd', 1200);
    const pi = String(emu.controls.payCheckoutSession(session.id).payment_intent);
    const refund = await stripe.refunds.create({ payment_intent: pi });
    const control = (body: object) => fetch(`${emu.url}/_emulator/refunds/${refund.id}/fail`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await control({ reason: 'stolen' })).status).toBe(400);
    const res = await control({ reason: 'lost_or_stolen_card' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: refund.id, status: 'failed', failure_reason: 'lost_or_stolen_card' });
  });
});

describe('subscriptions and test clocks', () => {
  // Monthly giving: each month must produce a paid invoice carrying the subscription's metadata, and a charge.
  it('renews three times when the clock is advanced three months', async () => {
    const start = Math.floor(Date.UTC(2026, 0, 31, 12) / 1000);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ email: 'monthly@example.org', test_clock: clock.id });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price_data: { currency: 'usd', unit_amount: 1000, recurring: { interval: 'month' }, product_data: { name: 'Monthly' } }, quantity: 1 }],
      subscription_data: { metadata: { appeal: 'strike-fund' } },
      success_url: 'https://give.example.org/thanks',
    });
    expect((await submitCheckoutForm(session.url!, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
    const completed = await stripe.checkout.sessions.retrieve(session.id);
    let sub = await stripe.subscriptions.retrieve(String(completed.subscription));
    expect(sub).toMatchObject({ status: 'active', metadata: { appeal: 'strike-fund' }, test_clock: clock.id });

    for (let month = 0; month < 3; month++) {
      const end = sub.items.data[0]!.current_period_end;
      const advanced = await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: end + 60 });
      expect(advanced.status).toBe('ready');
      sub = await stripe.subscriptions.retrieve(sub.id);
    }
    expect(new Date(sub.items.data[0]!.current_period_start * 1000).toISOString()).toBe('2026-04-30T12:00:00.000Z');
    const invoices = await stripe.invoices.list({ subscription: sub.id });
    expect(invoices.data).toHaveLength(4);
    for (const invoice of invoices.data) {
      expect(invoice).toMatchObject({ status: 'paid', amount_paid: 1000 });
      expect(invoice.parent?.subscription_details).toMatchObject({ subscription: sub.id, metadata: { appeal: 'strike-fund' } });
    }
    const withPayments = await stripe.invoices.retrieve(invoices.data[0]!.id, { expand: ['payments'] });
    expect(withPayments.payments?.data[0]?.payment.payment_intent).toMatch(/^pi_/);
    // The app reads when a gift is charged next from a paid invoice's subscription line, as Stripe
    // shapes it: billed in advance, the line covers the period from this charge to the next, whose
    // end is the subscription's current_period_end once it is the newest invoice (clamped to month
    // ends from the 31st). The invoice's own period looks back: on a renewal, the period just past.
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const periods = ['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31'].map((d) => `${d}T12:00:00.000Z`);
    const expected = [3, 2, 1, 0].map((i) => ({ start: periods[i], end: periods[i + 1] }));
    expect(invoices.data.map((i) => i.lines.data.map((l) => ({ start: iso(l.period.start), end: iso(l.period.end) })))).toEqual(expected.map((p) => [p]));
    for (const invoice of invoices.data) expect(invoice.lines.data[0]!.parent).toMatchObject({ type: 'subscription_item_details', subscription_item_details: { proration: false, subscription: sub.id } });
    expect(iso(sub.items.data[0]!.current_period_end)).toBe(periods[4]);
    expect([invoices.data[0]!.period_start, invoices.data[0]!.period_end].map(iso)).toEqual([periods[2], periods[3]]);
    const events = await deliveredEvents();
    const paidLines = events.filter((e) => e.type === 'invoice.paid').map((e) => (e.data.object as Stripe.Invoice).lines.data.map((l) => iso(l.period.end)));
    expect(paidLines).toEqual(periods.slice(1).map((end) => [end]));
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'invoice.paid')).toHaveLength(4);
    const at = (t: Stripe.Event.Type) => types.indexOf(t);
    expect(at('customer.subscription.created')).toBeLessThan(at('invoice.paid'));
    expect(at('invoice.paid')).toBeLessThan(at('invoice.payment_succeeded'));
    expect(at('invoice.payment_succeeded')).toBeLessThan(at('checkout.session.completed'));
    expect((await stripe.balanceTransactions.list({ type: 'charge' })).data).toHaveLength(4);
  });

  // Stripe refuses to skip more than two billing periods at once; tests written here must also work there.
  it('refuses to advance a clock more than two intervals', async () => {
    const start = Math.floor(Date.UTC(2026, 2, 1) / 1000);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price_data: { currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'M' } }, quantity: 1 }],
    });
    emu.controls.payCheckoutSession(session.id);
    await expect(
      stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: start + 100 * 86_400 }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  // Cancelling at period end must stop renewals at that boundary and emit customer.subscription.deleted.
  it('cancels at period end when the clock passes it', async () => {
    const start = Math.floor(Date.UTC(2026, 5, 1) / 1000);
    const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
    const customer = await stripe.customers.create({ test_clock: clock.id });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      line_items: [{ price_data: { currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'M' } }, quantity: 1 }],
    });
    const subId = String(emu.controls.payCheckoutSession(session.id).subscription);
    const updated = await stripe.subscriptions.update(subId, { cancel_at_period_end: true });
    expect(updated.cancel_at).toBe(updated.items.data[0]!.current_period_end);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: updated.items.data[0]!.current_period_end + 10 });
    expect((await stripe.subscriptions.retrieve(subId)).status).toBe('canceled');
    expect((await stripe.invoices.list({ subscription: subId })).data).toHaveLength(1);
  });
});

describe('subscription cancellation', () => {
  // A member who stops monthly giving is cancelled at once; the app learns it from customer.subscription.deleted.
  it('cancels immediately with DELETE', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'leaving@example.org',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 500, recurring: { interval: 'month' }, product_data: { name: 'M' } }, quantity: 1 }],
    });
    const subId = String(emu.controls.payCheckoutSession(session.id).subscription);
    const canceled = await stripe.subscriptions.cancel(subId);
    expect(canceled).toMatchObject({ id: subId, status: 'canceled' });
    expect(canceled.ended_at).not.toBeNull();
    expect((await stripe.customers.retrieve(String(canceled.customer))) as Stripe.Customer).toMatchObject({ email: 'leaving@example.org' });
    const types = (await deliveredEvents()).map((e) => e.type);
    expect(types.at(-1)).toBe('customer.subscription.deleted');
  });
});

describe('balance and payouts', () => {
  // Reconciliation matches payouts to the balance transactions they paid; insufficient funds must be refused.
  it('moves funds to available, refuses an oversized payout, pays one that fits', async () => {
    const session = await createPaymentSession('usd', 2500);
    emu.controls.payCheckoutSession(session.id);
    expect((await stripe.balance.retrieve()).pending.find((b) => b.currency === 'usd')?.amount).toBe(2397);
    await expect(stripe.payouts.create({ amount: 100, currency: 'usd' })).rejects.toMatchObject({ code: 'balance_insufficient' });

    emu.controls.makeFundsAvailable();
    expect((await stripe.balance.retrieve()).available.find((b) => b.currency === 'usd')?.amount).toBe(2397);
    const payout = await stripe.payouts.create({ amount: 2397, currency: 'usd' });
    expect(payout.status).toBe('pending');
    const paidOut = await stripe.balanceTransactions.list({ payout: payout.id });
    expect(paidOut.data.map((t) => [t.type, t.amount]).sort()).toEqual([['charge', 2500], ['payout', -2397]]);
    emu.controls.payPayouts();
    expect((await stripe.payouts.retrieve(payout.id)).status).toBe('paid');
    const types = (await deliveredEvents()).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['balance.available', 'payout.created', 'payout.paid']));
  });

  // Lists must paginate like Stripe's so the reconciliation job's auto-pagination terminates.
  it('paginates balance transactions newest first with starting_after and created[gte]', async () => {
    for (const amount of [1000, 2000, 3000]) emu.controls.payCheckoutSession((await createPaymentSession('usd', amount)).id);
    const page1 = await stripe.balanceTransactions.list({ limit: 2 });
    expect(page1).toMatchObject({ object: 'list', has_more: true, url: '/v1/balance_transactions' });
    expect(page1.data.map((t) => t.amount)).toEqual([3000, 2000]);
    const page2 = await stripe.balanceTransactions.list({ limit: 2, starting_after: page1.data[1]!.id });
    expect(page2.data.map((t) => t.amount)).toEqual([1000]);
    expect(page2.has_more).toBe(false);
    const all: number[] = [];
    for await (const t of stripe.balanceTransactions.list({ limit: 1, created: { gte: page1.data[0]!.created - 5 } })) all.push(t.amount);
    expect(all).toEqual([3000, 2000, 1000]);
  });

  // A filter and a cursor together: pages hold only matching objects, both ways, and has_more
  // says whether another matching one follows, not whether the store has more of any kind.
  it('paginates a filtered list forwards and backwards', async () => {
    for (const [currency, amount] of [['usd', 1000], ['eur', 2000], ['usd', 3000], ['eur', 4000], ['usd', 5000], ['eur', 6000]] as const) {
      emu.controls.payCheckoutSession((await createPaymentSession(currency, amount)).id);
    }
    const usd = async (params: Stripe.BalanceTransactionListParams) => {
      const page = await stripe.balanceTransactions.list({ currency: 'usd', ...params });
      return { amounts: page.data.map((t) => t.amount), more: page.has_more, ids: page.data.map((t) => t.id) };
    };
    const first = await usd({ limit: 2 });
    expect(first).toMatchObject({ amounts: [5000, 3000], more: true });
    expect(await usd({ limit: 2, starting_after: first.ids[1]! })).toMatchObject({ amounts: [1000], more: false });
    expect(await usd({ limit: 3 })).toMatchObject({ amounts: [5000, 3000, 1000], more: false });
    const last = (await usd({ limit: 3 })).ids[2]!;
    expect(await usd({ limit: 1, ending_before: last })).toMatchObject({ amounts: [3000], more: true });
    expect(await usd({ limit: 2, ending_before: last })).toMatchObject({ amounts: [5000, 3000], more: false });
  });
});

describe('API contract', () => {
  // The SDK retries with the same Idempotency-Key; a replay must not create a second session.
  it('replays the same response for the same key and refuses the key with other parameters', async () => {
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 700, product_data: { name: 'Brick' } }, quantity: 1 }],
      success_url: 'https://give.example.org/thanks',
    };
    const a = await stripe.checkout.sessions.create(params, { idempotencyKey: 'appeal-1-donation-7' });
    const b = await stripe.checkout.sessions.create(params, { idempotencyKey: 'appeal-1-donation-7' });
    expect(b.id).toBe(a.id);
    expect((await stripe.checkout.sessions.list()).data).toHaveLength(1);
    const other = { ...params, line_items: [{ ...params.line_items![0]!, quantity: 2 }] };
    await expect(stripe.checkout.sessions.create(other, { idempotencyKey: 'appeal-1-donation-7' })).rejects.toBeInstanceOf(
      Stripe.errors.StripeIdempotencyError,
    );
  });

  // A wrong or missing key must fail like Stripe's 401, which the SDK maps to StripeAuthenticationError.
  it('rejects missing and invalid API keys with 401', async () => {
    const bad = new Stripe('sk_live_not_for_the_emulator', { ...emu.clientOptions, maxNetworkRetries: 0 });
    await expect(bad.balance.retrieve()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const res = await fetch(`${emu.url}/v1/balance`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
  });

  // The app tells "not found" apart from other failures by the SDK error class and code.
  it('answers unknown ids with 404 resource_missing', async () => {
    const err = await stripe.checkout.sessions.retrieve('cs_test_nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' });
    await expect(stripe.charges.retrieve('ch_nope')).rejects.toMatchObject({ code: 'resource_missing' });
  });

  // Bad parameters must name the exact bracket path, as Stripe does, so integration bugs are obvious.
  it('reports missing and non-integer parameters by their full path', async () => {
    const bad = {
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 'ten' as unknown as number, product_data: { name: 'x' } }, quantity: 1 }],
    } satisfies Stripe.Checkout.SessionCreateParams;
    await expect(stripe.checkout.sessions.create(bad)).rejects.toMatchObject({
      code: 'parameter_invalid_integer',
      param: 'line_items[0][price_data][unit_amount]',
    });
    await expect(stripe.checkout.sessions.create({ mode: 'payment' })).rejects.toMatchObject({ code: 'parameter_missing', param: 'line_items' });
    await expect(
      stripe.checkout.sessions.create({ ...bad, bogus: 1 } as unknown as Stripe.Checkout.SessionCreateParams),
    ).rejects.toMatchObject({ code: 'parameter_unknown' });
  });

  // Expired sessions must stop accepting payment, both by API and on the hosted page.
  it('expires an open session', async () => {
    const session = await createPaymentSession('usd', 500);
    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    const res = await submitCheckoutForm(session.url!, { card_number: '4242424242424242' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('expired');
  });

  // Stripe: "A Checkout Session can be expired when it is in one of these statuses: open", and then
  // sends checkout.session.expired (docs.stripe.com/api/checkout/sessions/expire). Stripe publishes
  // no wording for the refusal; the message and code are the emulator's own.
  it('sends checkout.session.expired, and refuses to expire a session that is not open', async () => {
    const session = await createPaymentSession('usd', 700);
    await stripe.checkout.sessions.expire(session.id);
    const events = (await stripe.events.list({ type: 'checkout.session.expired', limit: 100 })).data;
    expect(events.filter((e) => (e.data.object as Stripe.Checkout.Session).id === session.id)).toEqual([
      expect.objectContaining({ data: { object: expect.objectContaining({ id: session.id, status: 'expired' }) } }),
    ]);
    const notOpen = { type: 'StripeInvalidRequestError', statusCode: 400, code: 'checkout_session_not_open' };
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject(notOpen);
    const paid = await createPaymentSession('usd', 800);
    emu.controls.payCheckoutSession(paid.id);
    await expect(stripe.checkout.sessions.expire(paid.id)).rejects.toMatchObject(notOpen);
    expect((await stripe.checkout.sessions.retrieve(paid.id)).status).toBe('complete');
  });

  // A separate process (e2e, demo) drives the emulator through HTTP controls only.
  it('exposes the controls over HTTP', async () => {
    const session = await createPaymentSession('usd', 900);
    const post = (path: string, body?: unknown) =>
      fetch(`${emu.url}/_emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    const declined = await post(`checkout/sessions/${session.id}/pay`, { card: '4000 0000 0000 0002' });
    expect(declined.status).toBe(402);
    expect(((await declined.json()) as { error: { code: string } }).error.code).toBe('card_declined');
    const paid = await post(`checkout/sessions/${session.id}/pay`, { card: '4242 4242 4242 4242' });
    expect(((await paid.json()) as Stripe.Checkout.Session).status).toBe('complete');
    expect((await post('funds/available')).status).toBe(200);
    expect((await post('flush')).status).toBe(200);
    const log = (await (await fetch(`${emu.url}/_emulator/deliveries`)).json()) as { data: unknown[] };
    expect(log.data.length).toBeGreaterThan(0);
    expect((await post('delivery', { times: 0 })).status).toBe(400);
  });

  // Events are the audit trail the app can re-read: filter by type (with wildcard) and by time.
  it('lists events by type and creation time', async () => {
    const session = await createPaymentSession('usd', 1200);
    emu.controls.payCheckoutSession(session.id);
    const charges = await stripe.events.list({ type: 'charge.*' });
    expect(charges.data.map((e) => e.type)).toEqual(['charge.succeeded']);
    const recent = await stripe.events.list({ created: { gte: Math.floor(Date.now() / 1000) - 60 }, limit: 100 });
    expect(recent.data.map((e) => e.type)).toEqual(['checkout.session.completed', 'payment_intent.succeeded', 'charge.succeeded', 'payment_intent.created']);
    const one = await stripe.events.retrieve(recent.data[0]!.id);
    expect(one.type).toBe('checkout.session.completed');
  });
});
