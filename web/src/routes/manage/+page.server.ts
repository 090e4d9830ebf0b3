import type { PageServerLoad } from './$types';
import { apiGet, apiGetSignedIn, signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import type { ManagedAppeal } from '$lib/types';
import { managedOrgs, runsDrivesGrants } from '$lib/server/managed-orgs';

interface Org {
  id: string;
  slug: string;
  name: string;
  parentSlug: string | null;
  defaultCurrency: string;
}

/** Organizations shown at once, each with its drives (one API call apiece). */
const orgsPerPage = 50;

/** Where ?orgs= starts the page: an offset this page gave out, else the first page. */
function pageStart(url: URL, total: number): number {
  const text = url.searchParams.get('orgs') ?? '';
  const start = /^[0-9]{1,6}$/.test(text) ? Number(text) : 0;
  return start < total && start % orgsPerPage === 0 ? start : 0;
}

export const load: PageServerLoad = async ({ fetch, locals, url }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  const grants = runsDrivesGrants(locals.memberships);
  const { organizations } = await apiGet<{ organizations: Org[] }>(fetch, '/api/organizations');
  // All of them, a page at a time: a federation's admin runs every local, and the first 50 alone
  // left the rest without a way to launch a drive or manage its people from here.
  const all = managedOrgs(organizations, grants);
  const start = pageStart(url, all.length);
  const orgs = all.slice(start, start + orgsPerPage);
  const paging = { total: all.length, previous: start > 0 ? start - orgsPerPage : null, next: start + orgsPerPage < all.length ? start + orgsPerPage : null };
  const withAppeals = await Promise.all(
    orgs.map(async (org) => ({ org, appeals: (await apiGetSignedIn<{ appeals: ManagedAppeal[] }>(fetch, `/api/organizations/${org.slug}/appeals`, url)).appeals })),
  );
  // Where they are admin (directly, or by a grant that reaches down): they manage its people too.
  const adminGrants = locals.memberships.filter((m) => m.role === 'admin').map((m) => ({ slug: m.organization.slug, descendants: m.includesDescendants }));
  const adminOf = managedOrgs(organizations, adminGrants).map((o) => o.slug);
  return { orgs: withAppeals, adminOf, paging, locale: locals.locale };
};
