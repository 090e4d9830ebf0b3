import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type Stripe from 'stripe';
import { ConfigError, type Config } from '../config';
import { loggerOptions } from '../logger';
import { startStripeEmulator, type StripeEmulator } from '../stripe-emulator/index';
import { createStripeClient, type StripeSetup } from './stripe-client';

/**
 * Real Stripe when a key is set; otherwise the emulator in this process, delivering its signed
 * webhooks to our own endpoint with a secret made up for this run.
 */
export async function setUpStripe(config: Config): Promise<{ stripe: StripeSetup; emulator?: StripeEmulator }> {
  if (config.stripeMode === 'stripe') {
    return { stripe: { client: createStripeClient({ secretKey: config.STRIPE_SECRET_KEY! }), webhookSecret: config.STRIPE_WEBHOOK_SECRET! } };
  }
  const webhookSecret = `whsec_emulator_${randomBytes(18).toString('hex')}`;
  const emulator = await startStripeEmulator({
    port: config.STRIPE_EMULATOR_PORT,
    webhook: { url: `http://127.0.0.1:${config.PORT}/api/stripe/webhook`, secret: webhookSecret },
    logger: pino({ ...loggerOptions(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL) }),
    stateFile: config.embedded ? join(resolve(config.DATA_DIR), 'stripe-emulator.json') : undefined,
  });
  const client = createStripeClient({ secretKey: 'sk_test_emulator', host: emulator.clientOptions });
  return { stripe: { client, webhookSecret }, emulator };
}

/**
 * Stripe for the worker, a process apart from the app (`npm run worker`): real Stripe with the key;
 * otherwise the emulator that the app process runs, over HTTP on its port.
 */
export function workerStripe(config: Config): Stripe {
  return config.stripeMode === 'stripe'
    ? createStripeClient({ secretKey: config.STRIPE_SECRET_KEY! })
    : createStripeClient({ secretKey: 'sk_test_emulator', host: { host: '127.0.0.1', port: config.STRIPE_EMULATOR_PORT, protocol: 'http' } });
}

/**
 * In emulator mode the worker has Stripe only while an app process on this machine serves the
 * emulator on STRIPE_EMULATOR_PORT (the demo, with `npm run worker` beside `npm start`). Started
 * without one (a staging deploy with no Stripe key), every batch the poster claimed would fail and,
 * after its attempts (about an hour), every event would be parked for a treasurer to put back by
 * hand. The worker stops instead, saying why, and the events wait in the inbox. It waits `waitMs`
 * first: the app and the worker may start together.
 */
export async function assertWorkerStripe(config: Config, stripe: Stripe, waitMs = 30_000): Promise<void> {
  if (config.stripeMode === 'stripe') return;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await stripe.balance.retrieve({}, { maxNetworkRetries: 0, timeout: 2_000 });
      return;
    } catch (err) {
      if (Date.now() >= deadline) {
        throw new ConfigError([
          `STRIPE_SECRET_KEY: not set, and no Stripe emulator answers on 127.0.0.1:${config.STRIPE_EMULATOR_PORT} (${err instanceof Error ? err.message : String(err)}).`,
          'Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or run the worker on the machine of an app process that serves the emulator on STRIPE_EMULATOR_PORT.',
        ]);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
