import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../errors';
import { newId, nowSeconds } from '../ids';
import type { FormObject } from '../form';
import { idParam, params } from '../http';
import { metadataParam, optArray, optBool, optString, rejectUnknown, reqString } from '../params';
import type { WebhookDispatcher } from '../webhooks';

/**
 * Webhook endpoints, as an operator makes one (`stripe.webhookEndpoints.create`): the emulator
 * delivers to the newest one while it is enabled, only the events it enabled. Kept in memory (the
 * events still owed are saved with the state). Events are rendered in the SDK's API version only,
 * so an endpoint may ask for a version of that release or none.
 */
export function registerWebhookEndpoints(app: FastifyInstance, dispatcher: WebhookDispatcher): void {
  const endpoints = new Map<string, Stripe.WebhookEndpoint>();
  let newest: string | null = null;
  // Deliveries go to the newest endpoint while it is enabled.
  const deliverTo = (endpoint: Stripe.WebhookEndpoint) => {
    if (endpoint.id !== newest) return;
    dispatcher.setEndpoint(endpoint.status === 'enabled' ? { url: endpoint.url, secret: endpoint.secret!, enabledEvents: endpoint.enabled_events } : null);
  };
  // The secret is shown only when the endpoint is made, as Stripe does.
  const withoutSecret = ({ secret: _secret, ...endpoint }: Stripe.WebhookEndpoint) => endpoint;
  app.post('/v1/webhook_endpoints', async (req) => {
    const p = params(req);
    rejectUnknown(p, ['url', 'enabled_events', 'api_version', 'description', 'metadata', 'connect', 'expand']);
    const url = reqString(p, 'url', 'url', 5000);
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw invalidRequest('Invalid URL: the URL must be http(s).', 'url', 'url_invalid');
    const enabled = enabledEvents(p);
    if (enabled === undefined) throw invalidRequest('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
    const apiVersion = optString(p, 'api_version');
    // Another version of the SDK's release reads the same; the emulator renders that one.
    if (apiVersion !== undefined && apiVersion.split('.')[1] !== Stripe.API_VERSION.split('.')[1]) {
      throw invalidRequest(`The emulator renders events in ${Stripe.API_VERSION} only.`, 'api_version');
    }
    if (optBool(p, 'connect')) throw invalidRequest('The emulator has no connected accounts.', 'connect');
    const endpoint = {
      id: newId('we'),
      object: 'webhook_endpoint',
      api_version: apiVersion ?? null,
      application: null,
      created: nowSeconds(),
      description: optString(p, 'description') ?? null,
      enabled_events: enabled,
      livemode: false,
      metadata: metadataParam(p),
      secret: newId('whsec', 32),
      status: 'enabled',
      url,
    } as Stripe.WebhookEndpoint;
    endpoints.set(endpoint.id, endpoint);
    newest = endpoint.id;
    deliverTo(endpoint);
    return endpoint;
  });
  // Stripe lets the URL, the events and the status change; the API version stays as made.
  app.post('/v1/webhook_endpoints/:id', async (req) => {
    const endpoint = endpoints.get(idParam(req));
    if (!endpoint) throw resourceMissing('webhook_endpoint', idParam(req));
    const p = params(req);
    rejectUnknown(p, ['enabled_events', 'disabled', 'description', 'metadata', 'expand']);
    const enabled = enabledEvents(p);
    if (enabled !== undefined) endpoint.enabled_events = enabled;
    const disabled = optBool(p, 'disabled');
    if (disabled !== undefined) endpoint.status = disabled ? 'disabled' : 'enabled';
    deliverTo(endpoint);
    const description = optString(p, 'description');
    if (description !== undefined) endpoint.description = description;
    if (p.metadata !== undefined) endpoint.metadata = metadataParam(p, 'metadata', 'metadata', endpoint.metadata);
    return withoutSecret(endpoint);
  });
  app.get('/v1/webhook_endpoints', async () => ({ object: 'list', data: [...endpoints.values()].reverse().map(withoutSecret), has_more: false, url: '/v1/webhook_endpoints' }));
  app.get('/v1/webhook_endpoints/:id', async (req) => {
    const endpoint = endpoints.get(idParam(req));
    if (!endpoint) throw resourceMissing('webhook_endpoint', idParam(req));
    return withoutSecret(endpoint);
  });
}

/** The `enabled_events` asked for, each an event type or `*`; undefined when the parameter is absent. */
function enabledEvents(p: FormObject): string[] | undefined {
  const enabled = optArray(p, 'enabled_events')?.map(String);
  if (enabled === undefined) return undefined;
  if (enabled.length === 0 || enabled.some((e) => e !== '*' && !/^[a-z_]+(\.[a-z_]+)+$/.test(e))) throw invalidRequest('Invalid enabled_events: not an event type.', 'enabled_events');
  return enabled;
}
