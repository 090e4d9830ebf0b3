import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';
import type { AppealDetail, DonationPublic } from '$lib/types';

export const load: PageServerLoad = async ({ fetch, params, url, locals }) => {
  const id = url.searchParams.get('donation') ?? '';
  if (!/^[0-9a-f-]{36}$/.test(id)) error(404, 'No such gift.');
  const [donation, appeal] = await Promise.all([
    apiGet<DonationPublic>(fetch, `/api/donations/${id}`),
    apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`),
  ]);
  if (donation.appealSlug !== params.slug) error(404, 'No such gift.');
  // `again`: the donate form sent here a gift that was already paid, instead of charging it twice.
  return { donation, appeal, again: url.searchParams.has('again'), locale: locals.locale, nowMs: Date.now(), pageUrl: `${url.origin}/appeals/${params.slug}` };
};
