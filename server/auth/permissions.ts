import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client';
import { memberships, users, type RoleName } from '../../db/schema/index';
import { AppError } from '../errors';
import type { Locale } from '../../web/src/lib/locale';
import type { Config } from '../config';

export interface Viewer {
  userId: string;
  email: string;
  name: string;
  /** The language they read, when they have told us (signing up, the language switcher). */
  locale?: Locale | null;
}

/**
 * Which held roles satisfy a required one. An admin runs the organization (people, drives,
 * campaigns) but sees the money's detail only if also a treasurer: "only treasurers see the money".
 */
const satisfiedBy: Record<RoleName, RoleName[]> = {
  member: ['member', 'organizer', 'treasurer', 'admin'],
  organizer: ['organizer', 'admin'],
  treasurer: ['treasurer'],
  admin: ['admin'],
};

/** The organization and its ancestors, nearest first (the tree is shallow: a few levels). */
export async function organizationAndAncestors(db: DbOrTx, organizationId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(db, sql`
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM organizations WHERE id = ${organizationId}
      UNION ALL
      SELECT o.id, o.parent_id, up.depth + 1 FROM organizations o JOIN up ON o.id = up.parent_id WHERE up.depth < 16
    )
    SELECT id FROM up ORDER BY depth`);
  return rows.map((r) => r.id);
}

/**
 * Everyone who holds the treasurer role for the organization: on it, or on an ancestor by a grant
 * that reaches descendants. For telling them what needs their answer.
 */
export async function treasurersOf(db: DbOrTx, organizationId: string): Promise<{ userId: string; email: string; name: string; locale: string | null }[]> {
  const chain = await organizationAndAncestors(db, organizationId);
  if (chain.length === 0) return [];
  const rows = await db
    .selectDistinct({ userId: users.id, email: users.email, name: users.name, locale: users.locale })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(
        inArray(memberships.organizationId, chain),
        inArray(memberships.role, satisfiedBy.treasurer),
        or(eq(memberships.organizationId, organizationId), eq(memberships.includesDescendants, true)),
      ),
    );
  return rows.sort((a, b) => (a.email < b.email ? -1 : 1));
}

/**
 * The platform: the ONE organization whose treasurers run the shared Stripe account's books (every
 * gift's disputes, the platform's statements, parked Stripe events). PLATFORM_ORGANIZATION names it
 * (a top-level organization's slug); unset, the only top-level organization is the platform, and
 * with several there is none (fail closed: one federation's treasurers must not read another's
 * gifts and donors). It is configuration, passed as the database handle is (the app's
 * `app.platform`, the jobs' and handlers' deps): each app or job answers by its own setting, and
 * an entry point that forgot it does not type-check.
 */
export interface Platform {
  /** PLATFORM_ORGANIZATION: a top-level organization's slug, or undefined for "the only top-level organization". */
  readonly slug: string | undefined;
  /**
   * Only platformOf makes one: an organization or appeal row also has a slug, and passed here by
   * mistake it would make its own treasurers the platform's.
   */
  readonly [fromConfig]: true;
}
declare const fromConfig: unique symbol;

/** The platform a configuration names. */
export const platformOf = (config: Pick<Config, 'PLATFORM_ORGANIZATION'>): Platform => ({ slug: config.PLATFORM_ORGANIZATION }) as Platform;

/** The platform organization's id, as a subquery of none or one row. */
function platformOrganizationId(platform: Platform): SQL {
  return platform.slug !== undefined
    ? sql`SELECT id FROM organizations WHERE slug = ${platform.slug} AND parent_id IS NULL`
    : sql`SELECT id FROM organizations WHERE parent_id IS NULL AND (SELECT count(*) FROM organizations WHERE parent_id IS NULL) = 1`;
}

/**
 * Why nobody is a platform treasurer, if nobody can be (for one warning at start; no personal
 * data): the named organization is not a top-level one, or none is named among several.
 */
export async function platformOrganizationProblem(db: DbOrTx, platform: Platform): Promise<string | null> {
  const { slug } = platform;
  const [row] = await queryRows<{ top: number; named: number }>(
    db,
    sql`SELECT (SELECT count(*)::int FROM organizations WHERE parent_id IS NULL) AS top,
               (SELECT count(*)::int FROM organizations WHERE slug = ${slug ?? null} AND parent_id IS NULL) AS named`,
  );
  if (slug !== undefined) {
    return row!.named === 1 ? null : `PLATFORM_ORGANIZATION: no top-level organization has the slug "${slug}": nobody is a platform treasurer (disputes of every gift, platform statements, parked Stripe events) until it does`;
  }
  return row!.top > 1
    ? `PLATFORM_ORGANIZATION is unset and there are ${row!.top} top-level organizations: nobody is a platform treasurer (disputes of every gift, platform statements, parked Stripe events); set PLATFORM_ORGANIZATION to the slug of the organization that runs the Stripe account`
    : null;
}

