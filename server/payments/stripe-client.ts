import Stripe from 'stripe';

export interface StripeSetup {
  client: Stripe;
  webhookSecret: string;
  /** Extra fields for the Stripe customer of a monthly gift (tests attach a test clock). */
  customerDefaults?: Partial<Stripe.CustomerCreateParams>;
}

/** The official SDK, pointed at Stripe or at our emulator: only the key and the host differ. */
export function createStripeClient(opts: { secretKey: string; host?: { host: string; port: number; protocol: 'http' | 'https' } }): Stripe {
  return new Stripe(opts.secretKey, {
    ...(opts.host ?? {}),
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'solidarity-fund', version: '0.1.0' },
  });
}
