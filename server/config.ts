import { z } from 'zod';

// Every setting comes from the environment. The defaults are the embedded demo mode: PGlite in
// ./.data, the Stripe emulator in process, demo data seeded on an empty database.
const anyPort = (example: number) =>
  z.coerce
    .number({ error: `must be a whole number, e.g. ${example}` })
    .int({ error: `must be a whole number, e.g. ${example}` })
    .min(1, { error: `must be between 1 and 65535, e.g. ${example}` })
    .max(65535, { error: `must be between 1 and 65535, e.g. ${example}` });
const port = (fallback: number) => anyPort(fallback).default(fallback);

const flagValue = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false, e.g. true' })
  .transform((v) => v === 'true' || v === '1');
const flag = (fallback: boolean) => flagValue.prefault(fallback ? 'true' : 'false');

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v) && URL.canParse(v), {
    error: 'must be a postgres:// URL, e.g. postgres://user:password@host:5432/solidarity',
  });

function isWebOrigin(v: string): boolean {
  if (!URL.canParse(v)) return false;
  const url = new URL(v);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.host !== '' && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
}

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], {
    error: 'must be development, production or test',
  }).default('development'),
  /**
   * The interface to listen on. Unset: loopback when people reach the product at this machine (no
   * PUBLIC_URL, as the demo, or a localhost one, as `npm run dev`), else every interface.
   */
  HOST: z.string().min(1).optional(),
  PORT: port(3000),
  /** Prometheus metrics on this port of their own (GET /metrics), for a scraper on the private network; off when unset. */
  METRICS_PORT: anyPort(9091).optional(),
  /** Links in mail and Stripe's return URLs are this origin followed by a path: no path of its own. */
  PUBLIC_URL: z
    .string()
    .refine(isWebOrigin, { error: 'must be the http:// or https:// origin people reach, with no path, e.g. https://give.example.org' })
    .transform((v) => new URL(v).origin)
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  }).default('info'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./.data'),
  /** Seed demo data on an empty database; defaults to on in embedded mode only. */
  SEED_DEMO: flagValue.optional(),
  /**
   * On the demo's first start, give its gifts through the Stripe emulator (so the donor wall, a
   * member's gifts and the ledger have something to show); defaults to on in embedded mode only.
   */
  DEMO_GIFTS: flagValue.optional(),
  /**
   * The dev mail page (/dev/mail shows every mail, sign-in links too, to anyone): on by default in
   * embedded mode without SMTP; the browser tests turn it on against Postgres. Never in production.
   */
  DEV_MAIL: flagValue.optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, { error: 'must be a Stripe secret key, e.g. sk_test_…' })
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9_]+$/, { error: 'must be a Stripe webhook signing secret, e.g. whsec_…' })
    .optional(),
  /** 0 picks a free port (tests). */
  STRIPE_EMULATOR_PORT: z.coerce.number({ error: 'must be a whole number, e.g. 12111' }).int().min(0).max(65535).default(12111),
  /** How long `npm run worker` without a Stripe key waits for an app process's emulator to answer. */
  WORKER_STRIPE_WAIT_SECONDS: z.coerce.number({ error: 'must be a number of seconds, e.g. 30' }).min(0).max(3600).default(30),
  /** Signs session cookies; at least 32 characters. Embedded mode keeps one in DATA_DIR. */
  AUTH_SECRET: z.string().min(32, { error: 'must be at least 32 characters, e.g. the output of `openssl rand -hex 32`' }).optional(),
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\/\S+$/.test(v) && URL.canParse(v), { error: 'must be an smtp:// or smtps:// URL, e.g. smtps://user:pass@smtp.example.org:465' })
    .optional(),
  MAIL_FROM: z.string().min(3).max(200).default('solidarity-fund <no-reply@localhost>'),
  /** Days a sent mail's address, subject and text are kept (its dedupe key stays, so it is never sent twice). */
  MAIL_KEEP_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Gifts one client may start per minute (Checkout Sessions are not free to create). */
  DONATION_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Sign-in links one client may ask for (and use) per minute. */
  SIGN_IN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(5),
  /**
   * Sign-in links mailed to one address per hour, whoever asks (not applied while mail stays on
   * the dev mail page: no inbox to flood).
   */
  SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(10),
  /** Proxies in front of the app whose X-Forwarded-For to believe (Fly: 1); unset: 0 embedded, else 1. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(5).optional(),
  /** Open live-progress streams (server-sent events) one instance holds; more are answered 503. */
  LIVE_STREAMS_MAX: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  /**
   * Of those, what one client (an address; an IPv6 /64) may hold; more are answered 429. Many phones
   * share one IPv4 address (a union hall's Wi-Fi, a carrier's NAT), and a browser does not retry a
   * refused stream: 500 lets a packed meeting watch a drive live, and still takes 20 addresses to
   * fill an instance.
   */
  LIVE_STREAMS_PER_CLIENT_MAX: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /**
   * The slug of the top-level organization that runs the platform (the Stripe account): its
   * treasurers see every gift's disputes, the platform's statements and parked Stripe events. Unset,
   * the only top-level organization is the platform; with several, nobody is (set it).
   */
  PLATFORM_ORGANIZATION: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, { error: "must be an organization's slug, e.g. demo-federation" }).optional(),
  SERVE_WEB: flag(true),
  RUN_WORKER: flag(true),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
});

