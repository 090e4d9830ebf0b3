import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx, type Origin } from '../context';
import { buildInvoicePayment } from '../objects/invoice';
import { attemptPayment, type PaymentResult } from './charge';
import { subscriptionItem } from '../objects/billing';
import { cancelNow } from './billing';
import { periodBoundary, periodIndex } from './time';

/**
 * One attempt to pay a subscription invoice with the subscription's card, as Stripe's automatic
 * collection does. The invoice keeps one PaymentIntent across attempts (each attempt is a charge
 * on it), listed as an open InvoicePayment until one succeeds.
 *
 * A failed attempt leaves the invoice open with `attempt_count` and `next_payment_attempt` (the
 * retry schedule: days after this attempt; null after the last), emits invoice.payment_failed and
 * makes the subscription past_due; after the last attempt the account's setting (`afterLastRetry`)
 * decides, as Stripe's "Manage failed payments" does: the subscription is canceled with
 * cancellation_details.reason `payment_failed`, marked `unpaid`, or left `past_due`
 * (https://docs.stripe.com/billing/revenue-recovery/smart-retries). `scheduled` is false for
 * an attempt the customer asked for (a new card in the portal): it does not move the schedule.
 */
export function attemptInvoice(
  ctx: Ctx,
  invoice: Stripe.Invoice,
  sub: Stripe.Subscription,
  customer: Stripe.Customer,
  at: number,
  origin: Origin,
  scheduled = true,
): PaymentResult {
  const card = ctx.state.subscriptionCards.get(sub.id);
  if (!card) throw new Error(`subscription ${sub.id} has no card`);
  const open = openPayment(ctx, invoice.id);
  const result = attemptPayment(ctx, {
    amount: invoice.amount_due,
    currency: invoice.currency,
    customer: customer.id,
    description: invoice.billing_reason === 'subscription_create' ? 'Subscription creation' : 'Subscription update',
    metadata: {},
    receiptEmail: customer.email,
    card,
    billingName: customer.name ?? null,
    at,
    origin,
    existing: open ? ctx.state.paymentIntents.get(String(open.payment.payment_intent)) : undefined,
  });
  // Stripe: "any payment attempt counts as the first attempt, and subsequently only automatic
  // retries increment the attempt count" (a donor's own try from the portal does not).
  if (scheduled || invoice.attempt_count === 0) invoice.attempt_count += 1;
  invoice.attempted = true;
  if (result.ok) paid(ctx, invoice, sub, result, open, at, origin);
  else failed(ctx, invoice, sub, result, open, at, origin, scheduled);
  ctx.changed();
  return result;
}

function openPayment(ctx: Ctx, invoiceId: string): Stripe.InvoicePayment | undefined {
  for (const p of ctx.state.invoicePayments.values()) if (p.invoice === invoiceId && p.status === 'open') return p;
  return undefined;
}

function paid(
  ctx: Ctx,
  invoice: Stripe.Invoice,
  sub: Stripe.Subscription,
  result: Extract<PaymentResult, { ok: true }>,
  open: Stripe.InvoicePayment | undefined,
  at: number,
  origin: Origin,
): void {
  const emit = (type: string, obj: object, previous?: Record<string, unknown>) => ctx.emit(type, obj, { origin, created: at, previous });
  if (open) {
    // The same payment of the invoice, now paid by this attempt's charge.
    Object.assign(open, { status: 'paid', amount_paid: result.pi.amount, payment: { ...open.payment, charge: result.charge.id } });
    open.status_transitions.paid_at = at;
  } else {
    const payment = buildInvoicePayment(invoice, result.pi, result.charge.id, at, 'paid');
    ctx.state.invoicePayments.set(payment.id, payment);
  }
  invoice.status = 'paid';
  invoice.auto_advance = false;
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.paid_at = at;
  emit('invoice.paid', invoice);
  emit('invoice.payment_succeeded', invoice);
  if (sub.status === 'past_due' || sub.status === 'unpaid') {
    const previous: Record<string, unknown> = { status: sub.status };
    const itemsBefore = structuredClone(sub.items);
    if (sub.status === 'unpaid' && periodInProgressAt(sub, at)) previous.items = itemsBefore;
    sub.status = 'active';
    emit('customer.subscription.updated', sub, previous);
  }
}

/**
 * Stripe leaves an unpaid subscription's renewals as drafts that are never charged: paid again, it
 * bills on from the period it is now in, not once for every period it missed (each back-dated).
 * Moves the period to the one `at` falls in; says whether it moved.
 */
