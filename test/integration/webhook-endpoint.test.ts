import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers } from '../../server/payments/handlers/index';
import { ensureWebhookEndpoint, webhookUrl } from '../../server/payments/webhook-endpoint';
import { startStripeEmulator, type StripeEmulator } from '../../server/stripe-emulator/index';
import { startReceiver, type Receiver } from '../../server/stripe-emulator/testing';

// An operator's one step to connect Stripe: the endpoint with the events the poster handles and
// the API version it reads, made once, brought up to date after an upgrade, never duplicated.

let emu: StripeEmulator;
let stripe: Stripe;
let receiver: Receiver;
let publicUrl: string;

beforeAll(async () => {
  emu = await startStripeEmulator({ disputeAfterMs: null });
  stripe = emu.client();
  receiver = await startReceiver();
  publicUrl = new URL(receiver.url).origin;
});

afterAll(async () => {
  await emu?.close();
  await receiver?.close();
});

describe('the Stripe webhook endpoint', () => {
  it('is made with the events the poster handles and the API version the app reads, and delivers only those', async () => {
    const made = await ensureWebhookEndpoint(stripe, publicUrl);
    expect(made.outcome).toBe('created');
    if (made.outcome !== 'created') return;
    expect(made.endpoint).toMatchObject({ url: `${publicUrl}/api/stripe/webhook`, api_version: Stripe.API_VERSION });
    expect([...made.endpoint.enabled_events].sort()).toEqual(Object.keys(handlers).sort());
    expect(made.secret).toMatch(/^whsec_/);

    // A customer (not handled) and a paid checkout (handled): only the checkout's event arrives,
    // signed with the secret the operator was given.
    await stripe.customers.create({ email: 'ops@example.org' });
    const session = await stripe.checkout.sessions.create({ mode: 'payment', success_url: `${publicUrl}/ok`, line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Bricks' } } }] });
    emu.controls.payCheckoutSession(session.id);
    await emu.controls.flush();
    const delivered = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, made.secret).type);
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.every((type) => type in handlers)).toBe(true);
    expect(delivered).toContain('checkout.session.completed');
  });

  it('is left alone when it is up to date, and given the events a newer app handles', async () => {
    expect((await ensureWebhookEndpoint(stripe, publicUrl)).outcome).toBe('unchanged');
    const [endpoint] = (await stripe.webhookEndpoints.list()).data;
    const older = endpoint!.enabled_events.filter((e) => e !== 'payout.failed' && e !== 'charge.dispute.funds_withdrawn');
    await stripe.webhookEndpoints.update(endpoint!.id, { enabled_events: older as Stripe.WebhookEndpointUpdateParams.EnabledEvent[] });
    const upgraded = await ensureWebhookEndpoint(stripe, publicUrl);
    expect(upgraded).toMatchObject({ outcome: 'events_added', added: ['charge.dispute.funds_withdrawn', 'payout.failed'] });
    expect((await stripe.webhookEndpoints.list()).data).toHaveLength(1);
  });

  // Stripe cannot change an endpoint's API version: one made in the Dashboard with the account's
  // default is reported, not used; a later version of the app's release reads the same and is kept.
  it('reports an endpoint of another API version, and keeps one of a later version of ours', async () => {
    const made = async (apiVersion?: string) => {
      const other = await startReceiver();
      await other.close();
      const origin = new URL(other.url).origin;
      await stripe.webhookEndpoints.create({ url: webhookUrl(origin), enabled_events: ['*'], ...(apiVersion ? { api_version: apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion } : {}) });
      return ensureWebhookEndpoint(stripe, origin);
    };
    expect(await made()).toMatchObject({ outcome: 'wrong_api_version', added: [] });
    expect((await made(`2099-01-01.${Stripe.API_VERSION.split('.')[1]}`)).outcome).toBe('unchanged');
  });

  // Stripe disables an endpoint after days of failed deliveries: running the command again
  // enables it.
  it('enables again an endpoint Stripe disabled', async () => {
    const [endpoint] = (await stripe.webhookEndpoints.list()).data.filter((e) => e.url === webhookUrl(publicUrl));
    await stripe.webhookEndpoints.update(endpoint!.id, { disabled: true });
    expect(await ensureWebhookEndpoint(stripe, publicUrl)).toMatchObject({ outcome: 'unchanged', reenabled: true });
    expect((await stripe.webhookEndpoints.retrieve(endpoint!.id)).status).toBe('enabled');
  });

  it('is made by `npm run stripe:endpoint`, which checks its settings first', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn('npm', ['run', '--silent', 'stripe:endpoint'], { cwd: root, env: { ...process.env, STRIPE_SECRET_KEY: 'pk_live_nope', PUBLIC_URL: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('STRIPE_SECRET_KEY: must be a Stripe secret key');
    expect(run.stderr).toContain('PUBLIC_URL:');
  });
});
