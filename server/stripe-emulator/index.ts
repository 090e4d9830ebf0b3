import { registerWebhookEndpoints } from './resources/webhook-endpoints';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import { resolveAfterLastRetry, type AfterLastRetry, type Ctx } from './context';
import { createControls, type EmulatorControls } from './controls';
import { registerControlRoutes } from './control-routes';
import { createEvent } from './events';
import { resolveFees, type FeeConfig } from './fees';
import { resolveRenewalDraftSeconds } from './renewal-draft';
import { scheduleDispute } from './flows/dispute';
import { IdempotencyStore } from './idempotency';
import { loadState, StateWriter } from './persistence';
import { registerBalance } from './resources/balance';
import { registerBilling } from './resources/billing';
import { registerBillingPortal } from './resources/billing-portal';
import { registerCheckoutSessions } from './resources/checkout-sessions';
import { registerEvents } from './resources/events';
import { registerHostedCheckout } from './resources/hosted-checkout';
import { registerPayments } from './resources/payments';
import { buildServer } from './server';
import { emptyState } from './store';
import { WebhookDispatcher, type WebhookEndpoint } from './webhooks';

export type { EmulatorControls } from './controls';
export type { DeliveryRecord, DeliverySettings, WebhookEndpoint } from './webhooks';
export type { FeeConfig } from './fees';

export interface StripeEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1: the control routes have no auth, so keep it off public interfaces. */
  host?: string;
  /** Base of the hosted checkout URLs when the browser reaches the emulator by another name. */
  publicUrl?: string;
  /** When set, only this secret key is accepted; otherwise any sk_test_/rk_test_ key. */
  apiKey?: string;
  webhook?: WebhookEndpoint;
  fees?: Partial<FeeConfig>;
  /**
   * The account's settlement currency (e.g. 'usd'). Charges in another currency get balance
   * transactions converted into it at the fixed rates of `fx.ts`, with `exchange_rate` set, as
   * Stripe does for an account without a bank account in the charge's currency. Default: every
   * charge settles in its own currency.
   */
  settlementCurrency?: string;
  /** ms from a 4000 0000 0000 0259 payment to its dispute; null = only via controls.disputeCharge. Default 2000. */
  disputeAfterMs?: number | null;
  /**
   * Days from each failed renewal attempt to the next, as Stripe's custom retry schedule sets them
   * (at most 3 retries); after the last failure the subscription is canceled. Default [3, 5, 6]:
   * four attempts within two weeks. [] cancels on the first failure.
   */
  retryScheduleDays?: number[];
  /**
   * What the last failed retry does to the subscription (the account's "Manage failed payments"
   * setting): 'cancel' (default), 'unpaid' or 'past_due'. `controls.setAfterLastRetry` changes it.
   */
  afterLastRetry?: AfterLastRetry;
  /**
   * Seconds a renewal's invoice stays a `draft` before the test clock finalizes it and attempts its
   * payment, as Stripe's automatic advancement does about an hour (3600) after it is made. Default
   * 0: finalized and charged the moment it is made. `controls.setRenewalDraftSeconds` changes it.
   */
  renewalDraftSeconds?: number;
  logger?: Logger | false;
  /** JSON file that keeps state across restarts (demo mode). */
  stateFile?: string;
}

export interface StripeEmulator {
  url: string;
  port: number;
  clientOptions: { host: string; port: number; protocol: 'http' };
  /** An SDK client pointed at the emulator; the key defaults to sk_test_emulator (or options.apiKey). */
  client(key?: string): Stripe;
  controls: EmulatorControls;
  close(): Promise<void>;
}

