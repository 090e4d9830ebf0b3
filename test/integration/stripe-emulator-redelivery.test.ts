import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeEmulator } from '../../server/stripe-emulator/index';
import { startReceiver, type Receiver } from '../../server/stripe-emulator/testing';
import { paidAndOwedInStateFile } from '../helpers/emulator-state';

// The demo's emulator saves its state a moment after a change, but delivered webhooks only from
// memory: a process killed after a paid session was saved and before its events reached the app
// lost them, and that gift stayed pending for good. Stripe retries an undelivered event for days;
// the emulator now keeps what it owes with its state and delivers it on the next start.

let dir: string;
let receiver: Receiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stripe-emulator-redelivery-'));
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const lineItems: Stripe.Checkout.SessionCreateParams.LineItem[] = [{ price_data: { currency: 'usd', unit_amount: 1300, product_data: { name: 'Brick' } }, quantity: 1 }];
const secret = 'whsec_redelivery';
const received = () => receiver.received.map((r) => JSON.parse(r.body) as Stripe.Event);

describe('webhook events the emulator owed when it stopped', () => {
  it('are delivered on the next start, once, and not again on the start after', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startStripeEmulator({ stateFile, disputeAfterMs: null, webhook: { url: receiver.url, secret } });
    first.controls.pause();
    const session = await first.client().checkout.sessions.create({ mode: 'payment', line_items: lineItems, success_url: 'https://example.org/ok' });
    first.controls.payCheckoutSession(session.id);
    await paidAndOwedInStateFile(stateFile, session.id);
    // Killed here: the state file as saved, the delivery queue gone with the process.
    const killedFile = join(dir, 'killed.json');
    await copyFile(stateFile, killedFile);
    await first.close();
    receiver.reset();

    const second = await startStripeEmulator({ stateFile: killedFile, disputeAfterMs: null, webhook: { url: receiver.url, secret } });
    try {
      await second.controls.flush();
      const completed = received().filter((e) => e.type === 'checkout.session.completed');
      expect(completed.map((e) => (e.data.object as Stripe.Checkout.Session).id)).toEqual([session.id]);
      expect(received().map((e) => e.type)).toContain('charge.succeeded');
      // Signed for the endpoint, as any delivery is.
      expect(receiver.received[0]!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    } finally {
      await second.close();
    }

    receiver.reset();
    const third = await startStripeEmulator({ stateFile: killedFile, disputeAfterMs: null, webhook: { url: receiver.url, secret } });
    try {
      await third.controls.flush();
      expect(received()).toEqual([]);
    } finally {
      await third.close();
    }
  });

  it('are not owed again once given up on, as Stripe stops after its last attempt', async () => {
    const stateFile = join(dir, 'refused.json');
    const first = await startStripeEmulator({ stateFile, disputeAfterMs: null, webhook: { url: receiver.url, secret, maxAttempts: 1 } });
    let refusedSession: string;
    let owedSession: string;
    try {
      receiver.reset();
      receiver.script(Array(50).fill(500));
      const refused = await first.client().checkout.sessions.create({ mode: 'payment', line_items: lineItems, success_url: 'https://example.org/ok' });
      first.controls.payCheckoutSession(refused.id);
      await first.controls.flush();
      expect(first.controls.deliveries.filter((d) => d.gaveUp).map((d) => d.type)).toContain('checkout.session.completed');
      receiver.script([]);
      first.controls.pause();
      const owed = await first.client().checkout.sessions.create({ mode: 'payment', line_items: lineItems, success_url: 'https://example.org/ok' });
      first.controls.payCheckoutSession(owed.id);
      refusedSession = refused.id;
      owedSession = owed.id;
    } finally {
      await first.close();
    }

    receiver.reset();
    const second = await startStripeEmulator({ stateFile, disputeAfterMs: null, webhook: { url: receiver.url, secret } });
    try {
      await second.controls.flush();
      const completed = received().filter((e) => e.type === 'checkout.session.completed');
      expect(completed.map((e) => (e.data.object as Stripe.Checkout.Session).id)).toEqual([owedSession]);
      expect(refusedSession).not.toBe(owedSession);
    } finally {
      await second.close();
    }
  });
});
