import { error, fail } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { MoneyError, parseAmount, stripeStepMinor } from '../../../../../../server/ledger/money';
import { apiSend, signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { stripeStepShown } from '$lib/server/stripe-step';
import { treasurerGet, type DonationDetail } from '$lib/server/treasury';
import { amountExample, formatMinor } from '$lib/format';
import { m } from '$lib/paraglide/messages';
import { readForm } from '$lib/server/form-text';

const reasons = ['requested_by_customer', 'duplicate', 'fraudulent'] as const;
type Reason = (typeof reasons)[number];
const keyPattern = /^[A-Za-z0-9_-]{8,100}$/;

export const load: PageServerLoad = async ({ fetch, params, url, locals }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  if (!/^[0-9a-f-]{36}$/.test(params.id)) error(404, 'No such gift.');
  const gift = await treasurerGet<DonationDetail>(fetch, `/api/donations/${params.id}/detail`, url);
  // A fresh key per rendered form: the same form sent twice (a double click, a resubmit) refunds once.
  return { gift, refundKey: randomUUID(), reasons, locale: locals.locale };
};

function reasonOf(form: FormData): Reason {
  const reason = String(form.get('reason') ?? '');
  return (reasons as readonly string[]).includes(reason) ? (reason as Reason) : 'requested_by_customer';
}

/**
 * The API's refusals that mean the gift is not what the page showed (refunded meanwhile, perhaps in
 * another tab): the page loads the gift again with the refusal, else it offers money that is gone.
 */
const giftChangedCodes = new Set([
  'donation.nothing_to_refund',
  'donation.refund_too_large',
  'donation.not_refundable',
  'donation.refund_in_progress',
  'donation.refund_key_reused',
  'donation.refund_ask_expired',
  'donation.refund_unreconciled',
]);

/** The API's refusal of a refund as a sentence the treasurer can act on. */
function refundRefusal(code: string, details: unknown, currency: string, locale: string): string {
  const refundable = (details as { refundableMinor?: unknown } | undefined)?.refundableMinor;
  switch (code) {
    case 'donation.refund_too_large':
      return typeof refundable === 'string' && /^\d{1,19}$/.test(refundable) ? m.refund_error_too_large({ amount: formatMinor(refundable, currency, locale) }) : m.refund_error_failed();
    case 'donation.refund_not_positive':
      return m.refund_error_not_positive();
    case 'donation.nothing_to_refund':
      return m.refund_error_nothing_left();
    case 'donation.not_refundable':
      return m.refund_error_not_refundable();
    case 'donation.refund_in_progress':
      return m.refund_error_in_progress();
    case 'donation.refund_not_payable':
      return m.refund_error_not_payable({ step: stripeStepShown(currency, locale) });
    case 'donation.refund_unreconciled':
      return m.refund_error_unreconciled();
    case 'donation.refund_key_reused':
    case 'donation.refund_ask_expired':
      return m.refund_error_start_again();
    case 'payment_provider.refused':
      return m.refund_error_refused();
    case 'auth.forbidden':
      return m.error_forbidden();
    default:
      return m.refund_error_failed();
  }
}

export const actions: Actions = {
  /**
   * The first step: what the treasurer asks for (an amount, or explicitly the whole gift), checked
   * against what the gift still allows, and shown back for confirmation. Nothing leaves yet.
   */
  review: async ({ request, fetch, params, url, locals }) => {
    if (!locals.user) needsSignIn(locals, signInPath(url));
    const form = await readForm(request);
    const typed = String(form.get('amount') ?? '').trim().slice(0, 40);
    const whole = form.get('whole') === 'on';
    const reason = reasonOf(form);
    const key = String(form.get('idempotencyKey') ?? '');
    const values = { amount: typed, reason, whole };
    if (!keyPattern.test(key) || !/^[0-9a-f-]{36}$/.test(params.id)) return fail(400, { values, error: m.error_generic_text() });
    const gift = await treasurerGet<DonationDetail>(fetch, `/api/donations/${params.id}/detail`, url);
    if (!gift) return fail(403, { values, error: m.error_forbidden() });
    const refundable = BigInt(gift.refundableMinor);
    // Refused on figures newer than the page's: `changed` has the page load the gift again.
    if (refundable === 0n) return fail(409, { values, error: m.refund_error_nothing_left(), changed: true });
    if (whole && typed) return fail(400, { values, error: m.refund_error_both() });
    if (!whole && !typed) return fail(400, { values, error: m.refund_error_choose() });
    let amountMinor = refundable;
    if (!whole) {
      try {
        amountMinor = parseAmount(typed, gift.currency, locals.formatLocale);
      } catch (err) {
        if (!(err instanceof MoneyError)) throw err;
        return fail(400, { values, error: m.appeal_error_amount({ example: amountExample(gift.currency, locals.locale) }) });
      }
      if (amountMinor <= 0n) return fail(400, { values, error: m.refund_error_not_positive() });
      if (amountMinor > refundable) return fail(400, { values, error: m.refund_error_too_large({ amount: formatMinor(refundable.toString(), gift.currency, locals.locale) }), changed: true });
      const step = stripeStepMinor(gift.currency);
      if (amountMinor % step !== 0n) return fail(400, { values, error: m.refund_error_not_payable({ step: stripeStepShown(gift.currency, locals.locale) }) });
    }
    return { values, review: { amountMinor: amountMinor.toString(), reason, key } };
  },

  /**
   * The second step, from the confirmation: the amount reviewed, in minor units, under the key the
   * form was rendered with (a second click of the same confirmation refunds once).
   */
  refund: async ({ request, fetch, params, url, locals }) => {
    if (!locals.user) needsSignIn(locals, signInPath(url));
    const form = await readForm(request);
    const amountMinor = String(form.get('amountMinor') ?? '');
    const key = String(form.get('idempotencyKey') ?? '');
    const currency = String(form.get('currency') ?? '');
    const reason = reasonOf(form);
    const values = { amount: '', reason, whole: false };
    if (!keyPattern.test(key) || !/^[A-Z]{3}$/.test(currency)) return fail(400, { values, error: m.error_generic_text() });
    // Only a reviewed amount is refunded: never an empty field taken for "everything".
    if (!/^\d{1,15}$/.test(amountMinor)) return fail(400, { values, error: m.refund_error_choose() });
    const sent = await apiSend<{ refundId: string; amountMinor: string; status: string | null }>(fetch, 'POST', `/api/donations/${params.id}/refund`, {
      amountMinor,
      reason,
      idempotencyKey: key,
    });
    if (!sent.ok) {
      const error = refundRefusal(sent.error.code, sent.error.details, currency, locals.locale);
      return fail(sent.status === 409 ? 409 : 400, { values, error, changed: giftChangedCodes.has(sent.error.code) });
    }
    return { refunded: formatMinor(sent.body.amountMinor, currency, locals.locale) };
  },
};
