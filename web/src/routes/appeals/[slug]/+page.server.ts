import { fail, redirect } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';
import type { AppealDetail } from '$lib/types';
import { parseAmount, MoneyError } from '../../../../../server/ledger/money';

export const load: PageServerLoad = async ({ fetch, params, locals, url }) => {
  const appeal = await apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`);
  return { appeal, locale: locals.locale, requestKey: randomUUID(), canceled: url.searchParams.has('canceled') };
};

const field = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

/** The gift in minor units: whole units for a unit appeal, else an amount typed the local way. */
function giftAmount(form: FormData, appeal: AppealDetail, locale: string): bigint {
  if (appeal.unit) {
    const units = field(form, 'units');
    if (!/^\d{1,7}$/.test(units) || units === '0') throw new MoneyError('money.invalid_amount', `Give a whole number of ${appeal.unit.name}s.`);
    return BigInt(units) * BigInt(appeal.unit.priceMinor);
  }
  return parseAmount(field(form, 'amount'), appeal.currency, locale);
}

export const actions: Actions = {
  // Works without JavaScript: a plain POST, then a 303 to Stripe Checkout.
  donate: async ({ request, fetch, params, locals }) => {
    const form = await request.formData();
    const values = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]));
    const appeal = await apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`);
    let amountMinor: bigint;
    try {
      amountMinor = giftAmount(form, appeal, locals.locale);
    } catch (err) {
      return fail(400, { values, error: err instanceof Error ? err.message : 'That amount is not valid.' });
    }
    const res = await fetch(`/api/appeals/${encodeURIComponent(params.slug)}/donations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        amountMinor: amountMinor.toString(),
        frequency: form.get('monthly') ? 'monthly' : 'one_off',
        coverFees: Boolean(form.get('coverFees')),
        anonymous: Boolean(form.get('anonymous')),
        donorName: field(form, 'name') || undefined,
        donorEmail: field(form, 'email'),
        message: field(form, 'message') || undefined,
        locale: locals.locale,
        idempotencyKey: field(form, 'requestKey') || randomUUID(),
      }),
    });
    const body = (await res.json()) as { checkoutUrl?: string; error?: { message: string; details?: { path: string; message: string }[] } };
    if (!res.ok || !body.checkoutUrl) {
      const detail = body.error?.details?.[0];
      const message = detail?.path === '/donorEmail' ? 'Please give an email address for your receipt.' : (body.error?.message ?? 'The gift could not be started.');
      return fail(res.status === 429 ? 429 : 400, { values, error: message });
    }
    redirect(303, body.checkoutUrl);
  },
};
