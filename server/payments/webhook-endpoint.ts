import Stripe from 'stripe';
import { handlers } from './handlers/index';

/** Where Stripe delivers this app's events, under its public origin. */
export const webhookUrl = (publicUrl: string) => `${publicUrl.replace(/\/$/, '')}/api/stripe/webhook`;

/** The events the poster handles, which the endpoint must send (sorted, for a stable comparison). */
export const neededEvents = (): Stripe.WebhookEndpointCreateParams.EnabledEvent[] =>
  Object.keys(handlers).sort() as Stripe.WebhookEndpointCreateParams.EnabledEvent[];

export type EndpointOutcome =
  | { outcome: 'created'; endpoint: Stripe.WebhookEndpoint; secret: string }
  | { outcome: 'unchanged' | 'events_added'; endpoint: Stripe.WebhookEndpoint; added: string[] }
  | { outcome: 'wrong_api_version'; endpoint: Stripe.WebhookEndpoint };

/**
 * The webhook endpoint this app needs, at Stripe: made with the events the poster handles and the
 * API version the SDK reads, or, when one for the URL exists, given the events it lacks (a new
 * version of the app may handle more). Stripe cannot change an endpoint's API version: one made
 * in another is reported, for the operator to replace.
 */
export async function ensureWebhookEndpoint(stripe: Stripe, publicUrl: string): Promise<EndpointOutcome> {
  const url = webhookUrl(publicUrl);
  const events = neededEvents();
  const existing = (await stripe.webhookEndpoints.list({ limit: 100 })).data.find((e) => e.url === url);
  if (!existing) {
    const endpoint = await stripe.webhookEndpoints.create({
      url,
      enabled_events: events,
      api_version: Stripe.API_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion,
      description: 'solidarity-fund: gifts, refunds, disputes and payouts into the ledger',
    });
    return { outcome: 'created', endpoint, secret: endpoint.secret! };
  }
  if (existing.api_version !== Stripe.API_VERSION) return { outcome: 'wrong_api_version', endpoint: existing };
  if (existing.enabled_events.includes('*')) return { outcome: 'unchanged', endpoint: existing, added: [] };
  const added = events.filter((e) => !existing.enabled_events.includes(e));
  if (added.length === 0) return { outcome: 'unchanged', endpoint: existing, added };
  const endpoint = await stripe.webhookEndpoints.update(existing.id, { enabled_events: [...existing.enabled_events, ...added] as Stripe.WebhookEndpointUpdateParams.EnabledEvent[] });
  return { outcome: 'events_added', endpoint, added };
}
