import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import type { Receiver } from '../../server/stripe-emulator/testing';
import { paidSubscriptionOnClock, useEmulatorWithReceiver } from '../helpers/emulator-receiver';

// Stripe makes a renewal's invoice as a draft at the period's end and finalizes and charges it
// about an hour later (docs.stripe.com/invoicing/integration/automatic-advancement-collection). A
// pause set in that hour does not stop it (docs.stripe.com/billing/subscriptions/pause-payment:
// "invoices created before you pause subscriptions continue to be retried unless you void them");
// finalizing it with auto_advance=false and voiding it does. An emulator that charged at once hid
// the hour in which a donor who paused was charged anyway.

const SECRET = 'whsec_emulator_renewal_draft';
const HOUR = 3600;
let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;
const deliveredEvents = useEmulatorWithReceiver(SECRET, (started) => ({ emu, stripe, receiver } = started));
afterEach(() => emu.controls.setRenewalDraftSeconds(0));

const at = (month: number, day: number, hour = 12) => Math.floor(Date.UTC(2026, month - 1, day, hour) / 1000);
const APRIL = at(4, 5);

/** A paid ¥3,000 monthly subscription from 5 March 2026, renewals kept as drafts for an hour; what was said so far forgotten. */
async function subscriptionWithDraftHour() {
  const paid = await paidSubscriptionOnClock(stripe, 'draft@example.org');
  emu.controls.setRenewalDraftSeconds(HOUR);
  await deliveredEvents();
  receiver.reset();
  return paid;
}
const latestInvoice = async (subId: string) => stripe.invoices.retrieve(String((await stripe.subscriptions.retrieve(subId)).latest_invoice));
const chargesOf = async (customer: string) => (await stripe.charges.list({ customer })).data;
const said = async () => (await deliveredEvents()).map((e) => [e.type, e.created]);

