import type { FastifyInstance, FastifyReply } from 'fastify';
import type Stripe from 'stripe';
import { readCardForm } from '../card-input';
import type { Ctx } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { expand } from '../expand';
import { billingSubscriptions, updateCustomerCard } from '../flows/portal';
import { openInvoices } from '../flows/invoice-payment';
import type { FormObject } from '../form';
import { html, notFoundPage } from '../hosted-html';
import { params } from '../http';
import { nowSeconds } from '../ids';
import { buildPortalSession } from '../objects/portal';
import { expandList as expandParam, optString, rejectUnknown, reqString } from '../params';
import { afterSavedUrl, portalFlowParam } from '../portal-flow';
import { renderPortal, renderPortalGone, type PortalView } from '../portal-page';

/** How long a portal session's link works (real time), like Stripe's short-lived portal links. */
const SESSION_TTL_SECONDS = 3600;

function validUrl(raw: string, path: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
  } catch {
    // reported below
  }
  throw invalidRequest('Not a valid URL', path, 'url_invalid');
}

function returnUrlParam(p: FormObject): string | null {
  const raw = optString(p, 'return_url', 'return_url', 2048);
  return raw === undefined ? null : validUrl(raw, 'return_url');
}

function view(ctx: Ctx, session: Stripe.BillingPortal.Session): PortalView {
  return {
    session,
    subscriptions: billingSubscriptions(ctx, session.customer).map((sub) => ({
      sub,
      card: ctx.state.subscriptionCards.get(sub.id),
      dueMinor: openInvoices(ctx, sub.id).reduce<number | null>((sum, i) => (sum ?? 0) + i.amount_remaining, null),
    })),
  };
}

function liveSession(ctx: Ctx, id: string): Stripe.BillingPortal.Session | 'gone' | undefined {
  const session = ctx.state.portalSessions.get(id);
  if (!session) return undefined;
  return nowSeconds() - session.created > SESSION_TTL_SECONDS ? 'gone' : session;
}

// The customer portal: the API makes a session, and its hosted page takes a new card.
export function registerBillingPortal(app: FastifyInstance, ctx: Ctx): void {
  app.post('/v1/billing_portal/sessions', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['customer', 'return_url', 'flow_data', 'locale', 'expand']);
    const customer = reqString(p, 'customer');
    if (!ctx.state.customers.has(customer)) throw resourceMissing('customer', customer, 'customer');
    const session = buildPortalSession({ customer, returnUrl: returnUrlParam(p), flow: portalFlowParam(p, validUrl), created: nowSeconds(), publicUrl: ctx.publicUrl });
    ctx.state.portalSessions.set(session.id, session);
    ctx.changed();
    return expand(ctx.state, session, expandParam(p));
  });

  const page = async (id: string, reply: FastifyReply, body?: FormObject) => {
    const session = liveSession(ctx, id);
    if (!session) return notFoundPage(reply, 'Portal session not found', 'This link is not a portal session of this emulator.');
    if (session === 'gone') return html(reply, 410, renderPortalGone());
    if (!body) return html(reply, 200, renderPortal(view(ctx, session), { values: {}, fieldErrors: {} }));
    const form = readCardForm(body, false);
    if (!form.ok) return html(reply, 422, renderPortal(view(ctx, session), form.state));
    const customer = ctx.state.customers.get(session.customer);
    if (!customer) throw new Error(`portal session ${session.id} has no customer`);
    const result = updateCustomerCard(ctx, customer, form.card);
    if (!result.ok) {
      const state = { values: { card_name: form.name }, fieldErrors: {}, formError: result.message };
      return html(reply, 402, renderPortal(view(ctx, session), state));
    }
    const saved = afterSavedUrl(session);
    if (saved) return reply.code(303).header('location', saved).send();
    return html(reply, 200, renderPortal(view(ctx, session), { values: {}, fieldErrors: {} }));
  };
  app.get('/p/session/:id', async (req, reply) => page((req.params as { id: string }).id, reply));
  app.post('/p/session/:id', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as FormObject;
    return page((req.params as { id: string }).id, reply, body);
  });
}
