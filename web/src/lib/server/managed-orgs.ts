import type { Membership } from '$lib/server/me';

interface OrgInTree {
  slug: string;
  parentSlug: string | null;
}

/** Where a person's roles let them run drives: organizer or admin, each with its reach below. */
export function runsDrivesGrants(memberships: Membership[]): { slug: string; descendants: boolean }[] {
  return memberships.filter((m) => m.role === 'organizer' || m.role === 'admin').map((m) => ({ slug: m.organization.slug, descendants: m.includesDescendants }));
}

/** The organizations a person runs drives for: where they are organizer or admin, and below a grant that reaches descendants. */
export function managedOrgs<Org extends OrgInTree>(all: Org[], grants: { slug: string; descendants: boolean }[]): Org[] {
  const picked = new Map<string, Org>();
  const bySlug = new Map(all.map((o) => [o.slug, o]));
  const add = (slug: string, descendants: boolean, depth: number) => {
    const org = bySlug.get(slug);
    if (!org || depth > 16) return;
    picked.set(slug, org);
    if (descendants) for (const child of all.filter((o) => o.parentSlug === slug)) add(child.slug, true, depth + 1);
  };
  for (const g of grants) add(g.slug, g.descendants, 0);
  return [...picked.values()];
}