describe('a renewal kept as a draft for an hour', () => {
  it('is a draft for the hour, then finalized and charged, with its events in Stripe\'s order', async () => {
    const { clock, sub, customer } = await subscriptionWithDraftHour();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    const draft = await latestInvoice(sub.id);
    expect(draft).toMatchObject({ billing_reason: 'subscription_cycle', status: 'draft', auto_advance: true, automatically_finalizes_at: APRIL + HOUR, amount_paid: 0 });
    expect((await stripe.invoices.list({ subscription: sub.id, status: 'draft' })).data.map((i) => i.id)).toEqual([draft.id]);
    expect(await chargesOf(customer)).toHaveLength(1);
    expect(await said()).toEqual([
      ['test_helpers.test_clock.advancing', at(3, 5)],
      ['invoice.created', APRIL],
      ['customer.subscription.updated', APRIL],
      ['test_helpers.test_clock.ready', APRIL + 60],
    ]);
    receiver.reset();

    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + HOUR + 60 });
    expect(await latestInvoice(sub.id)).toMatchObject({ id: draft.id, status: 'paid', amount_paid: 3000, auto_advance: false, status_transitions: { finalized_at: APRIL + HOUR, paid_at: APRIL + HOUR } });
    expect(await chargesOf(customer)).toHaveLength(2);
    const types = (await said()).filter(([, created]) => created === APRIL + HOUR).map(([type]) => type);
    expect(types.filter((t) => String(t).startsWith('invoice.'))).toEqual(['invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']);
    expect(types).toContain('charge.succeeded');
  });

  it('is charged though collection was paused after it was made, as Stripe does', async () => {
    const { clock, sub, customer } = await subscriptionWithDraftHour();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void', resumes_at: at(5, 5) } });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + HOUR + 60 });
    expect(await latestInvoice(sub.id)).toMatchObject({ status: 'paid', amount_paid: 3000 });
    expect(await chargesOf(customer)).toHaveLength(2);
  });

  it('finalized without auto-advance and voided, charges nothing, then or later', async () => {
    const { clock, sub, customer } = await subscriptionWithDraftHour();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    const draft = await latestInvoice(sub.id);
    // The advance's own events delivered first: forgotten, not caught half-way by the reset.
    await deliveredEvents();
    receiver.reset();
    const open = await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false }, { idempotencyKey: 'stop-1:finalize' });
    expect(open).toMatchObject({ status: 'open', auto_advance: false, automatically_finalizes_at: null, attempt_count: 0, next_payment_attempt: null, status_transitions: { finalized_at: APRIL + 60 } });
    // The same request again answers the same, and finalizes nothing twice.
    expect((await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false }, { idempotencyKey: 'stop-1:finalize' })).lastResponse.headers['idempotent-replayed']).toBe('true');
    const voided = await stripe.invoices.voidInvoice(draft.id, {}, { idempotencyKey: 'stop-1:void' });
    expect(voided).toMatchObject({ status: 'void', amount_remaining: 0, amount_paid: 0, auto_advance: false, status_transitions: { voided_at: APRIL + 60 } });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 2 * HOUR });
    expect(await chargesOf(customer)).toHaveLength(1);
    const events = await deliveredEvents();
    expect(events.filter((e) => e.type.startsWith('invoice.')).map((e) => [e.type, (e.data.object as Stripe.Invoice).status, e.request?.idempotency_key])).toEqual([
      ['invoice.finalized', 'open', 'stop-1:finalize'],
      ['invoice.voided', 'void', 'stop-1:void'],
    ]);
    // The next period's renewal is made and charged as any.
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(5, 5) + HOUR + 60 });
    expect(await latestInvoice(sub.id)).toMatchObject({ status: 'paid', amount_paid: 3000, period_start: APRIL });
    expect(await chargesOf(customer)).toHaveLength(2);
  });

  // A renewal held for a change that then failed goes back to Stripe's collection.
  it('finalized without auto-advance, then given auto_advance again, is charged; a paid one cannot be changed', async () => {
    const { clock, sub, customer } = await subscriptionWithDraftHour();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    const draft = await latestInvoice(sub.id);
    await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
    expect(await chargesOf(customer)).toHaveLength(1);
    expect(await stripe.invoices.update(draft.id, { auto_advance: true }, { idempotencyKey: 'release-1' })).toMatchObject({ status: 'paid', amount_paid: 3000, attempt_count: 1 });
    expect(await chargesOf(customer)).toHaveLength(2);
    await expect(stripe.invoices.update(draft.id, { auto_advance: false })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'invoice_not_editable' });
  });

  // Canceling stops automatic collection of the subscription's *finalized* invoices
  // (docs.stripe.com/api/subscriptions/cancel); a renewal still a draft is not one of them, and is
  // finalized and charged when its hour is up. An emulator that forgot a canceled subscription's
  // drafts hid the charge a donor who ended her gift in that hour would get.
  it('is still finalized and charged when the subscription is canceled in its hour, unless held and voided', async () => {
    const { clock, sub, customer } = await subscriptionWithDraftHour();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    const draft = await latestInvoice(sub.id);
    expect(await stripe.subscriptions.cancel(sub.id)).toMatchObject({ status: 'canceled', ended_at: APRIL + 60 });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + HOUR + 60 });
    expect(await stripe.invoices.retrieve(draft.id)).toMatchObject({ status: 'paid', amount_paid: 3000, status_transitions: { finalized_at: APRIL + HOUR, paid_at: APRIL + HOUR } });
    expect(await chargesOf(customer)).toHaveLength(2);
    // Nothing more after it: the subscription is over, so no renewal is made at the next period's end.
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(5, 5) + 2 * HOUR });
    expect(await chargesOf(customer)).toHaveLength(2);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
  });

  it('held and voided around a cancel in its hour, charges nothing', async () => {
    const { clock, sub, customer } = await subscriptionWithDraftHour();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    const draft = await latestInvoice(sub.id);
    await stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false });
    await stripe.subscriptions.cancel(sub.id);
    expect(await stripe.invoices.voidInvoice(draft.id)).toMatchObject({ status: 'void', amount_paid: 0 });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 2 * HOUR });
    expect(await chargesOf(customer)).toHaveLength(1);
  });

  it('refuses a transition Stripe refuses, changing nothing', async () => {
    const { clock, sub } = await subscriptionWithDraftHour();
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    const draft = await latestInvoice(sub.id);
    const refused = async (call: Promise<unknown>, code: string) => {
      const err = await call.then(() => null, (e: unknown) => e);
      expect(err, code).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err, code).toMatchObject({ statusCode: 400, code });
    };
    // A draft is finalized before it can be voided; a subscription's draft cannot be deleted at all.
    await refused(stripe.invoices.voidInvoice(draft.id), 'invoice_not_editable');
    await refused(stripe.invoices.finalizeInvoice(draft.id, { auto_advance: 'maybe' as unknown as boolean }), 'parameter_invalid_boolean');
    await refused(stripe.invoices.finalizeInvoice(draft.id, { days_until_due: 3 } as Stripe.InvoiceFinalizeInvoiceParams), 'parameter_unknown');
    expect(await latestInvoice(sub.id)).toMatchObject({ status: 'draft', auto_advance: true });
    const missing = await stripe.invoices.voidInvoice('in_missing').then(() => null, (e: unknown) => e);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });

    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + HOUR + 60 });
    // Paid: it can be neither finalized again nor voided (a refund is what gives money back).
    await refused(stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false }), 'invoice_already_finalized');
    await refused(stripe.invoices.voidInvoice(draft.id), 'invoice_not_editable');
    expect(await latestInvoice(sub.id)).toMatchObject({ status: 'paid', amount_paid: 3000 });
  });

  it('is off by default and set through the control, whose bad input is a 400', async () => {
    const { clock, sub } = await paidSubscriptionOnClock(stripe, 'default@example.org');
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: APRIL + 60 });
    expect(await latestInvoice(sub.id)).toMatchObject({ status: 'paid', automatically_finalizes_at: null });
    const control = (body: unknown) => fetch(`${emu.url}/_emulator/renewal-draft`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(await (await control({ seconds: HOUR })).json()).toEqual({ renewalDraftSeconds: HOUR });
    for (const bad of [{ seconds: -1 }, { seconds: 1.5 }, { seconds: 73 * HOUR }, { seconds: '3600' }, {}]) expect((await control(bad)).status, JSON.stringify(bad)).toBe(400);
    expect(() => emu.controls.setRenewalDraftSeconds(-5)).toThrow(/renewalDraftSeconds/);
    await expect(startStripeEmulator({ renewalDraftSeconds: 0.5, logger: false })).rejects.toThrow(/renewalDraftSeconds/);
  });
});
