import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type Stripe from 'stripe';
import type { Config } from '../config';
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
