import type { FastifyInstance, FastifyReply } from 'fastify';
import { AUTOMATIC, type Ctx } from '../context';
import { readCardForm } from '../card-input';
import { renderCheckoutForm, renderClosed, successRedirect } from '../checkout-form';
import { html, notFoundPage } from '../hosted-html';
import { StripeApiError } from '../errors';
import { paySession } from '../flows/checkout';
import type { FormObject } from '../form';
import { getSession } from '../flows/checkout';

function notFound(reply: FastifyReply): FastifyReply {
  return notFoundPage(reply, 'Checkout not found', 'This link is not a checkout of this emulator.');
}

// The hosted checkout page: GET shows the form, POST pays through the same path as the test control.
export function registerHostedCheckout(app: FastifyInstance, ctx: Ctx): void {
  app.get('/checkout/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (!ctx.state.sessions.has(id)) return notFound(reply);
    const session = getSession(ctx, id);
    if (session.status !== 'open') return html(reply, 200, renderClosed(session));
    const lines = ctx.state.sessionSpecs.get(id)?.lines ?? [];
    return html(reply, 200, renderCheckoutForm(session, lines, { values: {}, fieldErrors: {} }));
  });

  app.post('/checkout/:id', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (!ctx.state.sessions.has(id)) return notFound(reply);
    const session = getSession(ctx, id);
    if (session.status !== 'open') return html(reply, 409, renderClosed(session));
    const lines = ctx.state.sessionSpecs.get(id)?.lines ?? [];
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as FormObject;
    const form = readCardForm(body, !session.customer_email && !session.customer);
    if (!form.ok) return html(reply, 422, renderCheckoutForm(session, lines, form.state));
    const result = paySessionSafely(ctx, id, form);
    if (!result.ok) {
      const state = { values: { email: form.email ?? '', card_name: form.name }, fieldErrors: {}, formError: result.message };
      return html(reply, 402, renderCheckoutForm(session, lines, state));
    }
    if (session.success_url) return reply.code(303).header('location', successRedirect(session)).send();
    return html(reply, 200, renderClosed(session));
  });
}

function paySessionSafely(ctx: Ctx, id: string, form: Extract<ReturnType<typeof readCardForm>, { ok: true }>) {
  try {
    return paySession(ctx, id, { card: form.card, name: form.name, email: form.email }, AUTOMATIC);
  } catch (err) {
    if (err instanceof StripeApiError) return { ok: false as const, message: err.message };
    throw err;
  }
}
