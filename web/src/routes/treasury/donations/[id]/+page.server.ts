import { error, fail, redirect } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { MoneyError, parseAmount } from '../../../../../../server/ledger/money';
import { apiSend, signInPath } from '$lib/server/api';
import { treasurerGet, type DonationDetail } from '$lib/server/treasury';
import { amountExample, formatMinor } from '$lib/format';
import { m } from '$lib/paraglide/messages';

const reasons = ['requested_by_customer', 'duplicate', 'fraudulent'] as const;

export const load: PageServerLoad = async ({ fetch, params, url, locals }) => {
  if (!locals.user) redirect(303, signInPath(url));
  if (!/^[0-9a-f-]{36}$/.test(params.id)) error(404, 'No such gift.');
  const gift = await treasurerGet<DonationDetail>(fetch, `/api/donations/${params.id}/detail`, url);
  // A fresh key per rendered form: the same form sent twice (a double click, a resubmit) refunds once.
  return { gift, refundKey: randomUUID(), reasons, locale: locals.locale };
};

export const actions: Actions = {
  refund: async ({ request, fetch, params, locals }) => {
    const form = await request.formData();
    const typed = String(form.get('amount') ?? '').trim().slice(0, 40);
    const reason = String(form.get('reason') ?? '');
    const key = String(form.get('idempotencyKey') ?? '');
    const currency = String(form.get('currency') ?? '');
    const values = { amount: typed, reason };
    if (!/^[A-Za-z0-9_-]{8,100}$/.test(key) || !/^[A-Z]{3}$/.test(currency)) return fail(400, { values, error: m.error_generic_text() });
    let amountMinor: string | undefined;
    if (typed) {
      try {
        amountMinor = parseAmount(typed, currency, locals.locale).toString();
      } catch (err) {
        if (!(err instanceof MoneyError)) throw err;
        return fail(400, { values, error: m.appeal_error_amount({ example: amountExample(currency, locals.locale) }) });
      }
    }
    const sent = await apiSend<{ refundId: string; amountMinor: string; status: string | null }>(fetch, 'POST', `/api/donations/${params.id}/refund`, {
      amountMinor,
      reason: (reasons as readonly string[]).includes(reason) ? reason : 'requested_by_customer',
      idempotencyKey: key,
    });
    if (!sent.ok) {
      const error =
        sent.error.code === 'donation.refund_too_large'
          ? m.refund_error_too_large()
          : sent.error.code === 'donation.not_refundable'
            ? m.refund_error_not_refundable()
            : sent.error.code === 'auth.forbidden'
              ? m.error_forbidden()
              : m.refund_error_failed();
      return fail(sent.status === 409 ? 409 : 400, { values, error });
    }
    return { refunded: formatMinor(sent.body.amountMinor, currency, locals.locale) };
  },
};
