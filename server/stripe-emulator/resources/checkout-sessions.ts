import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import type { Ctx } from '../context';
import { invalidRequest } from '../errors';
import { expand, expandList } from '../expand';
import type { FormObject } from '../form';
import { testExchangeRate } from '../fx';
import { expireIfDue, expireSession, getSession } from '../flows/checkout';
import { idParam, listUrl, origin, params } from '../http';
import { newId, nowSeconds } from '../ids';
import { inListOrder, matching, newestFirst, paginate } from '../list';
import { buildSession, sessionLineItems } from '../objects/session';
import { expandList as expandParam, optInt } from '../params';
import { parseSessionInput } from './checkout-params';

function expiresAt(p: FormObject, now: number): number {
  const v = optInt(p, 'expires_at');
  if (v === undefined) return now + 24 * 3600;
  if (v < now + 30 * 60 || v > now + 24 * 3600) {
    throw invalidRequest('The `expires_at` timestamp must be between 30 minutes and 24 hours from now.', 'expires_at');
  }
  return v;
}

export function registerCheckoutSessions(app: FastifyInstance, ctx: Ctx): void {
  app.post('/v1/checkout/sessions', async (req) => {
    const p = params(req);
    const input = parseSessionInput(ctx.state, p);
    const currency = input.spec.lines[0]?.currency;
    if (ctx.settlementCurrency && currency && !testExchangeRate(currency, ctx.settlementCurrency)) {
      throw invalidRequest(`The emulator has no test exchange rate from ${currency} to the account's settlement currency ${ctx.settlementCurrency}.`, 'line_items', 'currency_not_supported');
    }
    const now = nowSeconds();
    const id = newId('cs_test', 58);
    const session = buildSession({
      ...input,
      id,
      lines: input.spec.lines,
      url: `${ctx.publicUrl}/checkout/${id}`,
      created: now,
      expiresAt: expiresAt(p, now),
    });
    ctx.state.sessions.set(id, session);
    ctx.state.sessionSpecs.set(id, input.spec);
    ctx.changed();
    return expand(ctx.state, session, expandParam(p));
  });

  app.get('/v1/checkout/sessions', async (req) => {
    const p = params(req);
    const fields = matching<Stripe.Checkout.Session>(p, {
      payment_intent: (s) => s.payment_intent,
      customer: (s) => s.customer,
      subscription: (s) => s.subscription,
      status: (s) => s.status,
    });
    // A session past its expiry is expired as it is read, before its status is compared.
    const keep = (s: Stripe.Checkout.Session) => {
      expireIfDue(ctx, s);
      return fields(s);
    };
    return expandList(ctx.state, paginate(newestFirst(ctx.state.sessions), p, listUrl(req), keep), expandParam(p));
  });

  app.get('/v1/checkout/sessions/:id', async (req) => expand(ctx.state, getSession(ctx, idParam(req)), expandParam(params(req))));

  app.post('/v1/checkout/sessions/:id/expire', async (req) => {
    const session = getSession(ctx, idParam(req));
    expireSession(ctx, session, origin(req));
    return expand(ctx.state, session, expandParam(params(req)));
  });

  app.get('/v1/checkout/sessions/:id/line_items', async (req) => {
    const session = getSession(ctx, idParam(req));
    const data = sessionLineItems(session.id, ctx.state.sessionSpecs.get(session.id)?.lines ?? []);
    return paginate(inListOrder(data), params(req), listUrl(req));
  });
}
