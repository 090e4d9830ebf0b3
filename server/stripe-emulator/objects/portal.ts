import type Stripe from 'stripe';
import { newId } from '../ids';

/** A customer portal session: `url` is the hosted page where the customer manages their card. */
export function buildPortalSession(a: { customer: string; returnUrl: string | null; flow?: Stripe.BillingPortal.Session.Flow | null; created: number; publicUrl: string }): Stripe.BillingPortal.Session {
  const id = newId('bps');
  return {
    id,
    object: 'billing_portal.session',
    configuration: 'bpc_emulator_default',
    created: a.created,
    customer: a.customer,
    customer_account: null,
    flow: a.flow ?? null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: a.returnUrl,
    url: `${a.publicUrl}/p/session/${id}`,
  };
}
