import type Stripe from 'stripe';
import { cardFields, errorSummary, escapeHtml, layout, type PageState } from './checkout-page';
import { formatAmount } from './fees';
import { subscriptionItem } from './objects/billing';
import type { StoredCard } from './store';

const TEST_CARDS = `<aside aria-labelledby="cards-h"><h2 id="cards-h">Test cards</h2><ul>
<li><code>4242 4242 4242 4242</code> is saved and pays</li>
<li><code>4000 0000 0000 0341</code> is saved, but every charge to it fails</li>
<li><code>4000 0000 0000 0002</code> is declined and not saved</li></ul>
<p class="hint">Use any future expiry date, any 3-digit CVC and any name.</p></aside>`;

export interface PortalView {
  session: Stripe.BillingPortal.Session;
  subscriptions: { sub: Stripe.Subscription; card: StoredCard | undefined; dueMinor: number | null }[];
}

function subscriptionLine(v: PortalView['subscriptions'][number]): string {
  const item = subscriptionItem(v.sub);
  const amount = formatAmount((item.price.unit_amount ?? 0) * (item.quantity ?? 1), v.sub.currency);
  const card = v.card ? ` · card ending ${escapeHtml(v.card.info.last4)}` : '';
  const due = (v.sub.status === 'past_due' || v.sub.status === 'unpaid') && v.dueMinor !== null
    ? `<p class="error">Payment past due: ${escapeHtml(formatAmount(v.dueMinor, v.sub.currency))}. A new card pays it now.</p>`
    : '';
  return `<li>${escapeHtml(amount)} per ${escapeHtml(item.price.recurring?.interval ?? 'month')}${card}${due}</li>`;
}

// The customer portal's one page here: the subscriptions and a form for a new card. Plain HTML
// that works without JavaScript, with the checkout page's fields and error summary.
export function renderPortal(view: PortalView, state: PageState): string {
  const { session } = view;
  const subs = view.subscriptions.length === 0
    ? '<p>No active subscriptions.</p>'
    : `<ul>${view.subscriptions.map(subscriptionLine).join('')}</ul>`;
  const form = `<form method="post" action="/p/session/${encodeURIComponent(session.id)}" novalidate>
<h2>Update your card</h2>
${cardFields(state)}
<button type="submit">Save card</button></form>`;
  const back = session.return_url ? `<a class="cancel" href="${escapeHtml(session.return_url)}">Return without changes</a>` : '';
  const hasErrors = Boolean(state.formError) || Object.keys(state.fieldErrors).length > 0;
  return layout(`${hasErrors ? 'Error: ' : ''}Manage your payments`, `<h1>Manage your payments</h1>
<section aria-labelledby="subs-h"><h2 id="subs-h">Subscriptions</h2>${subs}</section>${errorSummary(state)}${form}${back}${TEST_CARDS}`);
}

export function renderPortalGone(): string {
  return layout('Session expired', '<h1>This portal session has expired</h1><p role="status">Go back and open the portal again.</p>');
}
