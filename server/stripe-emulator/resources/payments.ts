import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import type { Ctx } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { expand, expandList } from '../expand';
import { updateDisputeEvidence } from '../flows/dispute';
import { createRefund } from '../flows/refund';
import { idParam, listUrl, origin, params } from '../http';
import { matching, newestFirst, paginate } from '../list';
import { expandList as expandParam, metadataParam, optBool, optInt, optObject, optString, rejectUnknown } from '../params';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export function getOr404<T>(map: Map<string, T>, id: string, name: string): T {
  const found = map.get(id);
  if (!found) throw resourceMissing(name, id);
  return found;
}

// PaymentIntents, Charges, Refunds and Disputes: reads, plus refund creation.
export function registerPayments(app: FastifyInstance, ctx: Ctx): void {
  const s = () => ctx.state;
  app.get('/v1/payment_intents/:id', async (req) =>
    expand(s(), getOr404(s().paymentIntents, idParam(req), 'payment_intent'), expandParam(params(req))));
  app.get('/v1/charges/:id', async (req) => expand(s(), getOr404(s().charges, idParam(req), 'charge'), expandParam(params(req))));
  app.get('/v1/charges', async (req) => {
    const p = params(req);
    const keep = matching<Stripe.Charge>(p, { payment_intent: (c) => c.payment_intent, customer: (c) => c.customer });
    return expandList(s(), paginate(newestFirst(s().charges), p, listUrl(req), keep), expandParam(p));
  });
  app.get('/v1/refunds/:id', async (req) => expand(s(), getOr404(s().refunds, idParam(req), 'refund'), expandParam(params(req))));
  app.get('/v1/refunds', async (req) => {
    const p = params(req);
    const keep = matching<Stripe.Refund>(p, { charge: (r) => r.charge, payment_intent: (r) => r.payment_intent });
    return expandList(s(), paginate(newestFirst(s().refunds), p, listUrl(req), keep), expandParam(p));
  });
  app.post('/v1/refunds', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['charge', 'payment_intent', 'amount', 'metadata', 'reason', 'expand']);
    const reason = optString(p, 'reason');
    if (reason !== undefined && !(REASONS as readonly string[]).includes(reason)) {
      throw invalidRequest(`Invalid reason: must be one of ${REASONS.join(', ')}`, 'reason');
    }
    const refund = createRefund(
      ctx,
      {
        charge: optString(p, 'charge'),
        paymentIntent: optString(p, 'payment_intent'),
        amount: optInt(p, 'amount'),
        metadata: metadataParam(p),
        reason: (reason ?? null) as Stripe.Refund.Reason | null,
      },
      origin(req),
    );
    return expand(s(), refund, expandParam(p));
  });
  app.get('/v1/disputes/:id', async (req) => expand(s(), getOr404(s().disputes, idParam(req), 'dispute'), expandParam(params(req))));
  // What a treasurer does in Stripe's Dashboard: answer a dispute with evidence (text fields only).
  app.post('/v1/disputes/:id', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['evidence', 'submit', 'metadata', 'expand']);
    const given = optObject(p, 'evidence') ?? {};
    const evidence = Object.fromEntries(Object.keys(given).map((k) => [k, optString(given, k, `evidence[${k}]`) ?? '']));
    const dispute = updateDisputeEvidence(ctx, idParam(req), { evidence, metadata: p.metadata === undefined ? undefined : metadataParam(p), submit: optBool(p, 'submit') ?? true }, origin(req));
    return expand(s(), dispute, expandParam(p));
  });
  app.get('/v1/disputes', async (req) => {
    const p = params(req);
    const keep = matching<Stripe.Dispute>(p, { charge: (d) => d.charge, payment_intent: (d) => d.payment_intent });
    return expandList(s(), paginate(newestFirst(s().disputes), p, listUrl(req), keep), expandParam(p));
  });
}
