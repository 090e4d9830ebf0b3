import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { apiGet } from '$lib/server/api';
import type { AppealDetail, DonationPublic } from '$lib/types';
import { forgetResumeKey } from '$lib/server/gift-resume-cookie';

/** How long the page waits for Stripe's confirmation of a gift before it says what to expect instead. */
const pendingWaitSeconds = 120;
/** A first look claimed further back than this is not believed (the link is the donor's own, but may be old). */
const firstLookMaxAgeMs = 86_400_000;

export const load: PageServerLoad = async ({ fetch, params, url, locals, cookies }) => {
  const id = url.searchParams.get('donation') ?? '';
  if (!/^[0-9a-f-]{36}$/.test(id)) error(404, 'No such gift.');
  const [donation, appeal] = await Promise.all([
    apiGet<DonationPublic>(fetch, `/api/donations/${id}`),
    apiGet<AppealDetail>(fetch, `/api/appeals/${encodeURIComponent(params.slug)}`),
  ]);
  if (donation.appealSlug !== params.slug) error(404, 'No such gift.');
  // Checkout led here once paid: the typed fields are not to be given back any more.
  forgetResumeKey(cookies, params.slug);
  // Without JavaScript the page offers a link to look again rather than reloading itself: a page
  // that reloads every few seconds moves a screen reader back to its top each time (WCAG 2.2.1).
  // The link carries the time of the first look, so that past the wait the page says what the
  // donor can expect instead.
  const nowMs = Date.now();
  const since = Number(url.searchParams.get('since'));
  const firstLookMs = Number.isSafeInteger(since) && since <= nowMs && nowMs - since < firstLookMaxAgeMs ? since : nowMs;
  const next = new URLSearchParams(url.searchParams);
  next.set('since', String(firstLookMs));
  return {
    donation,
    appeal,
    // `again`: the donate form sent here a gift that was already paid, instead of charging it twice.
    again: url.searchParams.has('again'),
    waitedTooLong: nowMs - firstLookMs >= pendingWaitSeconds * 1000,
    pendingWaitSeconds,
    checkAgain: `?${next}`,
    locale: locals.locale,
    nowMs,
    pageUrl: `${url.origin}/appeals/${params.slug}`,
  };
};
