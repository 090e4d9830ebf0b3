import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';
import type { AppealDetail, DonationPublic } from '$lib/types';

/** How long the page waits for Stripe's confirmation of a gift, and how often it looks without JavaScript. */
const pendingWaitSeconds = 120;
const refreshSeconds = 3;

export const load: PageServerLoad = async ({ fetch, params, url, locals }) => {
  const id = url.searchParams.get('donation') ?? '';
  if (!/^[0-9a-f-]{36}$/.test(id)) error(404, 'No such gift.');
  const [donation, appeal] = await Promise.all([
    apiGet<DonationPublic>(fetch, `/api/donations/${id}`),
    apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`),
  ]);
  if (donation.appealSlug !== params.slug) error(404, 'No such gift.');
  // Without JavaScript the page refreshes itself while the gift is pending, counting the seconds in
  // its address: past the wait, it stops and says what the donor can expect instead.
  const waited = Math.min(Math.max(Number.parseInt(url.searchParams.get('waited') ?? '0', 10) || 0, 0), pendingWaitSeconds);
  const next = new URLSearchParams(url.searchParams);
  next.set('waited', String(waited + refreshSeconds));
  return {
    donation,
    appeal,
    // `again`: the donate form sent here a gift that was already paid, instead of charging it twice.
    again: url.searchParams.has('again'),
    waitedTooLong: waited >= pendingWaitSeconds,
    pendingWaitSeconds,
    refresh: `${refreshSeconds}; url=?${next}`,
    locale: locals.locale,
    nowMs: Date.now(),
    pageUrl: `${url.origin}/appeals/${params.slug}`,
  };
};
