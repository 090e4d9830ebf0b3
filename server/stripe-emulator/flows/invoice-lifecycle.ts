import type Stripe from 'stripe';
import { AUTOMATIC, type Ctx, type Origin } from '../context';
import { invalidRequest } from '../errors';
import { buildInvoice } from '../objects/invoice';
import { attemptInvoice } from './invoice-payment';

/*
 * A subscription invoice's life before it is paid, as Stripe's status transitions page draws it
 * (docs.stripe.com/invoicing/integration/workflow-transitions): made as a `draft`
 * (invoice.created), finalized to `open` (invoice.finalized), then paid, or voided
 * (invoice.voided). A draft with auto_advance is finalized by Stripe about an hour after it is
 * made ("automatically finalizing draft invoices after one hour",
 * docs.stripe.com/invoicing/integration/automatic-advancement-collection) and its payment is
 * attempted then. A subscription's invoice cannot be deleted, only voided once finalized
 * (docs.stripe.com/api/invoices/delete).
 */

export type InvoiceReason = 'subscription_create' | 'subscription_cycle';

/** Makes a subscription's invoice as a draft (invoice.created); it is the subscription's latest invoice from then on. */
export function draftInvoice(
  ctx: Ctx,
  sub: Stripe.Subscription,
  customer: Stripe.Customer,
  c: { reason: InvoiceReason; at: number; origin: Origin; previousPeriod?: { start: number; end: number }; finalizesAt?: number },
): Stripe.Invoice {
  const number = `EMU-${String(ctx.state.invoices.size + 1).padStart(6, '0')}`;
  const invoice = buildInvoice({ sub, customerEmail: customer.email, customerName: customer.name ?? null, reason: c.reason, created: c.at, number, previousPeriod: c.previousPeriod });
  invoice.automatically_finalizes_at = c.finalizesAt ?? null;
  ctx.state.invoices.set(invoice.id, invoice);
  ctx.emit('invoice.created', invoice, { origin: c.origin, created: c.at });
  sub.latest_invoice = invoice.id;
  ctx.changed();
  return invoice;
}

/**
 * A draft becomes `open` (invoice.finalized). With `autoAdvance` false Stripe leaves it there:
 * no payment is attempted, nothing is retried, until someone acts on it.
 */
export function finalizeDraft(ctx: Ctx, invoice: Stripe.Invoice, at: number, origin: Origin, autoAdvance = true): Stripe.Invoice {
  if (invoice.status !== 'draft') {
    throw invalidRequest("This invoice is already finalized, you can't re-finalize a non-draft invoice.", undefined, 'invoice_already_finalized');
  }
  invoice.status = 'open';
  invoice.auto_advance = autoAdvance;
  invoice.automatically_finalizes_at = null;
  invoice.status_transitions.finalized_at = at;
  ctx.emit('invoice.finalized', invoice, { origin, created: at });
  ctx.changed();
  return invoice;
}

/**
 * An `open` (or uncollectible) invoice is voided (invoice.voided): nothing is owed on it, nothing
 * more is attempted. A draft must be finalized first, and a paid or void invoice cannot be voided
 * (Stripe: void "only applies to finalized invoices", docs.stripe.com/api/invoices/void; paid,
 * void and uncollectible invoices never advance). Stripe publishes no wording for these
 * refusals: the messages are the emulator's.
 */
export function voidInvoice(ctx: Ctx, invoice: Stripe.Invoice, at: number, origin: Origin): Stripe.Invoice {
  if (invoice.status === 'draft') throw invalidRequest('You can only void a finalized invoice: finalize this draft first.', undefined, 'invoice_not_editable');
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidRequest(`You cannot void an invoice whose status is ${invoice.status ?? 'unknown'}; only open or uncollectible invoices can be voided.`, undefined, 'invoice_not_editable');
  }
  invoice.status = 'void';
  invoice.auto_advance = false;
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.status_transitions.voided_at = at;
  for (const p of ctx.state.invoicePayments.values()) {
    if (p.invoice === invoice.id && p.status === 'open') Object.assign(p, { status: 'canceled', status_transitions: { ...p.status_transitions, canceled_at: at } });
  }
  ctx.emit('invoice.voided', invoice, { origin, created: at });
  ctx.changed();
  return invoice;
}

/**
 * The hour is up on a draft that still auto-advances: Stripe finalizes it and attempts its
 * payment. A pause of collection set after the draft was made does not stop it: "invoices created
 * before you pause subscriptions continue to be retried unless you void them"
 * (docs.stripe.com/billing/subscriptions/pause-payment).
 */
export function advanceDraft(ctx: Ctx, invoice: Stripe.Invoice): void {
  const at = invoice.automatically_finalizes_at;
  const subId = invoice.parent?.subscription_details?.subscription;
  const sub = typeof subId === 'string' ? ctx.state.subscriptions.get(subId) : undefined;
  const customer = ctx.state.customers.get(String(invoice.customer));
  if (at === null || invoice.status !== 'draft' || invoice.auto_advance !== true || !sub || !customer) {
    invoice.automatically_finalizes_at = null;
    return;
  }
  finalizeDraft(ctx, invoice, at, AUTOMATIC);
  attemptInvoice(ctx, invoice, sub, customer, at, AUTOMATIC);
}

/** A subscription's drafts that Stripe will finalize on its own, oldest first. */
export function scheduledDrafts(ctx: Ctx, subId: string): Stripe.Invoice[] {
  return [...ctx.state.invoices.values()].filter(
    (i) => i.status === 'draft' && i.auto_advance === true && i.automatically_finalizes_at !== null && i.parent?.subscription_details?.subscription === subId,
  );
}
