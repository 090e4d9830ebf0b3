import type { PageServerLoad } from './$types';
import { apiGet, apiGetSignedIn, signInPath } from '$lib/server/api';
import { needsSignIn } from '$lib/server/who-is-asking';
import type { ManagedAppeal } from '$lib/types';

interface Org {
  id: string;
  slug: string;
  name: string;
  parentSlug: string | null;
  defaultCurrency: string;
}

/** The organizations a person runs drives for: where they are organizer or admin, and below a grant that reaches descendants. */
function managedOrgs(all: Org[], grants: { slug: string; descendants: boolean }[]): Org[] {
  const picked = new Map<string, Org>();
  const bySlug = new Map(all.map((o) => [o.slug, o]));
  const add = (slug: string, descendants: boolean, depth: number) => {
    const org = bySlug.get(slug);
    if (!org || depth > 16) return;
    picked.set(slug, org);
    if (descendants) for (const child of all.filter((o) => o.parentSlug === slug)) add(child.slug, true, depth + 1);
  };
  for (const g of grants) add(g.slug, g.descendants, 0);
  return [...picked.values()].slice(0, 50);
}

export const load: PageServerLoad = async ({ fetch, locals, url }) => {
  if (!locals.user) needsSignIn(locals, signInPath(url));
  const grants = locals.memberships.filter((m) => m.role === 'organizer' || m.role === 'admin').map((m) => ({ slug: m.organization.slug, descendants: m.includesDescendants }));
  const { organizations } = await apiGet<{ organizations: Org[] }>(fetch, '/api/organizations');
  const orgs = managedOrgs(organizations, grants);
  const withAppeals = await Promise.all(
    orgs.map(async (org) => ({ org, appeals: (await apiGetSignedIn<{ appeals: ManagedAppeal[] }>(fetch, `/api/organizations/${org.slug}/appeals`, url)).appeals })),
  );
  // Where they are admin (directly, or by a grant that reaches down): they manage its people too.
  const adminGrants = locals.memberships.filter((m) => m.role === 'admin').map((m) => ({ slug: m.organization.slug, descendants: m.includesDescendants }));
  const adminOf = managedOrgs(organizations, adminGrants).map((o) => o.slug);
  return { orgs: withAppeals, adminOf, locale: locals.locale };
};
