import type Stripe from 'stripe';
import type { CardInfo, CardOutcome } from './cards';
import { OrderedMap } from './ordered-map';

/** What the hosted page and the pay flow need to know about a line item (Stripe keeps it on the Price). */
export interface LineSpec {
  name: string;
  currency: string;
  unitAmount: number;
  quantity: number;
  recurring: { interval: 'day' | 'week' | 'month' | 'year'; intervalCount: number } | null;
}

/** Creation-time parameters of a session that Stripe keeps but doesn't show on the session object. */
export interface SessionSpec {
  lines: LineSpec[];
  paymentIntentMetadata: Record<string, string>;
  paymentIntentDescription: string | null;
  subscriptionMetadata: Record<string, string>;
}

/** What a later charge needs from the card on file: never the number itself. */
export interface StoredCard {
  info: CardInfo;
  outcome: CardOutcome;
}

// One map per resource, insertion-ordered so lists can return newest first like Stripe. What a
// list endpoint pages through is an OrderedMap: it pages from a cursor by its place in that order.
export interface State {
  sessions: OrderedMap<string, Stripe.Checkout.Session>;
  sessionSpecs: Map<string, SessionSpec>;
  paymentIntents: Map<string, Stripe.PaymentIntent>;
  charges: OrderedMap<string, Stripe.Charge>;
  refunds: OrderedMap<string, Stripe.Refund>;
  disputes: OrderedMap<string, Stripe.Dispute>;
  balanceTransactions: OrderedMap<string, Stripe.BalanceTransaction>;
  payouts: OrderedMap<string, Stripe.Payout>;
  customers: Map<string, Stripe.Customer>;
  subscriptions: OrderedMap<string, Stripe.Subscription>;
  invoices: OrderedMap<string, Stripe.Invoice>;
  invoicePayments: Map<string, Stripe.InvoicePayment>;
  testClocks: Map<string, Stripe.TestHelpers.TestClock>;
  portalSessions: Map<string, Stripe.BillingPortal.Session>;
  events: OrderedMap<string, Stripe.Event>;
  /** balance transaction id → the payout that paid it out */
  btPayout: Map<string, string>;
  /** subscription id → card that pays its renewals */
  subscriptionCards: Map<string, StoredCard>;
  /** invoice id → failed attempts Stripe made on its retry schedule (not those the customer asked for) */
  invoiceAutomaticAttempts: Map<string, number>;
  /** charge id → what its test card does later: a chargeback ('dispute', also in older state files) or an inquiry */
  chargeBehaviour: Map<string, 'dispute' | 'inquiry'>;
  /**
   * event id → when it was made: events owed to the webhook endpoint, not yet delivered nor given up
   * on. Saved with the change that made them, so a stop before delivery can't lose them: Stripe
   * keeps retrying for days, and the next start delivers them.
   */
  undelivered: Map<string, number>;
}

export type MapName = keyof State;

export function emptyState(): State {
  return {
    sessions: new OrderedMap(),
    sessionSpecs: new Map(),
    subscriptionCards: new Map(),
    paymentIntents: new Map(),
    charges: new OrderedMap(),
    refunds: new OrderedMap(),
    disputes: new OrderedMap(),
    balanceTransactions: new OrderedMap(),
    payouts: new OrderedMap(),
    customers: new Map(),
    subscriptions: new OrderedMap(),
    invoices: new OrderedMap(),
    invoicePayments: new Map(),
    testClocks: new Map(),
    portalSessions: new Map(),
    events: new OrderedMap(),
    btPayout: new Map(),
    chargeBehaviour: new Map(),
    invoiceAutomaticAttempts: new Map(),
    undelivered: new Map(),
  };
}

const BY_PREFIX: Array<[string, MapName, string]> = [
  ['cs_', 'sessions', 'checkout.session'],
  ['pi_', 'paymentIntents', 'payment_intent'],
  ['ch_', 'charges', 'charge'],
  ['re_', 'refunds', 'refund'],
  ['dp_', 'disputes', 'dispute'],
  ['txn_', 'balanceTransactions', 'balance_transaction'],
  ['po_', 'payouts', 'payout'],
  ['cus_', 'customers', 'customer'],
  ['sub_', 'subscriptions', 'subscription'],
  ['in_', 'invoices', 'invoice'],
  ['inpay_', 'invoicePayments', 'invoice_payment'],
  ['clock_', 'testClocks', 'test_helpers.test_clock'],
  ['bps_', 'portalSessions', 'billing_portal.session'],
  ['evt_', 'events', 'event'],
];

/** Finds any stored API object by id, for `expand[]`. */
export function findById(state: State, id: string): object | undefined {
  for (const [prefix, name] of BY_PREFIX) {
    if (id.startsWith(prefix)) return (state[name] as Map<string, object>).get(id);
  }
  return undefined;
}

export function serializeState(state: State): string {
  const plain: Record<string, unknown> = {};
  for (const [name, map] of Object.entries(state)) plain[name] = [...(map as Map<string, unknown>).entries()];
  return JSON.stringify({ version: 1, state: plain }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function deserializeState(text: string): State {
  const parsed = JSON.parse(text) as { version?: number; state?: Record<string, unknown> };
  if (parsed.version !== 1 || typeof parsed.state !== 'object' || parsed.state === null) {
    throw new Error('not an emulator state file (version 1)');
  }
  const state = emptyState();
  for (const name of Object.keys(state) as MapName[]) {
    const entries = parsed.state[name];
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) throw new Error(`state.${name} is not a list`);
    (state[name] as Map<string, unknown>).clear();
    for (const entry of entries as Array<[string, unknown]>) (state[name] as Map<string, unknown>).set(entry[0], entry[1]);
  }
  return state;
}
