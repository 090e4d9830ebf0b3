/** An admin grant, as the coverage check reads it. */
export interface AdminGrant {
  id: string;
  organizationId: string;
  includesDescendants: boolean;
}

/** An organization at or below the one whose role is changing, parents before children. */
export type OrgBelow = {
  id: string;
  parentId: string | null;
  name: string;
  slug: string;
};

/**
 * The organizations (the one given and those below it) that some admin runs with `grants` and no
 * admin runs once `removedId` is gone. An organization is run by an admin held on it, or on one
 * above it by a grant that reaches down. One left with nobody can never be given an admin again
 * except by hand in the database, so a removal that leaves one is refused. An organization nobody
 * ran before (a new local no reaching grant covers) does not block an unrelated removal.
 *
 * `above` are the grants of the organizations strictly above `tree[0]`; `tree` lists it first,
 * then those below, each after its parent.
 */
export function leftWithoutAdmin(p: { above: AdminGrant[]; tree: OrgBelow[]; grants: AdminGrant[]; removedId: string }): OrgBelow[] {
  const before = runBy(p.above, p.tree, p.grants);
  const without = (g: AdminGrant) => g.id !== p.removedId;
  const after = runBy(p.above.filter(without), p.tree, p.grants.filter(without));
  return p.tree.filter((org) => before.has(org.id) && !after.has(org.id));
}

/** The ids of the organizations in `tree` that some admin runs. */
function runBy(above: AdminGrant[], tree: OrgBelow[], grants: AdminGrant[]): Set<string> {
  const held = new Set(grants.map((g) => g.organizationId));
  const reachingOn = new Set(grants.filter((g) => g.includesDescendants).map((g) => g.organizationId));
  // Whether a reaching grant on an organization, or on one above it, reaches its children.
  const reachDown = new Map<string, boolean>();
  const run = new Set<string>();
  const fromAbove = above.some((g) => g.includesDescendants);
  for (const [i, org] of tree.entries()) {
    const inherited = i === 0 ? fromAbove : (reachDown.get(org.parentId ?? '') ?? false);
    if (inherited || held.has(org.id)) run.add(org.id);
    reachDown.set(org.id, inherited || reachingOn.has(org.id));
  }
  return run;
}
