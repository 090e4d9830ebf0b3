import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import type { Ctx, Origin } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { expand, expandList } from '../expand';
import type { FormObject } from '../form';
import { cancelNow } from '../flows/billing';
import { advanceClock } from '../flows/clock';
import { timeForCustomer } from '../flows/time';
import { idParam, listUrl, origin, params } from '../http';
import { nowSeconds } from '../ids';
import { matching, newestFirst, paginate } from '../list';
import { buildCustomer, buildPrice, buildTestClock, planFromPrice, subscriptionItem } from '../objects/billing';
import { expandList as expandParam, metadataParam, optBool, optString, rejectUnknown, reqInt } from '../params';
import { parseItemChange, type ItemChange } from './subscription-item-params';
import { parsePauseCollection } from './pause-collection-param';
import { getOr404 } from './payments';
import { registerInvoiceActions } from './invoice-actions';

function updateSubscription(ctx: Ctx, sub: Stripe.Subscription, p: FormObject, o: Origin): Stripe.Subscription {
  rejectUnknown(p, ['cancel_at_period_end', 'metadata', 'items', 'proration_behavior', 'pause_collection', 'expand']);
  if (sub.status === 'canceled') throw invalidRequest('A canceled subscription can only update its metadata.', 'cancel_at_period_end');
  const previous: Record<string, unknown> = {};
  const item = subscriptionItem(sub);
  const change = parseItemChange(ctx.state, sub, item, p);
  if (change) {
    previous.items = structuredClone(sub.items);
    applyItemChange(item, change, timeForCustomer(ctx, String(sub.customer)));
  }
  const cancelAtEnd = optBool(p, 'cancel_at_period_end');
  if (cancelAtEnd !== undefined && cancelAtEnd !== sub.cancel_at_period_end) {
    Object.assign(previous, { cancel_at_period_end: sub.cancel_at_period_end, cancel_at: sub.cancel_at, canceled_at: sub.canceled_at });
    sub.cancel_at_period_end = cancelAtEnd;
    sub.cancel_at = cancelAtEnd ? item.current_period_end : null;
    sub.canceled_at = cancelAtEnd ? timeForCustomer(ctx, String(sub.customer)) : null;
  }
  const pause = parsePauseCollection(p, timeForCustomer(ctx, String(sub.customer)));
  if (pause !== undefined && JSON.stringify(pause) !== JSON.stringify(sub.pause_collection)) {
    previous.pause_collection = sub.pause_collection;
    sub.pause_collection = pause;
  }
  if (p.metadata !== undefined) {
    previous.metadata = { ...sub.metadata };
    sub.metadata = metadataParam(p, 'metadata', 'metadata', sub.metadata);
  }
  ctx.emit('customer.subscription.updated', sub, { origin: o, previous, created: timeForCustomer(ctx, String(sub.customer)) });
  ctx.changed();
  return sub;
}

/**
 * The item's new quantity or price (a new Price of the same product, as Stripe makes one for
 * `price_data`); the next invoice charges it, nothing is charged now (no prorations).
 */
function applyItemChange(item: Stripe.SubscriptionItem, change: ItemChange, at: number): void {
  if (change.quantity !== undefined) item.quantity = change.quantity;
  if (change.price) {
    item.price = buildPrice(change.price.line, at, change.price.product);
    item.plan = planFromPrice(item.price);
  }
}

function registerCustomers(app: FastifyInstance, ctx: Ctx): void {
  app.post('/v1/customers', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['email', 'name', 'metadata', 'test_clock', 'description', 'expand']);
    const testClock = optString(p, 'test_clock') ?? null;
    if (testClock && !ctx.state.testClocks.has(testClock)) throw resourceMissing('test_helpers.test_clock', testClock, 'test_clock');
    const created = testClock ? (ctx.state.testClocks.get(testClock)?.frozen_time ?? nowSeconds()) : nowSeconds();
    const customer = buildCustomer({
      email: optString(p, 'email', 'email', 512) ?? null,
      name: optString(p, 'name', 'name', 256) ?? null,
      metadata: metadataParam(p),
      testClock,
      created,
    });
    ctx.state.customers.set(customer.id, customer);
    ctx.emit('customer.created', customer, { origin: origin(req), created });
    ctx.changed();
    return expand(ctx.state, customer, expandParam(p));
  });
  app.get('/v1/customers/:id', async (req) =>
    expand(ctx.state, getOr404(ctx.state.customers, idParam(req), 'customer'), expandParam(params(req))));
}

function registerSubscriptions(app: FastifyInstance, ctx: Ctx): void {
  const get = (id: string) => getOr404(ctx.state.subscriptions, id, 'subscription');
  app.get('/v1/subscriptions/:id', async (req) => expand(ctx.state, get(idParam(req)), expandParam(params(req))));
  app.get('/v1/subscriptions', async (req) => {
    const p = params(req);
    const keep = matching<Stripe.Subscription>(p, { customer: (x) => x.customer, status: (x) => x.status });
    return expandList(ctx.state, paginate(newestFirst(ctx.state.subscriptions), p, listUrl(req), keep), expandParam(p));
  });
  app.post('/v1/subscriptions/:id', async (req) => {
    const p = params(req);
    return expand(ctx.state, updateSubscription(ctx, get(idParam(req)), p, origin(req)), expandParam(p));
  });
  app.delete('/v1/subscriptions/:id', async (req) => {
    const sub = get(idParam(req));
    if (sub.status === 'canceled') throw invalidRequest(`No such active subscription: '${sub.id}'`, undefined, 'resource_missing');
    cancelNow(ctx, sub, timeForCustomer(ctx, String(sub.customer)), origin(req));
    return sub;
  });
  app.get('/v1/invoices/:id', async (req) =>
    expand(ctx.state, getOr404(ctx.state.invoices, idParam(req), 'invoice'), expandParam(params(req))));
  app.get('/v1/invoices', async (req) => {
    const p = params(req);
    const keep = matching<Stripe.Invoice>(p, {
      customer: (x) => x.customer,
      subscription: (x) => x.parent?.subscription_details?.subscription,
      status: (x) => x.status,
    });
    return expandList(ctx.state, paginate(newestFirst(ctx.state.invoices), p, listUrl(req), keep), expandParam(p));
  });
}

function registerTestClocks(app: FastifyInstance, ctx: Ctx): void {
  const get = (id: string) => getOr404(ctx.state.testClocks, id, 'test_helpers.test_clock');
  app.post('/v1/test_helpers/test_clocks', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['frozen_time', 'name', 'expand']);
    const clock = buildTestClock(reqInt(p, 'frozen_time'), optString(p, 'name', 'name', 300) ?? null, nowSeconds());
    ctx.state.testClocks.set(clock.id, clock);
    ctx.emit('test_helpers.test_clock.created', clock, { origin: origin(req) });
    ctx.changed();
    return clock;
  });
  app.get('/v1/test_helpers/test_clocks/:id', async (req) => get(idParam(req)));
  app.post('/v1/test_helpers/test_clocks/:id/advance', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['frozen_time', 'expand']);
    const clock = get(idParam(req));
    advanceClock(ctx, clock, reqInt(p, 'frozen_time'), origin(req));
    return clock;
  });
}

export function registerBilling(app: FastifyInstance, ctx: Ctx): void {
  registerCustomers(app, ctx);
  registerSubscriptions(app, ctx);
  registerTestClocks(app, ctx);
  registerInvoiceActions(app, ctx);
}
