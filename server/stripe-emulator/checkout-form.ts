import type Stripe from 'stripe';
import { cardFields, errorSummary, field, layout, summary, escapeHtml, type PageState } from './checkout-page';
import { formatAmount } from './fees';
import type { LineSpec } from './store';

const TEST_CARDS = `<aside aria-labelledby="cards-h"><h2 id="cards-h">Test cards</h2><ul>
<li><code>4242 4242 4242 4242</code> pays</li><li><code>4000 0000 0000 0002</code> is declined</li>
<li><code>4000 0000 0000 0259</code> pays, then is disputed</li>
<li><code>4000 0000 0000 1976</code> pays, then its bank asks about it (an inquiry)</li></ul>
<p class="hint">Use any future expiry date, any 3-digit CVC and any name.</p></aside>`;

// The payment form: plain HTML that works without JavaScript, labelled fields, errors linked to them.
export function renderCheckoutForm(session: Stripe.Checkout.Session, lines: LineSpec[], state: PageState): string {
  const total = formatAmount(session.amount_total ?? 0, session.currency ?? 'usd');
  const needsEmail = !session.customer_email && !session.customer;
  const v = state.values;
  const form = `<form method="post" action="/checkout/${encodeURIComponent(session.id)}" novalidate>
${needsEmail ? field('email', 'Email', 'type="email" autocomplete="email" required', state, v.email) : ''}
${cardFields(state)}
<button type="submit">Pay ${escapeHtml(total)}</button></form>`;
  const cancel = session.cancel_url ? `<a class="cancel" href="${escapeHtml(session.cancel_url)}">Cancel and go back</a>` : '';
  const who = session.customer_email ? `<p>Paying as ${escapeHtml(session.customer_email)}</p>` : '';
  const hasErrors = Boolean(state.formError) || Object.keys(state.fieldErrors).length > 0;
  return layout(`${hasErrors ? 'Error: ' : ''}Pay ${total}`, `<h1>Pay ${escapeHtml(total)}</h1>${who}${summary(session, lines)}${errorSummary(state)}${form}${cancel}${TEST_CARDS}`);
}

export function renderClosed(session: Stripe.Checkout.Session): string {
  if (session.status === 'complete') {
    const link = session.success_url ? `<p><a href="${escapeHtml(successRedirect(session))}">Continue</a></p>` : '';
    return layout('Payment complete', `<h1>Thank you — payment complete</h1><p role="status">This checkout is paid.</p>${link}`);
  }
  const back = session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Go back</a></p>` : '';
  return layout('Checkout expired', `<h1>This checkout has expired</h1><p role="status">Start again from the appeal page.</p>${back}`);
}

export function successRedirect(session: Stripe.Checkout.Session): string {
  return (session.success_url ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
}
