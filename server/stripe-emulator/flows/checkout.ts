import type Stripe from 'stripe';
import type { Ctx, Origin } from '../context';
import { invalidRequest, resourceMissing } from '../errors';
import { nowSeconds } from '../ids';
import type { StoredCard } from '../store';
import { attemptPayment } from './charge';
import { startSubscription } from './billing';
import { timeForCustomer } from './time';

export interface Payer {
  card: StoredCard;
  name: string | null;
  email: string | null;
}

export type PayResult = { ok: true; session: Stripe.Checkout.Session } | { ok: false; message: string; code: string; declineCode: string };

export function getSession(ctx: Ctx, id: string): Stripe.Checkout.Session {
  const session = ctx.state.sessions.get(id);
  if (!session) throw resourceMissing('checkout.session', id);
  expireIfDue(ctx, session);
  return session;
}

/** Stripe expires open sessions at `expires_at`; the emulator does it when a session is next touched. */
export function expireIfDue(ctx: Ctx, session: Stripe.Checkout.Session): void {
  if (session.status === 'open' && session.expires_at <= nowSeconds()) expireSession(ctx, session, null);
}

export function expireSession(ctx: Ctx, session: Stripe.Checkout.Session, origin: Origin | null): void {
  if (session.status !== 'open') {
    throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired.`, undefined, 'checkout_session_not_open');
  }
  session.status = 'expired';
  session.url = null;
  ctx.emit('checkout.session.expired', session, { origin: origin ?? undefined });
  ctx.changed();
}

// The single path for paying a session: the hosted form and controls.payCheckoutSession both land here.
export function paySession(ctx: Ctx, sessionId: string, payer: Payer, origin: Origin): PayResult {
  const session = getSession(ctx, sessionId);
  if (session.status !== 'open') {
    throw invalidRequest('This Checkout Session is no longer active.', undefined, 'checkout_session_not_open');
  }
  const spec = ctx.state.sessionSpecs.get(session.id);
  if (!spec) throw new Error(`session ${session.id} has no stored line items`);
  const email = session.customer_email ?? payer.email;
  if (session.mode === 'subscription') {
    const result = startSubscription(ctx, session, spec, { ...payer, email }, origin);
    if (!result.ok) return result;
  } else {
    const existing = typeof session.payment_intent === 'string' ? ctx.state.paymentIntents.get(session.payment_intent) : undefined;
    const customer = typeof session.customer === 'string' ? session.customer : null;
    const result = attemptPayment(ctx, {
      amount: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      customer,
      description: spec.paymentIntentDescription,
      metadata: spec.paymentIntentMetadata,
      receiptEmail: email,
      card: payer.card,
      billingName: payer.name,
      at: timeForCustomer(ctx, customer),
      origin,
      existing,
    });
    session.payment_intent = result.pi.id;
    if (!result.ok) return result;
  }
  complete(ctx, session, payer, email, origin);
  return { ok: true, session };
}

function complete(ctx: Ctx, session: Stripe.Checkout.Session, payer: Payer, email: string | null, origin: Origin): void {
  session.status = 'complete';
  session.payment_status = 'paid';
  session.url = null;
  session.customer_details = {
    address: null,
    business_name: null,
    email,
    individual_name: null,
    name: payer.name,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  const customer = typeof session.customer === 'string' ? session.customer : null;
  ctx.emit('checkout.session.completed', session, { origin, created: timeForCustomer(ctx, customer) });
  ctx.changed();
}
