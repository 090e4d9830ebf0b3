import type { FastifyInstance } from 'fastify';
import type { Ctx } from '../context';
import { invalidRequest } from '../errors';
import { expand } from '../expand';
import { finalizeDraft, voidInvoice } from '../flows/invoice-lifecycle';
import { attemptInvoice } from '../flows/invoice-payment';
import { timeForCustomer } from '../flows/time';
import { idParam, origin, params } from '../http';
import { expandList, optBool, rejectUnknown } from '../params';
import { getOr404 } from './payments';

/*
 * What the API can do to a subscription's invoice before it is paid: finalize a draft (optionally
 * with auto_advance=false, so Stripe attempts nothing), and void a finalized one. Stripe's
 * transitions: docs.stripe.com/invoicing/integration/workflow-transitions. A subscription's invoice
 * cannot be deleted (docs.stripe.com/api/invoices/delete), so no DELETE here.
 */
export function registerInvoiceActions(app: FastifyInstance, ctx: Ctx): void {
  const get = (id: string) => getOr404(ctx.state.invoices, id, 'invoice');
  const now = (customer: unknown) => timeForCustomer(ctx, String(customer));

  // POST /v1/invoices/:id/finalize (auto_advance, expand): draft → open, invoice.finalized. With
  // auto_advance true (a subscription invoice's own) Stripe goes on to collect it: the emulator
  // attempts its payment at once; with false it stays open, unattempted.
  app.post('/v1/invoices/:id/finalize', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['auto_advance', 'expand']);
    const invoice = get(idParam(req));
    const autoAdvance = optBool(p, 'auto_advance') ?? invoice.auto_advance ?? false;
    const at = now(invoice.customer);
    finalizeDraft(ctx, invoice, at, origin(req), autoAdvance);
    const subId = invoice.parent?.subscription_details?.subscription;
    const sub = typeof subId === 'string' ? ctx.state.subscriptions.get(subId) : undefined;
    const customer = ctx.state.customers.get(String(invoice.customer));
    if (autoAdvance && sub && customer) attemptInvoice(ctx, invoice, sub, customer, at, origin(req));
    return expand(ctx.state, invoice, expandList(p));
  });

  // POST /v1/invoices/:id (auto_advance, expand): an open invoice held with auto_advance=false is
  // handed back to Stripe's collection with auto_advance=true, which attempts its payment (at once
  // here, as a finalize with auto_advance does). A draft keeps it for its own hour.
  app.post('/v1/invoices/:id', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['auto_advance', 'expand']);
    const invoice = get(idParam(req));
    const autoAdvance = optBool(p, 'auto_advance');
    if (autoAdvance !== undefined && invoice.status !== 'draft' && invoice.status !== 'open') {
      throw invalidRequest(`You cannot change auto_advance of an invoice whose status is ${invoice.status ?? 'unknown'}.`, 'auto_advance', 'invoice_not_editable');
    }
    const resumes = autoAdvance === true && invoice.auto_advance === false && invoice.status === 'open' && invoice.attempt_count === 0;
    if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
    const at = now(invoice.customer);
    ctx.emit('invoice.updated', invoice, { origin: origin(req), created: at });
    const subId = invoice.parent?.subscription_details?.subscription;
    const sub = typeof subId === 'string' ? ctx.state.subscriptions.get(subId) : undefined;
    const customer = ctx.state.customers.get(String(invoice.customer));
    if (resumes && sub && customer) attemptInvoice(ctx, invoice, sub, customer, at, origin(req));
    ctx.changed();
    return expand(ctx.state, invoice, expandList(p));
  });

  // POST /v1/invoices/:id/void (expand): open or uncollectible → void, invoice.voided.
  app.post('/v1/invoices/:id/void', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['expand']);
    const invoice = get(idParam(req));
    voidInvoice(ctx, invoice, now(invoice.customer), origin(req));
    return expand(ctx.state, invoice, expandList(p));
  });
}
