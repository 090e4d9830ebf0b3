import Stripe from 'stripe';
import type { EmitOptions } from './context';
import { newId, nowSeconds } from './ids';
import type { State } from './store';

const MAX_EVENTS = 50_000;

// Builds a Stripe Event around a snapshot of the object, so later changes don't leak into it.
export function createEvent(
  state: State,
  type: string,
  object: object,
  pendingWebhooks: number,
  opts: EmitOptions = {},
): Stripe.Event {
  const event = {
    id: newId('evt'),
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: opts.created ?? nowSeconds(),
    data: {
      object: structuredClone(object),
      ...(opts.previous ? { previous_attributes: structuredClone(opts.previous) } : {}),
    },
    livemode: false,
    pending_webhooks: pendingWebhooks,
    request: { id: opts.origin?.id ?? null, idempotency_key: opts.origin?.idempotencyKey ?? null },
    type,
  } as unknown as Stripe.Event;
  state.events.set(event.id, event);
  if (state.events.size > MAX_EVENTS) {
    const oldest = state.events.keys().next().value;
    if (oldest !== undefined) state.events.delete(oldest);
  }
  return event;
}