/**
 * The platform's treasurers (the treasurer role granted on the platform organization itself): they
 * see every gift's disputes (the Stripe account is the platform's), whether or not their grant reaches down.
 */
export async function platformTreasurers(db: DbOrTx, platform: Platform): Promise<{ userId: string; email: string; name: string; locale: string | null }[]> {
  return db
    .selectDistinct({ userId: users.id, email: users.email, name: users.name, locale: users.locale })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(platformTreasurerGrant(platform));
}

/** A grant (a memberships row) of the treasurer role on the platform organization. */
const platformTreasurerGrant = (platform: Platform) => and(eq(memberships.role, 'treasurer'), sql`${memberships.organizationId} IN (${platformOrganizationId(platform)})`);

/** The viewer's grants that satisfy `role` on the organization or one of its ancestors. */
async function grantsInChain(db: DbOrTx, viewer: Pick<Viewer, 'userId'>, organizationId: string, role: RoleName) {
  const chain = await organizationAndAncestors(db, organizationId);
  if (chain.length === 0) return [];
  return db
    .select({ organizationId: memberships.organizationId, includesDescendants: memberships.includesDescendants })
    .from(memberships)
    .where(and(eq(memberships.userId, viewer.userId), inArray(memberships.organizationId, chain), inArray(memberships.role, satisfiedBy[role])));
}

/** Whether the viewer holds `role` on the organization, directly or through an ancestor's grant that says it reaches descendants. */
export async function hasRole(db: DbOrTx, viewer: Pick<Viewer, 'userId'> | null, organizationId: string, role: RoleName): Promise<boolean> {
  if (!viewer) return false;
  const held = await grantsInChain(db, viewer, organizationId, role);
  return held.some((m) => m.organizationId === organizationId || m.includesDescendants);
}

/** Whether the viewer holds `role` on the organization through a grant (there or above) that itself reaches descendants. */
export async function hasRoleReachingDescendants(db: DbOrTx, viewer: Pick<Viewer, 'userId'> | null, organizationId: string, role: RoleName): Promise<boolean> {
  if (!viewer) return false;
  const held = await grantsInChain(db, viewer, organizationId, role);
  return held.some((m) => m.includesDescendants);
}

/** Treasurer of the platform organization: the one who runs the platform's books (Stripe's accounts are shared). */
export async function isPlatformTreasurer(db: DbOrTx, platform: Platform, viewer: Viewer | null): Promise<boolean> {
  if (!viewer) return false;
  const [row] = await db
    .select({ id: memberships.id })
    .from(memberships)
    .where(and(eq(memberships.userId, viewer.userId), platformTreasurerGrant(platform)))
    .limit(1);
  return row !== undefined;
}

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw new AppError(401, 'auth.required', 'Sign in to do this.');
  return viewer;
}

export async function requireRole(db: DbOrTx, viewer: Viewer | null, organizationId: string, role: RoleName): Promise<Viewer> {
  const who = requireViewer(viewer);
  if (!(await hasRole(db, who, organizationId, role))) {
    throw new AppError(403, 'auth.forbidden', `This needs the ${role} role in the organization that owns it.`);
  }
  return who;
}

export async function requirePlatformTreasurer(db: DbOrTx, platform: Platform, viewer: Viewer | null): Promise<Viewer> {
  const who = requireViewer(viewer);
  if (!(await isPlatformTreasurer(db, platform, who))) {
    throw new AppError(403, 'auth.forbidden', "This needs the treasurer role in the platform's organization.");
  }
  return who;
}

/** Every organization where the viewer holds `role`: direct grants, and the descendants of grants that reach down. */
export async function organizationsWithRole(db: DbOrTx, viewer: Viewer, role: RoleName): Promise<string[]> {
  const held = `{${satisfiedBy[role].join(',')}}`;
  const rows = await queryRows<{ id: string }>(
    db,
    sql`WITH RECURSIVE reach(id, down, depth) AS (
          SELECT organization_id, includes_descendants, 0 FROM memberships
           WHERE user_id = ${viewer.userId} AND role = ANY(${held}::role_name[])
          UNION
          SELECT o.id, true, reach.depth + 1 FROM organizations o JOIN reach ON o.parent_id = reach.id
           WHERE reach.down AND reach.depth < 16)
        SELECT DISTINCT id FROM reach`,
  );
  return rows.map((r) => r.id);
}

/**
 * The books of one organization's accounts (an appeal's money): its treasurers, or the platform's.
 * Accounts of no organization (Stripe's balances, fees) are the platform treasurers' only.
 */
export async function requireAccountTreasurer(db: DbOrTx, platform: Platform, viewer: Viewer | null, organizationId: string | null): Promise<Viewer> {
  const who = requireViewer(viewer);
  if (await isPlatformTreasurer(db, platform, who)) return who;
  if (organizationId && (await hasRole(db, who, organizationId, 'treasurer'))) return who;
  throw new AppError(403, 'auth.forbidden', "This needs the treasurer role in the account's organization.");
}
