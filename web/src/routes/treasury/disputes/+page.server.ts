import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import { treasurerGet, type DisputeRow } from '$lib/server/treasury';
import { disputeListHref, disputeStates, type DisputeState } from '$lib/dispute-list';

const pageSize = 50;
/** As far as the API pages (its offset stops at a million). */
const lastPage = 20_000;

// Every dispute of the treasurer's gifts, open or closed, a page at a time: the history a
// chargeback-heavy month leaves, beyond the few the treasury page shows.
export const load: PageServerLoad = async ({ fetch, url, locals }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  const asked = url.searchParams.get('state');
  const state: DisputeState = (disputeStates as readonly string[]).includes(asked ?? '') ? (asked as DisputeState) : 'open';
  const pageAsked = Number(url.searchParams.get('page') ?? '1');
  const page = Number.isInteger(pageAsked) && pageAsked >= 1 && pageAsked <= lastPage ? pageAsked : 1;
  const query = new URLSearchParams({ state, limit: String(pageSize), offset: String((page - 1) * pageSize) });
  const listed = await treasurerGet<{ disputes: DisputeRow[]; total: number }>(fetch, `/api/disputes?${query}`, url);
  // Past the end (an old link, a list that shrank): its last page instead.
  if (listed && listed.disputes.length === 0 && page > 1) {
    const last = Math.max(1, Math.ceil(listed.total / pageSize));
    redirect(303, disputeListHref(state, last));
  }
  return {
    allowed: listed !== null,
    state,
    page,
    pageSize,
    disputes: listed?.disputes ?? [],
    total: listed?.total ?? 0,
    now: new Date().toISOString(),
    locale: locals.locale,
  };
};
