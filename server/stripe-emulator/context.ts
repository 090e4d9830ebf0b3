import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { FeeConfig } from './fees';
import type { State } from './store';

/** The API request that caused an event; null for automatic work (checkout page, clocks, controls). */
export interface Origin {
  id: string | null;
  idempotencyKey: string | null;
}

export const AUTOMATIC: Origin = { id: null, idempotencyKey: null };

export interface EmitOptions {
  origin?: Origin;
  previous?: Record<string, unknown>;
  /** Test-clock time for simulated events; defaults to now. */
  created?: number;
}

// Everything the resource modules share. Kept as one object so a reset swaps state in one place.
export interface Ctx {
  state: State;
  fees: FeeConfig;
  /** The currency every balance transaction is booked in (lower case); null = each charge's own. */
  settlementCurrency: string | null;
  publicUrl: string;
  log: Logger | undefined;
  /** ms after a 4000 0000 0000 0259 payment until its dispute opens; null = only via control. */
  disputeAfterMs: number | null;
  /** Days from each failed renewal attempt to the next; after the last, the subscription is canceled. */
  retryScheduleDays: readonly number[];
  /** What the last failed retry does to the subscription, as the account's Billing setting chooses. */
  afterLastRetry: AfterLastRetry;
  /** Seconds a collected renewal stays a draft before it is finalized and charged (Stripe: about 3600); 0 charges at once. */
  renewalDraftSeconds: number;
  emit(type: string, object: object, opts?: EmitOptions): Stripe.Event;
  /** Marks state dirty so the state file (if any) is rewritten soon. */
  changed(): void;
  /** setTimeout that close() and reset() cancel. */
  later(ms: number, fn: () => void): void;
}

/**
 * The account's choice, in its Billing settings, of what happens to a subscription once every retry
 * of an invoice failed: cancel it (reason `payment_failed`), mark it `unpaid` (it stays, nothing
 * more is charged until the customer pays), or leave it `past_due` (its next invoices are charged
 * as usual). https://docs.stripe.com/billing/revenue-recovery/smart-retries
 */
export type AfterLastRetry = 'cancel' | 'unpaid' | 'past_due';
export const afterLastRetryChoices: readonly AfterLastRetry[] = ['cancel', 'unpaid', 'past_due'];

export function resolveAfterLastRetry(choice: string): AfterLastRetry {
  const known = afterLastRetryChoices.find((c) => c === choice);
  if (!known) throw new Error(`afterLastRetry must be one of ${afterLastRetryChoices.join(', ')}, got ${JSON.stringify(choice)}`);
  return known;
}