export type Config = Omit<z.infer<typeof configSchema>, 'SEED_DEMO' | 'DEMO_GIFTS' | 'DEV_MAIL' | 'HOST'> & {
  /** Where the server listens: HOST, else as defaultHostOf() says. */
  HOST: string;
  seedDemo: boolean;
  /** Whether a first start that seeds the demo also gives its gifts (emulator only). */
  demoGifts: boolean;
  /** Whether /api/dev/mail (and so the /dev/mail page) shows the outbox. */
  devMail: boolean;
  /** Embedded mode: no DATABASE_URL, so PGlite, the emulator and demo data. */
  embedded: boolean;
  stripeMode: 'emulator' | 'stripe';
};

export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const given = cleaned[name];
      const shown = given === undefined || /SECRET|KEY|URL/.test(name) ? '' : ` (got "${given}")`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(lines);
  }
  const c = parsed.data;
  const stripeMode = c.STRIPE_SECRET_KEY ? 'stripe' : 'emulator';
  if (stripeMode === 'stripe' && !c.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError(['STRIPE_WEBHOOK_SECRET: is required when STRIPE_SECRET_KEY is set, e.g. whsec_…']);
  }
  const embedded = !c.DATABASE_URL;
  if (c.DEV_MAIL && c.NODE_ENV === 'production') {
    throw new ConfigError(['DEV_MAIL: must not be true in production: the dev mail page shows everyone\'s sign-in links']);
  }
  if (c.NODE_ENV === 'production') {
    const missing = missingInProduction(c, embedded);
    if (missing.length > 0) throw new ConfigError(missing);
  }
  if (c.METRICS_PORT === c.PORT) {
    throw new ConfigError([`METRICS_PORT: must differ from PORT (${c.PORT}): the metrics have a port of their own, which the internet does not reach`]);
  }
  if (c.DEMO_GIFTS && stripeMode === 'stripe') {
    throw new ConfigError(['DEMO_GIFTS: must not be true with STRIPE_SECRET_KEY: the demo gifts are paid in the Stripe emulator only']);
  }
  const { SEED_DEMO, DEMO_GIFTS, DEV_MAIL, ...rest } = c;
  // Never on by default in production either, embedded or not: anyone could read a treasurer's link.
  const seedDemo = SEED_DEMO ?? embedded;
  return { ...rest, HOST: c.HOST ?? defaultHostOf(c.PUBLIC_URL), seedDemo, demoGifts: seedDemo && stripeMode === 'emulator' && (DEMO_GIFTS ?? embedded), devMail: DEV_MAIL ?? (embedded && !c.SMTP_URL && c.NODE_ENV !== 'production'), embedded, stripeMode };
}

/**
 * What production cannot do without. Each has a default fit for the demo only, and quiet where it
 * goes wrong: links in mail and Stripe's return URLs to localhost, the local Stripe emulator (whose
 * checkout page no donor can reach), sign-in links and receipts that never leave the outbox,
 * sessions signed with a secret made up per process.
 */
function missingInProduction(c: z.infer<typeof configSchema>, embedded: boolean): string[] {
  const missing: string[] = [];
  if (!c.PUBLIC_URL) missing.push('PUBLIC_URL: is required in production (links in mail, Stripe\'s return URLs), e.g. https://give.example.org');
  if (!c.STRIPE_SECRET_KEY) missing.push('STRIPE_SECRET_KEY: is required in production (without it the app runs the local Stripe emulator, which no donor can reach), e.g. sk_live_…');
  if (!c.SMTP_URL) missing.push('SMTP_URL: is required in production (without it no sign-in link or receipt is sent), e.g. smtps://user:pass@smtp.example.org:465');
  if (!embedded && !c.AUTH_SECRET) missing.push('AUTH_SECRET: is required in production, e.g. the output of `openssl rand -hex 32`');
  return missing;
}

/**
 * The interface to listen on when HOST is unset. Without PUBLIC_URL the product's links, Stripe's
 * returns and the origins it trusts are localhost's and 127.0.0.1's: on a network address its forms
 * are refused as another site's, and the demo's /dev/mail (everyone's sign-in links) would be open
 * to the whole network. So loopback, as for a PUBLIC_URL on this machine (`npm run dev`); every
 * interface for any other PUBLIC_URL (a container behind a proxy; fly.toml sets HOST all the same).
 */
function defaultHostOf(publicUrl: string | undefined): string {
  const hostname = (publicUrl ? new URL(publicUrl).hostname : 'localhost').replace(/\.$/, '');
  // Names under .localhost are this machine's (RFC 6761), as is all of 127.0.0.0/8.
  if (hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(hostname)) return '127.0.0.1';
  if (hostname === '[::1]') return '::1';
  return '0.0.0.0';
}

/** Where people reach us: PUBLIC_URL, else this machine's port (embedded demo, tests). */
export function publicUrlOf(config: Config): string {
  return config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
}

/** Origins whose browser requests are our own pages: PUBLIC_URL's, or both local names when unset. */
export function trustedOriginsOf(config: Config): string[] {
  if (config.PUBLIC_URL) return [new URL(config.PUBLIC_URL).origin];
  return [`http://localhost:${config.PORT}`, `http://127.0.0.1:${config.PORT}`];
}