function createContext(opts: StripeEmulatorOptions, log: Logger | undefined, dispatcher: WebhookDispatcher): { ctx: Ctx; timers: Set<NodeJS.Timeout> } {
  const timers = new Set<NodeJS.Timeout>();
  const ctx: Ctx = {
    state: loadState(opts.stateFile, log),
    fees: resolveFees(opts.fees),
    settlementCurrency: resolveSettlementCurrency(opts.settlementCurrency),
    publicUrl: '',
    log,
    disputeAfterMs: opts.disputeAfterMs === undefined ? 2000 : opts.disputeAfterMs,
    retryScheduleDays: resolveRetrySchedule(opts.retryScheduleDays),
    afterLastRetry: resolveAfterLastRetry(opts.afterLastRetry ?? 'cancel'),
    renewalDraftSeconds: resolveRenewalDraftSeconds(opts.renewalDraftSeconds ?? 0),
    emit: (type, object, emitOpts) => {
      const event = createEvent(ctx.state, type, object, dispatcher.hasEndpoint ? 1 : 0, emitOpts);
      if (dispatcher.enqueue(event)) {
        ctx.state.undelivered.set(event.id, event.created);
        ctx.changed();
      }
      return event;
    },
    changed: () => undefined,
    later: (ms, fn) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      t.unref();
      timers.add(t);
    },
  };
  return { ctx, timers };
}

// Events a stopped emulator still owed its endpoint, delivered again in the order they were made
// (once each; the receiver dedupes by event id, as it must for Stripe). Without an endpoint at
// start they stay owed until a start that has one.
function redeliver(ctx: Ctx, dispatcher: WebhookDispatcher): void {
  if (!dispatcher.hasEndpoint) return;
  for (const eventId of [...ctx.state.undelivered.keys()]) {
    const event = ctx.state.events.get(eventId);
    if (!event || !dispatcher.enqueue(event, 1)) {
      ctx.state.undelivered.delete(eventId);
      ctx.changed();
    }
  }
}

const DEFAULT_RETRY_SCHEDULE_DAYS = [3, 5, 6];


function resolveRetrySchedule(days: number[] | undefined): readonly number[] {
  if (days === undefined) return DEFAULT_RETRY_SCHEDULE_DAYS;
  if (days.length > 3 || !days.every((d) => Number.isInteger(d) && d >= 1 && d <= 30)) {
    throw new Error(`retryScheduleDays must be at most 3 whole days from 1 to 30 (Stripe's custom retry schedule), got ${JSON.stringify(days)}`);
  }
  return [...days];
}

function resolveSettlementCurrency(currency: string | undefined): string | null {
  if (currency === undefined) return null;
  const c = currency.toLowerCase();
  if (!Intl.supportedValuesOf('currency').includes(c.toUpperCase())) throw new Error(`settlementCurrency must be an ISO 4217 code, e.g. 'usd', got ${JSON.stringify(currency)}`);
  return c;
}

export async function startStripeEmulator(opts: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const log = opts.logger ? opts.logger.child({ component: 'stripe-emulator' }) : undefined;
  const dispatcher = new WebhookDispatcher(log);
  if (opts.webhook) dispatcher.setEndpoint(opts.webhook);
  const { ctx, timers } = createContext(opts, log, dispatcher);
  const writer = new StateWriter(opts.stateFile, () => ctx.state, log);
  ctx.changed = () => writer.schedule();
  dispatcher.onSettled = (eventId) => {
    if (ctx.state.undelivered.delete(eventId)) ctx.changed();
  };
  redeliver(ctx, dispatcher);
  const idempotency = new IdempotencyStore();
  const controls = createControls(ctx, dispatcher, () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    ctx.state = emptyState();
    dispatcher.reset();
    idempotency.clear();
    ctx.changed();
  }, () => idempotency.clear());
  // Disputes that were still due when the demo stopped open after restart.
  for (const [chargeId, behaviour] of ctx.state.chargeBehaviour) scheduleDispute(ctx, chargeId, behaviour);
  const app = buildServer({ logger: log, apiKey: opts.apiKey, idempotency });
  for (const register of [registerCheckoutSessions, registerPayments, registerBalance, registerBilling, registerEvents, registerHostedCheckout, registerBillingPortal]) {
    register(app, ctx);
  }
  registerWebhookEndpoints(app, dispatcher);
  registerControlRoutes(app, controls);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  const clientHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${clientHost}:${port}`;
  ctx.publicUrl = (opts.publicUrl ?? url).replace(/\/$/, '');
  const clientOptions = { host: clientHost, port, protocol: 'http' as const };
  return {
    url,
    port,
    clientOptions,
    client: (key = opts.apiKey ?? 'sk_test_emulator') => new Stripe(key, { ...clientOptions, maxNetworkRetries: 0 }),
    controls,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      dispatcher.close();
      await app.close();
      await writer.flush();
    },
  };
}
