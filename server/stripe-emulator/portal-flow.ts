import type Stripe from 'stripe';
import type { FormObject } from './form';
import { invalidRequest } from './errors';
import { optObject, optString, rejectUnknown, reqString } from './params';

/**
 * A portal session's `flow_data`, the subset we use: a `payment_method_update` flow, whose page
 * is the card form, and what happens once a card is saved. Stripe sends the customer to
 * `after_completion.redirect.return_url` after a completed flow and to the session's `return_url`
 * by its "return" link, so the app can tell a saved card from a customer who left without one.
 */
export function portalFlowParam(p: FormObject, validUrl: (raw: string, path: string) => string): Stripe.BillingPortal.Session.Flow | null {
  const flow = optObject(p, 'flow_data');
  if (!flow) return null;
  rejectUnknown(flow, ['type', 'after_completion']);
  const type = reqString(flow, 'type', 'flow_data[type]');
  if (type !== 'payment_method_update') throw invalidRequest(`The emulator supports only flow_data[type]=payment_method_update, not ${type}.`, 'flow_data[type]');
  return { type, after_completion: afterCompletion(optObject(flow, 'after_completion', 'flow_data[after_completion]'), validUrl), customer_update: null, subscription_cancel: null, subscription_pause: null, subscription_update: null, subscription_update_confirm: null };
}

function afterCompletion(a: FormObject | undefined, validUrl: (raw: string, path: string) => string): Stripe.BillingPortal.Session.Flow.AfterCompletion {
  const none = { hosted_confirmation: null, redirect: null };
  if (!a) return { ...none, type: 'portal_homepage' };
  rejectUnknown(a, ['type', 'redirect', 'hosted_confirmation']);
  const type = reqString(a, 'type', 'flow_data[after_completion][type]');
  if (type === 'portal_homepage') return { ...none, type };
  if (type === 'hosted_confirmation') return { ...none, type, hosted_confirmation: { custom_message: optString(optObject(a, 'hosted_confirmation') ?? {}, 'custom_message') ?? null } };
  if (type !== 'redirect') throw invalidRequest(`Invalid flow_data[after_completion][type]: ${type}`, 'flow_data[after_completion][type]');
  const path = 'flow_data[after_completion][redirect][return_url]';
  const redirect = optObject(a, 'redirect', 'flow_data[after_completion][redirect]') ?? {};
  return { ...none, type, redirect: { return_url: validUrl(reqString(redirect, 'return_url', path, 2048), path) } };
}

/** Where the browser goes once a card is saved: the flow's redirect, else the session's return URL. */
export function afterSavedUrl(session: Stripe.BillingPortal.Session): string | null {
  return session.flow?.after_completion.redirect?.return_url ?? session.return_url;
}
