import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../server/stripe-emulator/index';
import type { Receiver } from '../../server/stripe-emulator/testing';
import { paidSubscriptionOnClock, useEmulatorWithReceiver } from '../helpers/emulator-receiver';

// A donor pauses a monthly gift: the app sets the subscription's pause_collection (behavior void,
// resumes_at). Stripe still renews each period while paused, but voids the invoice and charges
// nothing; at resumes_at it clears the pause and collects again. The emulator must do the same,
// or the app's tests of a pause would prove nothing about what Stripe charges.

const SECRET = 'whsec_emulator_pause_secret';
const HOUR = 3600;
let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;
const deliveredEvents = useEmulatorWithReceiver(SECRET, (started) => ({ emu, stripe, receiver } = started));

/** A paid ¥3,000 monthly subscription on its own test clock, from 5 March 2026 (renewing on the 5th). */
async function yenMonthlyOnClock() {
  const paid = await paidSubscriptionOnClock(stripe, 'pause@example.org');
  await deliveredEvents();
  receiver.reset();
  return paid;
}

const at = (month: number, day: number, hour = 12) => Math.floor(Date.UTC(2026, month - 1, day, hour) / 1000);
const renewals = async (subId: string) => (await stripe.invoices.list({ subscription: subId })).data.filter((i) => i.billing_reason === 'subscription_cycle').reverse();
const charges = async (customer: string) => (await stripe.charges.list({ customer })).data;

describe('pausing payment collection (behavior void)', () => {
  it('voids the renewals made before resumes_at, clears the pause then, and charges the next period', async () => {
    const { clock, sub, customer } = await yenMonthlyOnClock();
    const resumesAt = at(6, 5) - HOUR;
    const paused = await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void', resumes_at: resumesAt } }, { idempotencyKey: 'pause-1' });
    expect(paused).toMatchObject({ status: 'active', pause_collection: { behavior: 'void', resumes_at: resumesAt } });
    const [said] = (await deliveredEvents()).filter((e) => e.type === 'customer.subscription.updated');
    expect(said!.data.previous_attributes).toEqual({ pause_collection: null });
    receiver.reset();

    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(4, 5) + 60 });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(5, 5) + 60 });
    const voided = await renewals(sub.id);
    expect(voided.map((i) => [i.status, i.amount_paid, i.status_transitions.voided_at])).toEqual([
      ['void', 0, at(4, 5)],
      ['void', 0, at(5, 5)],
    ]);
    expect(await charges(customer)).toHaveLength(1);
    const types = (await deliveredEvents()).map((e) => e.type);
    expect(types.filter((t) => t === 'invoice.voided')).toHaveLength(2);
    expect(types).not.toContain('invoice.paid');
    expect(types).not.toContain('invoice.payment_failed');
    const stillPaused = await stripe.subscriptions.retrieve(sub.id);
    expect(stillPaused).toMatchObject({ status: 'active', pause_collection: { behavior: 'void', resumes_at: resumesAt } });
    expect(stillPaused.items.data[0]!.current_period_end).toBe(at(6, 5));
    receiver.reset();

    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(6, 5) + 60 });
    const updates = (await deliveredEvents()).filter((e) => e.type === 'customer.subscription.updated');
    expect(updates[0]!.created).toBe(resumesAt);
    expect(updates[0]!.data.previous_attributes).toEqual({ pause_collection: { behavior: 'void', resumes_at: resumesAt } });
    expect((updates[0]!.data.object as Stripe.Subscription).pause_collection).toBeNull();
    expect((await renewals(sub.id)).map((i) => [i.status, i.amount_paid])).toEqual([
      ['void', 0],
      ['void', 0],
      ['paid', 3000],
    ]);
    expect(await charges(customer)).toHaveLength(2);
  });

  it('resumes at once with pause_collection empty: the next renewal is charged', async () => {
    const { clock, sub } = await yenMonthlyOnClock();
    await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
    const resumed = await stripe.subscriptions.update(sub.id, { pause_collection: '' });
    expect(resumed.pause_collection).toBeNull();
    const updates = (await deliveredEvents()).filter((e) => e.type === 'customer.subscription.updated');
    expect(updates.map((e) => e.data.previous_attributes)).toEqual([{ pause_collection: null }, { pause_collection: { behavior: 'void', resumes_at: null } }]);
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(4, 5) + 60 });
    expect((await renewals(sub.id)).map((i) => [i.status, i.amount_paid])).toEqual([['paid', 3000]]);
  });

  it('a pause with no end voids every renewal until it is lifted', async () => {
    const { clock, sub, customer } = await yenMonthlyOnClock();
    await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(4, 5) + 60 });
    await stripe.testHelpers.testClocks.advance(clock, { frozen_time: at(5, 5) + 60 });
    expect((await renewals(sub.id)).map((i) => i.status)).toEqual(['void', 'void']);
    expect(await charges(customer)).toHaveLength(1);
  });

  it('refuses what it cannot do, naming the param, and changes nothing', async () => {
    const { sub } = await yenMonthlyOnClock();
    const refused = async (params: Stripe.SubscriptionUpdateParams, param: string) => {
      const err = await stripe.subscriptions.update(sub.id, params).then(() => null, (e: unknown) => e);
      expect(err, param).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(err, param).toMatchObject({ statusCode: 400, param });
    };
    await refused({ pause_collection: { behavior: 'keep_as_draft' } }, 'pause_collection[behavior]');
    await refused({ pause_collection: { behavior: 'void', resumes_at: at(3, 5) - 60 } }, 'pause_collection[resumes_at]');
    expect((await stripe.subscriptions.retrieve(sub.id)).pause_collection).toBeNull();
    expect((await deliveredEvents()).filter((e) => e.type === 'customer.subscription.updated')).toHaveLength(0);
  });
});
