import Stripe from 'stripe';
import { readableApiVersion } from './api-version';
import { handlers } from './handlers/index';

/** Where Stripe delivers this app's events, under its public origin. */
export const webhookUrl = (publicUrl: string) => `${publicUrl.replace(/\/$/, '')}/api/stripe/webhook`;

/** The events the poster handles, which the endpoint must send (sorted, for a stable comparison). */
const neededEvents = (): Stripe.WebhookEndpointCreateParams.EnabledEvent[] =>
  Object.keys(handlers).sort() as Stripe.WebhookEndpointCreateParams.EnabledEvent[];

export type EndpointOutcome =
  | { outcome: 'created'; endpoint: Stripe.WebhookEndpoint; secret: string }
  | { outcome: 'unchanged' | 'events_added'; endpoint: Stripe.WebhookEndpoint; added: string[]; reenabled: boolean }
  | { outcome: 'wrong_api_version'; endpoint: Stripe.WebhookEndpoint; added: string[]; reenabled: boolean };

/**
 * The webhook endpoint this app needs, at Stripe: made with the events the poster handles and the
 * API version the SDK reads, or, when one for the URL exists, given the events it lacks (a new
 * version of the app may handle more) and enabled again if Stripe disabled it (after days of
 * failed deliveries). Stripe cannot change an endpoint's API version: one of another release
 * (or the account's default) is reported, for the operator to replace; a later version of the
 * same release reads the same. It is still brought up to date: the poster reads its events'
 * objects again in the app's version.
 */
export async function ensureWebhookEndpoint(stripe: Stripe, publicUrl: string): Promise<EndpointOutcome> {
  const url = webhookUrl(publicUrl);
  const events = neededEvents();
  const existing = (await stripe.webhookEndpoints.list({ limit: 100 }).autoPagingToArray({ limit: 10_000 })).find((e) => e.url === url);
  if (!existing) {
    const endpoint = await stripe.webhookEndpoints.create({
      url,
      enabled_events: events,
      api_version: Stripe.API_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion,
      description: 'solidarity-fund: gifts, refunds, disputes and payouts into the ledger',
    });
    return { outcome: 'created', endpoint, secret: endpoint.secret! };
  }
  const added = existing.enabled_events.includes('*') ? [] : events.filter((e) => !existing.enabled_events.includes(e));
  const reenabled = existing.status === 'disabled';
  const endpoint =
    added.length === 0 && !reenabled
      ? existing
      : await stripe.webhookEndpoints.update(existing.id, {
          ...(added.length > 0 ? { enabled_events: [...existing.enabled_events, ...added] as Stripe.WebhookEndpointUpdateParams.EnabledEvent[] } : {}),
          ...(reenabled ? { disabled: false } : {}),
        });
  // Its events are still read (each object again, one more request each): worth replacing.
  if (!existing.api_version || !readableApiVersion(existing.api_version)) return { outcome: 'wrong_api_version', endpoint, added, reenabled };
  return { outcome: added.length > 0 ? 'events_added' : 'unchanged', endpoint, added, reenabled };
}
