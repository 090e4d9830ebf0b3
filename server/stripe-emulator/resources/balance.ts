import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import type { Ctx } from '../context';
import { invalidRequest } from '../errors';
import { expand, expandList } from '../expand';
import { cancelPayout, computeBalance, createPayout } from '../flows/balance';
import { idParam, listUrl, origin, params } from '../http';
import { matching, newestFirst, paginate } from '../list';
import { expandList as expandParam, metadataParam, optString, rejectUnknown, reqInt, reqString } from '../params';
import { getOr404 } from './payments';

// Balance, balance transactions and payouts: what reconciliation reads.
export function registerBalance(app: FastifyInstance, ctx: Ctx): void {
  const s = () => ctx.state;
  app.get('/v1/balance', async () => computeBalance(ctx));
  app.get('/v1/balance_transactions/:id', async (req) =>
    expand(s(), getOr404(s().balanceTransactions, idParam(req), 'balance_transaction'), expandParam(params(req))));
  app.get('/v1/balance_transactions', async (req) => {
    const p = params(req);
    const fields = matching<Stripe.BalanceTransaction>(p, { type: (t) => t.type, currency: (t) => t.currency, source: (t) => t.source });
    const payout = optString(p, 'payout');
    if (payout !== undefined && !s().payouts.has(payout)) throw invalidRequest(`No such payout: '${payout}'`, 'payout', 'resource_missing');
    const keep = payout === undefined ? fields : (t: Stripe.BalanceTransaction) => fields(t) && s().btPayout.get(t.id) === payout;
    return expandList(s(), paginate(newestFirst(s().balanceTransactions), p, listUrl(req), keep), expandParam(p));
  });
  app.post('/v1/payouts', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['amount', 'currency', 'description', 'metadata', 'method', 'statement_descriptor', 'expand']);
    const method = optString(p, 'method');
    if (method !== undefined && method !== 'standard') throw invalidRequest('The emulator supports standard payouts only.', 'method');
    const payout = createPayout(
      ctx,
      {
        amount: reqInt(p, 'amount'),
        currency: reqString(p, 'currency').toLowerCase(),
        description: optString(p, 'description', 'description', 1000) ?? null,
        metadata: metadataParam(p),
      },
      origin(req),
    );
    return expand(s(), payout, expandParam(p));
  });
  app.post('/v1/payouts/:id/cancel', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['expand']);
    return expand(s(), cancelPayout(ctx, idParam(req), origin(req)), expandParam(p));
  });
  app.get('/v1/payouts/:id', async (req) => expand(s(), getOr404(s().payouts, idParam(req), 'payout'), expandParam(params(req))));
  app.get('/v1/payouts', async (req) => {
    const p = params(req);
    return expandList(s(), paginate(newestFirst(s().payouts), p, listUrl(req), matching(p, { status: (x) => x.status })), expandParam(p));
  });
}
