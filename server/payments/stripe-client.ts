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

/**
 * Whether an event rendered in Stripe API version `version` has the shapes our handlers read (the
 * SDK's version). Stripe changes shapes only between named releases ("2026-10-28.endive" is of
 * "endive"); the monthly versions within one release only add. An event without a version is
 * taken as ours (Stripe always sends one; it is missing only from hand-made test events).
 */
export function readableApiVersion(version: string | null | undefined): boolean {
  if (!version) return true;
  return releaseOf(version) === releaseOf(Stripe.API_VERSION);
}

const releaseOf = (version: string) => version.split('.')[1] ?? version;