function periodInProgressAt(sub: Stripe.Subscription, at: number): boolean {
  const item = subscriptionItem(sub);
  const recurring = item.price.recurring;
  if (!recurring || item.current_period_end > at) return false;
  const boundary = (n: number) => periodBoundary(sub.billing_cycle_anchor, recurring.interval, recurring.interval_count, n);
  let n = periodIndex(sub.billing_cycle_anchor, recurring.interval, recurring.interval_count, at);
  if (boundary(n) <= at) n++;
  item.current_period_start = boundary(n - 1);
  item.current_period_end = boundary(n);
  return true;
}

function failed(
  ctx: Ctx,
  invoice: Stripe.Invoice,
  sub: Stripe.Subscription,
  result: Extract<PaymentResult, { ok: false }>,
  open: Stripe.InvoicePayment | undefined,
  at: number,
  origin: Origin,
  scheduled: boolean,
): void {
  const emit = (type: string, obj: object, previous?: Record<string, unknown>) => ctx.emit(type, obj, { origin, created: at, previous });
  if (!open) {
    const payment = buildInvoicePayment(invoice, result.pi, result.charge.id, at, 'open');
    ctx.state.invoicePayments.set(payment.id, payment);
  }
  if (scheduled) {
    // Automatic attempts are counted against the schedule; the customer's own try is extra.
    const automatic = (ctx.state.invoiceAutomaticAttempts.get(invoice.id) ?? 0) + 1;
    ctx.state.invoiceAutomaticAttempts.set(invoice.id, automatic);
    const days = ctx.retryScheduleDays[automatic - 1];
    invoice.next_payment_attempt = days === undefined ? null : at + days * 86_400;
  }
  emit('invoice.payment_failed', invoice);
  if (sub.status === 'active') {
    sub.status = 'past_due';
    emit('customer.subscription.updated', sub, { status: 'active' });
  }
  if (scheduled && invoice.next_payment_attempt === null) afterLastRetry(ctx, sub, at, emit);
}

/** Every retry failed: what the account's setting says to do with the subscription. */
function afterLastRetry(ctx: Ctx, sub: Stripe.Subscription, at: number, emit: (type: string, obj: object, previous?: Record<string, unknown>) => void): void {
  if (ctx.afterLastRetry === 'cancel') return void cancelNow(ctx, sub, at, AUTOMATIC, 'payment_failed');
  if (ctx.afterLastRetry === 'unpaid' && sub.status === 'past_due') {
    sub.status = 'unpaid';
    emit('customer.subscription.updated', sub, { status: 'past_due' });
  }
  // 'past_due': left as it is; its invoice stays open, and the next period is billed as usual.
}

/** The scheduled retry of an open invoice falls due (test clock time). */
export function retryInvoice(ctx: Ctx, invoice: Stripe.Invoice): void {
  const at = invoice.next_payment_attempt;
  const subId = invoice.parent?.subscription_details?.subscription;
  const sub = typeof subId === 'string' ? ctx.state.subscriptions.get(subId) : undefined;
  const customer = ctx.state.customers.get(String(invoice.customer));
  if (at === null || !sub || !customer || sub.status === 'canceled' || invoice.status !== 'open') {
    invoice.next_payment_attempt = null;
    return;
  }
  attemptInvoice(ctx, invoice, sub, customer, at, AUTOMATIC);
}

/**
 * A subscription that still bills: active, or past_due while Stripe retries an invoice (or after,
 * when the account leaves it so). An `unpaid` one is not renewed here: Stripe makes its invoices
 * but leaves them drafts, never charged (this emulator makes none), until the customer pays the
 * open one; from then it bills on from the period it is in (periodInProgressAt).
 */
export const stillBills = (sub: Stripe.Subscription): boolean => sub.status === 'active' || sub.status === 'past_due';

/** A subscription whose open invoice a new card pays: past_due, or unpaid after its last retry. */
export const owes = (sub: Stripe.Subscription): boolean => sub.status === 'past_due' || sub.status === 'unpaid';

/** Open invoices of a subscription, oldest first. */
export function openInvoices(ctx: Ctx, subId: string): Stripe.Invoice[] {
  return [...ctx.state.invoices.values()].filter((i) => i.status === 'open' && i.parent?.subscription_details?.subscription === subId);
}
