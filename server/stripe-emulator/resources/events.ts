import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import type { Ctx } from '../context';
import { idParam, listUrl, params } from '../http';
import { createdFilter, newestFirst, paginate } from '../list';
import { optArray, optString } from '../params';
import { getOr404 } from './payments';

/** Stripe's `type` filter accepts one trailing wildcard, e.g. `charge.*`. */
function typeMatcher(pattern: string): (t: string) => boolean {
  if (pattern.endsWith('.*')) return (t) => t.startsWith(pattern.slice(0, -1));
  return (t) => t === pattern;
}

export function registerEvents(app: FastifyInstance, ctx: Ctx): void {
  app.get('/v1/events/:id', async (req) => getOr404(ctx.state.events, idParam(req), 'event'));
  app.get('/v1/events', async (req) => {
    const p = params(req);
    const created = createdFilter(p);
    const one = optString(p, 'type');
    const many = (optArray(p, 'types') ?? []).map(String);
    const matchers = [...(one ? [one] : []), ...many].map(typeMatcher);
    const keep = (e: Stripe.Event) => created(e.created) && (matchers.length === 0 || matchers.some((m) => m(e.type)));
    return paginate(newestFirst(ctx.state.events), p, listUrl(req), keep);
  });
}
