import type Stripe from 'stripe';
import { formatAmount } from './fees';
import type { LineSpec } from './store';

export interface FieldErrors {
  email?: string;
  card_number?: string;
  card_expiry?: string;
  card_cvc?: string;
  card_name?: string;
}

export interface PageState {
  /** Values to put back after an error; the card number and CVC are never echoed. */
  values: { email?: string; card_expiry?: string; card_name?: string };
  fieldErrors: FieldErrors;
  /** A payment-level error such as a decline. */
  formError?: string;
}

const FIELD_ORDER: Array<keyof FieldErrors> = ['email', 'card_number', 'card_expiry', 'card_cvc', 'card_name'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a2e;background:#f4f5f7}
.banner{margin:0;padding:.5rem 1rem;background:#5b2a86;color:#fff;font-weight:700;text-align:center}
main{max-width:32rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.05rem;margin:1rem 0 .5rem}
section,form,aside{background:#fff;border:1px solid #d0d3da;border-radius:8px;padding:1rem;margin-bottom:1rem}
ul{padding-left:1.2rem;margin:.25rem 0}.total{font-size:1.2rem;margin:.5rem 0 0}
.field{margin-bottom:.9rem}label{display:block;font-weight:600;margin-bottom:.25rem}
input{width:100%;padding:.65rem;font:inherit;border:1px solid #767a85;border-radius:6px}
input[aria-invalid=true]{border:2px solid #b00020}input:focus,button:focus,a:focus,.alert:focus{outline:3px solid #1f6feb;outline-offset:2px}
.row{display:flex;gap:.75rem}.row .field{flex:1}.error{color:#b00020;margin:.25rem 0 0;font-weight:600}
.alert{border:2px solid #b00020;background:#fdecee;border-radius:8px;padding:.75rem 1rem;margin-bottom:1rem}
button{width:100%;padding:.8rem;font:inherit;font-weight:700;color:#fff;background:#1a7f37;border:0;border-radius:6px;cursor:pointer}
.cancel{display:inline-block;margin:.5rem 0 1rem}.hint{color:#4a4f5c;font-size:.9rem}`;

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Stripe emulator (test mode)</title><style>${STYLE}</style></head>
<body><header><p class="banner">Stripe emulator — test mode. No real money moves.</p></header><main>${body}</main></body></html>`;
}

function cadence(line: LineSpec): string {
  if (!line.recurring) return '';
  const { interval, intervalCount } = line.recurring;
  return intervalCount === 1 ? ` per ${interval}` : ` every ${intervalCount} ${interval}s`;
}

export function summary(session: Stripe.Checkout.Session, lines: LineSpec[]): string {
  const currency = session.currency ?? 'usd';
  const items = lines
    .map((l) => `<li>${escapeHtml(l.name)} × ${l.quantity} — ${escapeHtml(formatAmount(l.unitAmount * l.quantity, currency))}${cadence(l)}</li>`)
    .join('');
  const total = escapeHtml(formatAmount(session.amount_total ?? 0, currency));
  return `<section aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2><ul>${items}</ul>
<p class="total">Total: <strong>${total}</strong>${lines[0] ? cadence(lines[0]) : ''}</p></section>`;
}

export function field(name: keyof FieldErrors, label: string, attrs: string, state: PageState, value = ''): string {
  const error = state.fieldErrors[name];
  const described = error ? ` aria-invalid="true" aria-describedby="${name}-error"` : '';
  const errorHtml = error ? `<p class="error" id="${name}-error">${escapeHtml(error)}</p>` : '';
  return `<div class="field"><label for="${name}">${label}</label>
<input id="${name}" name="${name}" ${attrs} value="${escapeHtml(value)}"${described}>${errorHtml}</div>`;
}

export function errorSummary(state: PageState): string {
  const fields = FIELD_ORDER.filter((f) => state.fieldErrors[f]);
  if (!state.formError && fields.length === 0) return '';
  const items = fields.map((f) => `<li><a href="#${f}">${escapeHtml(state.fieldErrors[f] ?? '')}</a></li>`).join('');
  const head = state.formError ? `<p><strong>${escapeHtml(state.formError)}</strong></p>` : '<p><strong>Please check the form.</strong></p>';
  // The page has no script: autofocus takes the reader to the errors once the page is back, as the
  // summary pattern asks, so a screen reader reads them first and the links lead to each field.
  return `<div class="alert" role="alert" tabindex="-1" id="errors" autofocus>${head}${items ? `<ul>${items}</ul>` : ''}</div>`;
}

/** The card's fields (number, expiry, CVC, name), as the checkout page and the portal both ask for them. */
export function cardFields(state: PageState): string {
  return `${field('card_number', 'Card number', 'inputmode="numeric" autocomplete="cc-number" required placeholder="1234 1234 1234 1234" maxlength="23"', state)}
<div class="row">
${field('card_expiry', 'Expiry (MM / YY)', 'inputmode="numeric" autocomplete="cc-exp" required placeholder="MM / YY" maxlength="7"', state, state.values.card_expiry)}
${field('card_cvc', 'CVC', 'inputmode="numeric" autocomplete="cc-csc" required placeholder="123" maxlength="4"', state)}
</div>
${field('card_name', 'Name on card', 'autocomplete="cc-name" required maxlength="200"', state, state.values.card_name)}`;
}
