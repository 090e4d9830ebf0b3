import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx, type Origin } from '../context';
import { buildCustomer, buildSubscription, subscriptionItem } from '../objects/billing';
import type { SessionSpec } from '../store';
import { nowSeconds } from '../ids';
import type { Payer, PayResult } from './checkout';
import { attemptInvoice } from './invoice-payment';
import { draftInvoice, finalizeDraft, voidInvoice, type InvoiceReason } from './invoice-lifecycle';
import { periodBoundary, periodIndex, timeForCustomer } from './time';

type Fail = Extract<PayResult, { ok: false }>;

// Subscription-mode checkout: customer, subscription, then its first invoice paid by card, in
// Stripe's event order. A declined card creates nothing, so the member can retry on the page.
export function startSubscription(
  ctx: Ctx,
  session: Stripe.Checkout.Session,
  spec: SessionSpec,
  payer: Payer,
  origin: Origin,
): { ok: true } | Fail {
  if (payer.card.outcome.kind === 'decline') {
    const { message, code, declineCode } = payer.card.outcome;
    return { ok: false, message, code, declineCode };
  }
  const line = spec.lines[0];
  if (!line?.recurring) throw new Error(`session ${session.id} has no recurring line item`);
  const customer = ensureCustomer(ctx, session, payer, origin);
  const at = timeForCustomer(ctx, customer.id);
  const sub = buildSubscription({
    customer: customer.id,
    line,
    metadata: spec.subscriptionMetadata,
    testClock: typeof customer.test_clock === 'string' ? customer.test_clock : null,
    start: at,
    periodEnd: periodBoundary(at, line.recurring.interval, line.recurring.intervalCount, 1),
  });
  ctx.state.subscriptions.set(sub.id, sub);
  ctx.state.subscriptionCards.set(sub.id, payer.card);
  ctx.emit('customer.subscription.created', sub, { origin, created: at });
  const invoice = payInvoice(ctx, sub, customer, 'subscription_create', at, origin);
  session.subscription = sub.id;
  session.invoice = invoice.id;
  return { ok: true };
}

function ensureCustomer(ctx: Ctx, session: Stripe.Checkout.Session, payer: Payer, origin: Origin): Stripe.Customer {
  const existing = typeof session.customer === 'string' ? ctx.state.customers.get(session.customer) : undefined;
  if (existing) return existing;
  const customer = buildCustomer({ email: payer.email, name: payer.name, metadata: {}, testClock: null, created: nowSeconds() });
  ctx.state.customers.set(customer.id, customer);
  ctx.emit('customer.created', customer, { origin });
  session.customer = customer.id;
  return customer;
}

/**
 * Creates and finalizes one subscription invoice, then attempts to pay it (attemptInvoice: paid,
 * or open and retried on the schedule).
 */
export function payInvoice(
  ctx: Ctx,
  sub: Stripe.Subscription,
  customer: Stripe.Customer,
  reason: InvoiceReason,
  at: number,
  origin: Origin,
  previousPeriod?: { start: number; end: number },
): Stripe.Invoice {
  const invoice = finalizeDraft(ctx, draftInvoice(ctx, sub, customer, { reason, at, origin, previousPeriod }), at, origin);
  attemptInvoice(ctx, invoice, sub, customer, at, origin);
  return invoice;
}

/**
 * Whether collection is paused for an invoice made at `at` (pause_collection with `void`): Stripe
 * voids "all invoices created before the resumes_at date", or every one while the pause has no end.
 */
function collectionPausedAt(sub: Stripe.Subscription, at: number): boolean {
  const pause = sub.pause_collection;
  return pause !== null && (pause.resumes_at === null || at < pause.resumes_at);
}

/** A renewal while collection is paused: its invoice is made, finalized and voided at once, nothing is charged and nothing retried. */
function voidRenewal(ctx: Ctx, sub: Stripe.Subscription, customer: Stripe.Customer, at: number, previousPeriod: { start: number; end: number }): void {
  const draft = draftInvoice(ctx, sub, customer, { reason: 'subscription_cycle', at, origin: AUTOMATIC, previousPeriod });
  voidInvoice(ctx, finalizeDraft(ctx, draft, at, AUTOMATIC), at, AUTOMATIC);
}

/**
 * A renewal that is collected: charged at once, or (with `renewalDraftSeconds`, as Stripe does)
 * left a draft that the test clock finalizes and charges that much later (advanceDraft).
 */
function collectRenewal(ctx: Ctx, sub: Stripe.Subscription, customer: Stripe.Customer, at: number, previousPeriod: { start: number; end: number }): void {
  if (ctx.renewalDraftSeconds === 0) {
    payInvoice(ctx, sub, customer, 'subscription_cycle', at, AUTOMATIC, previousPeriod);
    return;
  }
  draftInvoice(ctx, sub, customer, { reason: 'subscription_cycle', at, origin: AUTOMATIC, previousPeriod, finalizesAt: at + ctx.renewalDraftSeconds });
}

/** Stripe clears a pause at its `resumes_at`: the subscription collects again from its next invoice. */
export function resumeCollection(ctx: Ctx, sub: Stripe.Subscription, at: number): void {
  const previous = { pause_collection: sub.pause_collection };
  sub.pause_collection = null;
  ctx.emit('customer.subscription.updated', sub, { origin: AUTOMATIC, created: at, previous });
  ctx.changed();
}

/**
 * One renewal at the end of the current period: next period, new invoice, charge, balance
 * transaction (or a draft charged later, see collectRenewal; or, while collection is paused, a voided invoice and no charge). Its customer.subscription.updated names `items` among what changed, as Stripe's
 * does since 2025-03-31.basil put the period on the item: the same price and quantity, the period before.
 */
export function renew(ctx: Ctx, sub: Stripe.Subscription): void {
  const item = subscriptionItem(sub);
  const recurring = item.price.recurring;
  if (!recurring) return;
  const at = item.current_period_end;
  const previousPeriod = { start: item.current_period_start, end: item.current_period_end };
  const previousItems = structuredClone(sub.items);
  const n = periodIndex(sub.billing_cycle_anchor, recurring.interval, recurring.interval_count, at) + 1;
  item.current_period_start = at;
  item.current_period_end = periodBoundary(sub.billing_cycle_anchor, recurring.interval, recurring.interval_count, n);
  const customer = ctx.state.customers.get(String(sub.customer));
  if (!customer) throw new Error(`subscription ${sub.id} has no customer`);
  const previous = { items: previousItems, latest_invoice: sub.latest_invoice };
  if (collectionPausedAt(sub, at)) voidRenewal(ctx, sub, customer, at, previousPeriod);
  else collectRenewal(ctx, sub, customer, at, previousPeriod);
  ctx.emit('customer.subscription.updated', sub, { origin: AUTOMATIC, created: at, previous });
}

export function cancelNow(
  ctx: Ctx,
  sub: Stripe.Subscription,
  at: number,
  origin: Origin,
  reason: Stripe.Subscription.CancellationDetails.Reason = 'cancellation_requested',
): void {
  sub.status = 'canceled';
  sub.canceled_at = sub.canceled_at ?? at;
  sub.ended_at = at;
  sub.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason };
  ctx.emit('customer.subscription.deleted', sub, { origin, created: at });
  ctx.changed();
}
