import { fail, redirect } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';
import { donationError, giftAmount, GiftError } from '$lib/server/gift';
import type { AppealDetail, DonorWall } from '$lib/types';

export const load: PageServerLoad = async ({ fetch, params, locals, url }) => {
  const slug = encodeURIComponent(params.slug);
  const [appeal, wall] = await Promise.all([apiGet<AppealDetail>(fetch, `/api/appeals/${slug}`), apiGet<DonorWall>(fetch, `/api/appeals/${slug}/wall?limit=20`)]);
  return {
    appeal,
    donors: wall.donors,
    locale: locals.locale,
    nowMs: Date.now(),
    pageUrl: `${url.origin}/appeals/${params.slug}`,
    requestKey: randomUUID(),
    canceled: url.searchParams.has('canceled'),
  };
};

const field = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

export const actions: Actions = {
  // Works without JavaScript: a plain POST, then a 303 to Stripe Checkout.
  donate: async ({ request, fetch, params, locals }) => {
    const form = await request.formData();
    const values = Object.fromEntries([...form.entries()].filter(([k]) => k !== 'requestKey').map(([k, v]) => [k, String(v).slice(0, 600)]));
    const appeal = await apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`);
    let amountMinor: bigint;
    try {
      amountMinor = giftAmount(form, appeal, locals.locale);
    } catch (err) {
      if (err instanceof GiftError) return fail(400, { values, error: err.message, field: err.field });
      throw err;
    }
    const email = field(form, 'email');
    if (!email) return fail(400, { values, ...donationError('email_missing', appeal, locals.locale) });
    const res = await fetch(`/api/appeals/${encodeURIComponent(params.slug)}/donations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        amountMinor: amountMinor.toString(),
        frequency: form.get('monthly') ? 'monthly' : 'one_off',
        coverFees: Boolean(form.get('coverFees')),
        anonymous: Boolean(form.get('anonymous')),
        updatesOptIn: Boolean(form.get('updates')),
        donorName: field(form, 'name') || undefined,
        donorEmail: email,
        message: field(form, 'message') || undefined,
        locale: locals.locale,
        idempotencyKey: /^[A-Za-z0-9_-]{8,100}$/.test(field(form, 'requestKey')) ? field(form, 'requestKey') : randomUUID(),
      }),
    });
    const body = (await res.json()) as { checkoutUrl?: string; error?: { code?: string; details?: { path?: string }[] } };
    if (!res.ok || !body.checkoutUrl) {
      const code = res.status === 429 ? 'rate_limited' : body.error?.details?.some((d) => d.path === '/donorEmail') ? 'email_invalid' : (body.error?.code ?? 'unknown');
      return fail(res.status === 429 ? 429 : 400, { values, ...donationError(code, appeal, locals.locale) });
    }
    redirect(303, body.checkoutUrl);
  },
};
