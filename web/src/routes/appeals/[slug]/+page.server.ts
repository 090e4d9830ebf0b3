import { fail, redirect } from '@sveltejs/kit';
import { randomUUID } from 'node:crypto';
import type { Actions, PageServerLoad } from './$types';
import { apiGet, pageAfter } from '$lib/server/api';
import { donationError, giftAmount, GiftError } from '$lib/server/gift';
import { giftStartValues } from '$lib/server/gift-start-values';
import { keepResumeKey, resumeKeyOf } from '$lib/server/gift-resume-cookie';
import { startGift, type GiftRequest } from '$lib/server/start-gift';
import { saidTimeZone } from '$lib/time-zone';
import type { AppealDetail, AppealUpdateList, DonorWall } from '$lib/types';
import { formText, formTextShown, typedEmail, readForm } from '$lib/server/form-text';

/** Updates shown at once; "Earlier updates" pages back through the rest with the API's cursor. */
const updatesPerPage = 10;

/** One page of the appeal's updates, newest first: the page after `cursor` (from ?updates=), or the newest. */
function loadUpdates(fetch: typeof globalThis.fetch, slug: string, cursor: string | null): Promise<AppealUpdateList & { cursor: string | null }> {
  const path = `/api/appeals/${slug}/updates?limit=${updatesPerPage}`;
  return pageAfter(fetch, path, cursor, () => apiGet<AppealUpdateList>(fetch, path));
}

export const load: PageServerLoad = async ({ fetch, params, locals, url, cookies, setHeaders }) => {
  const slug = encodeURIComponent(params.slug);
  const [appeal, wall, updates] = await Promise.all([
    apiGet<AppealDetail>(fetch, `/api/appeals/${slug}`),
    apiGet<DonorWall>(fetch, `/api/appeals/${slug}/wall?limit=20`),
    loadUpdates(fetch, slug, url.searchParams.get('updates')),
  ]);
  const canceled = url.searchParams.has('canceled');
  // Back from Checkout the page holds what the donor typed, for her browser alone: no cache keeps it.
  if (canceled) setHeaders({ 'cache-control': 'no-store' });
  return {
    appeal,
    donors: wall.donors,
    updates,
    locale: locals.locale,
    nowMs: Date.now(),
    pageUrl: `${url.origin}/appeals/${params.slug}`,
    requestKey: randomUUID(),
    canceled,
    startValues: await giftStartValues(fetch, appeal, { url, signedInEmail: locals.user?.email, locale: locals.locale, resumeKey: resumeKeyOf(cookies) }),
  };
};


export const actions: Actions = {
  // Works without JavaScript: a plain POST, then a 303 to Stripe Checkout.
  donate: async ({ request, fetch, params, locals, cookies }) => {
    const form = await readForm(request);
    const values = Object.fromEntries([...form.entries()].filter(([k]) => k !== 'requestKey').map(([k, v]) => [k, String(v).slice(0, 600)]));
    const appeal = await apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`);
    let amountMinor: bigint;
    try {
      amountMinor = giftAmount(form, appeal, locals.locale);
    } catch (err) {
      if (err instanceof GiftError) return fail(400, { values, error: err.message, field: err.field });
      throw err;
    }
    const email = typedEmail(form);
    if (!email) return fail(400, { values, ...donationError('email_missing', appeal, locals.locale) });
    const gift: GiftRequest = {
      amountMinor: amountMinor.toString(),
      frequency: form.get('monthly') ? 'monthly' : 'one_off',
      coverFees: Boolean(form.get('coverFees')),
      anonymous: Boolean(form.get('anonymous')),
      updatesOptIn: Boolean(form.get('updates')),
      donorName: formTextShown(form, 'name') || undefined,
      donorEmail: email,
      message: formTextShown(form, 'message') || undefined,
      locale: locals.locale,
      timeZone: saidTimeZone(cookies) ?? undefined,
      // The region this page wrote its numbers in (es-MX), so the receipt writes them the same way.
      formatLocale: locals.formatLocale !== locals.locale ? locals.formatLocale : undefined,
    };
    const started = await startGift(fetch, params.slug, formText(form, 'requestKey'), gift);
    if ('error' in started) {
      const details = Array.isArray(started.error.details) ? started.error.details : [];
      // The field the API refused, said as that field's own message.
      const refusedField = (path: string) => details.some((d) => d.path === path);
      const code =
        started.status === 429 ? 'rate_limited' : refusedField('/donorEmail') ? 'email_invalid' : refusedField('/donorName') ? 'name_invalid' : refusedField('/message') ? 'message_invalid' : started.error.code;
      return fail(started.status === 429 ? 429 : 400, { values, ...donationError(code, appeal, locals.locale, gift.coverFees) });
    }
    if (started.resume) keepResumeKey(cookies, params.slug, started.resume);
    redirect(303, started.location);
  },
};
