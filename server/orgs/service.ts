import { hashToken, newToken } from '../auth/tokens';
import { and, desc, eq, exists, gt, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { queryRows, type Db, type DbOrTx } from '../../db/client';
import { auditLog, invitations, memberships, organizations, outboxEmails, users, type Organization } from '../../db/schema/index';
import type { RoleName } from '../../db/schema/index';
import { recordAudit } from '../auth/audit';
import { hasRoleReachingDescendants, organizationAndAncestors, type Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { isolated, mailText } from '../mail/catalog';
import { encodeInvitationCursor, encodeMemberCursor, type InvitationCursor, type MemberCursor } from './schemas';
import { leftWithoutAdmin, type OrgBelow } from './admin-cover';
import { isLocale, localeCookie, type Locale } from '../../web/src/lib/locale';

const invitationDays = 7;

export async function organizationBySlug(db: DbOrTx, slug: string): Promise<Organization> {
  const [org] = await db.select().from(organizations).where(eq(organizations.slug, slug)).limit(1);
  if (!org) throw new AppError(404, 'organization_not_found', `No organization "${slug}".`);
  return org;
}

export async function listOrganizations(db: DbOrTx) {
  const parent = alias(organizations, 'parent');
  const rows = await db
    .select({ org: organizations, parentSlug: parent.slug })
    .from(organizations)
    .leftJoin(parent, eq(parent.id, organizations.parentId))
    .orderBy(organizations.name)
    .limit(1000);
  return rows.map(({ org, parentSlug }) => ({
    id: org.id,
    slug: org.slug,
    name: org.name,
    kind: org.kind,
    parentSlug,
    country: org.country,
    defaultCurrency: org.defaultCurrency,
  }));
}

export async function membershipsOf(db: DbOrTx, userId: string) {
  const rows = await db
    .select({ m: memberships, org: { id: organizations.id, slug: organizations.slug, name: organizations.name } })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(organizations.name, memberships.role);
  return rows.map(({ m, org }) => ({ id: m.id, organization: org, role: m.role, includesDescendants: m.includesDescendants }));
}

/** One page of an organization's roles, in address order, found by name or address and by role. */
export interface MemberQuery {
  /** Part of a name or an address, as typed: matched literally, whatever the case. */
  q?: string;
  role?: RoleName;
  limit: number;
  /** Where the page before ended: its last role's address, role and id. */
  cursor?: MemberCursor;
}

/** What LIKE reads as wildcards, escaped: a search for "a_b" or "100%" finds just that. */
const likeLiteral = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * An organization's people and roles a page at a time: a union local can hold thousands, and an
 * admin looks for one of them by name or address. Keyset paging on (address, role, id): a page
 * starts where the last one ended, and a role added or removed meanwhile shifts nothing.
 */
export async function listMembers(db: DbOrTx, organizationId: string, query: MemberQuery) {
  const where = [eq(memberships.organizationId, organizationId)];
  if (query.q) where.push(sql`(${users.email} ILIKE ${likeLiteral(query.q)} OR ${users.name} ILIKE ${likeLiteral(query.q)})`);
  if (query.role) where.push(eq(memberships.role, query.role));
  const filtered = and(...where);
  const page = [...where];
  if (query.cursor) {
    const [email, role, id] = query.cursor;
    page.push(sql`(${users.email}, ${memberships.role}, ${memberships.id}) > (${email}, ${role}::role_name, ${id}::uuid)`);
  }
  const [rows, [counted]] = await Promise.all([
    db
      .select({ m: memberships, user: { id: users.id, email: users.email, name: users.name } })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(...page))
      .orderBy(users.email, memberships.role, memberships.id)
      .limit(query.limit + 1),
    db.select({ n: sql<number>`count(*)::int` }).from(memberships).innerJoin(users, eq(users.id, memberships.userId)).where(filtered),
  ]);
  const shown = rows.slice(0, query.limit);
  const last = rows.length > query.limit ? shown.at(-1) : undefined;
  return {
    members: shown.map(({ m, user }) => ({ id: m.id, user, role: m.role, includesDescendants: m.includesDescendants, createdAt: m.createdAt.toISOString() })),
    total: counted?.n ?? 0,
    nextCursor: last ? encodeMemberCursor([last.user.email, last.m.role, last.m.id]) : null,
  };
}

/**
 * The roles that run this organization from above (organizer, treasurer, admin held on an
 * organization above, reaching down): they act here too, but are given and taken away there.
 * Nearest organization first. Members reaching down are not listed: that would hand every
 * local's admins the federation's roster.
 */
export async function listInheritedMembers(db: DbOrTx, organizationId: string) {
  const above = (await organizationAndAncestors(db, organizationId)).slice(1);
  if (above.length === 0) return [];
  const rows = await db
    .select({ m: memberships, user: { id: users.id, email: users.email, name: users.name }, org: { slug: organizations.slug, name: organizations.name } })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(and(inArray(memberships.organizationId, above), eq(memberships.includesDescendants, true), ne(memberships.role, 'member')))
    .orderBy(sql`array_position(ARRAY(SELECT json_array_elements_text(${JSON.stringify(above)}::json)::uuid), ${memberships.organizationId})`, users.email, memberships.role)
    .limit(5000);
  return rows.map(({ m, user, org }) => ({ id: m.id, user, role: m.role, organization: org, createdAt: m.createdAt.toISOString() }));
}


export async function createInvitation(
  db: Db,
  p: { org: Organization; email: string; role: RoleName; includesDescendants: boolean; locale?: Locale; by: Viewer; publicUrl: string; requestId: string },
) {
  const token = newToken();
  const email = p.email.trim().toLowerCase();
  // Four eyes: a role, the treasurer's above all, is granted by someone else, never taken.
  if (email === p.by.email.trim().toLowerCase()) {
    throw new AppError(403, 'invitation.self_grant', 'You cannot invite yourself: another admin must give you the role.');
  }
  return db.transaction(async (tx) => {
    // One invitation per address and role at a time, even when "Send" is pressed twice at once:
    // the second waits here, then replaces the first.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`invitation:${p.org.id}:${email}:${p.role}`}, 0))`);
    // The invited person, when they already have an account: their role here, and the language they read.
    const [invited] = await tx.select({ id: users.id, locale: users.locale }).from(users).where(sql`lower(${users.email}) = ${email}`);
    const [held] = invited
      ? await tx
          .select({ includesDescendants: memberships.includesDescendants })
          .from(memberships)
          .where(and(eq(memberships.userId, invited.id), eq(memberships.organizationId, p.org.id), eq(memberships.role, p.role)))
      : [];
    // Accepting would change nothing; an invitation that widens the role to the organizations below still goes.
    if (held && (held.includesDescendants || !p.includesDescendants)) {
      throw new AppError(409, 'invitation.already_granted', 'This person already holds this role in the organization.');
    }
    // Inviting again (the first mail went astray, say) replaces the invitation still waiting: one
    // link works. Not one reaching further than this one: withdrawing that needs the reach too,
    // and this one is no substitute for it.
    const replaced = await tx
      .select()
      .from(invitations)
      .where(
        and(
          eq(invitations.organizationId, p.org.id),
          eq(invitations.email, email),
          eq(invitations.role, p.role),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          p.includesDescendants ? undefined : eq(invitations.includesDescendants, false),
        ),
      )
      .for('update');
    const [row] = await tx
      .insert(invitations)
      .values({
        organizationId: p.org.id,
        email,
        role: p.role,
        includesDescendants: p.includesDescendants,
        tokenHash: hashToken(token),
        invitedBy: p.by.userId,
        expiresAt: sql`now() + make_interval(days => ${invitationDays})`,
      })
      .returning();
    const link = new URL('/invitations/accept', p.publicUrl);
    link.searchParams.set('token', token);
    // In the language the invited person reads, when they already have an account; else the one asked for.
    const own = invited?.locale;
    const locale = isLocale(own) ? own : (p.locale ?? p.by.locale ?? 'en');
    // The page it opens, and the sign-in on the way, speak the mail's language too.
    link.searchParams.set(localeCookie, locale);
    const values = { organization: isolated(locale, p.org.name), inviter: isolated(locale, p.by.name || p.by.email), role: p.role };
    await tx.insert(outboxEmails).values({
      dedupeKey: `invitation:${row!.id}`,
      toAddress: email,
      subject: mailText(locale, 'invitation_subject', values),
      textBody: [mailText(locale, 'invitation_body', values), '', mailText(locale, 'invitation_accept', { days: invitationDays }), link.toString()].join('\n'),
      kind: 'invitation',
    });
    const shown = invitationView(row!);
    await recordAudit(tx, {
      actorUserId: p.by.userId,
      action: 'invitation.create',
      organizationId: p.org.id,
      subjectType: 'invitation',
      subjectId: row!.id,
      after: replaced.length > 0 ? { ...shown, replaces: replaced.map((r) => r.id) } : shown,
      requestId: p.requestId,
    });
    await revokeInvitations(tx, replaced, { ...p, replacedBy: row!.id });
    return shown;
  });
}

/** An invitation as the API answers it (the token stays a hash, in the database). */
const invitationView = (r: typeof invitations.$inferSelect) => ({ id: r.id, email: r.email, role: r.role, includesDescendants: r.includesDescendants, expiresAt: r.expiresAt.toISOString() });

/**
 * Invitations still waiting to be accepted, newest first: not used, withdrawn or expired, and
 * still given by their sender. One whose sender is no longer admin here gives nothing (accepting
 * it answers 404, senderMayStillGive), so it is not listed as waiting; the admins invite again.
 * The sender is checked in the query, before the limit: checked after it, a removed admin's
 * many newer invitations filled the page and hid the ones that still work.
 */
export async function pendingInvitations(db: DbOrTx, organizationId: string, page: { limit: number; cursor?: InvitationCursor }) {
  const chain = await organizationAndAncestors(db, organizationId);
  // senderMayStillGive, for every row at once: an admin grant of the sender's here or above that
  // reaches down, or, for an invitation that does not reach down, one held here.
  const senderStillGives = exists(
    db
      .select({ one: sql`1` })
      .from(memberships)
      .where(
        and(
          eq(memberships.userId, invitations.invitedBy),
          eq(memberships.role, 'admin'),
          inArray(memberships.organizationId, chain),
          or(eq(memberships.includesDescendants, true), and(eq(invitations.includesDescendants, false), eq(memberships.organizationId, organizationId))),
        ),
      ),
  );
  const waiting = and(
    eq(invitations.organizationId, organizationId),
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
    gt(invitations.expiresAt, sql`now()`),
    senderStillGives,
  );
  // Keyset on (created, id), newest first: the creation as Postgres holds it (microseconds; a JS
  // Date keeps milliseconds and would skip or repeat rows made in the same millisecond).
  const createdEpoch = sql<string>`extract(epoch from ${invitations.createdAt})`;
  const after = page.cursor ? sql`(${createdEpoch}, ${invitations.id}) < (${page.cursor[0]}::numeric, ${page.cursor[1]}::uuid)` : undefined;
  const [rows, [counted]] = await Promise.all([
    db
      .select({ inv: invitations, epoch: sql<string>`${createdEpoch}::text` })
      .from(invitations)
      .where(and(waiting, after))
      .orderBy(desc(invitations.createdAt), desc(invitations.id))
      .limit(page.limit + 1),
    db.select({ n: sql<number>`count(*)::int` }).from(invitations).where(waiting),
  ]);
  const shown = rows.slice(0, page.limit);
  const last = rows.length > page.limit ? shown.at(-1) : undefined;
  return {
    invitations: shown.map(({ inv }) => invitationView(inv)),
    total: counted?.n ?? 0,
    nextCursor: last ? encodeInvitationCursor([last.epoch, last.inv.id]) : null,
  };
}

/**
 * Withdraws a waiting invitation (sent to a mistyped address, say): its link no longer works.
 * Safe to repeat; an invitation already accepted is a role, taken away as such.
 */
export async function withdrawInvitation(db: Db, p: { org: Organization; invitationId: string; by: Viewer; requestId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const [inv] = await tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.id, p.invitationId), eq(invitations.organizationId, p.org.id)))
      .for('update');
    if (!inv) throw new AppError(404, 'invitation.not_found', 'No such invitation in this organization.');
    if (inv.acceptedAt) throw new AppError(409, 'invitation.accepted', 'This invitation was accepted: take the role away instead.');
    if (inv.revokedAt) return;
    // As for inviting: one that reaches the organizations below is for an admin whose own role reaches them.
    if (inv.includesDescendants && !(await hasRoleReachingDescendants(tx, p.by, p.org.id, 'admin'))) {
      throw new AppError(403, 'invitation.reach_exceeds_own', 'Only an admin whose own role reaches the organizations below may withdraw an invitation to a role that reaches them.');
    }
    await revokeInvitations(tx, [inv], p);
  });
}

/**
 * Withdraws waiting invitations the caller may withdraw: their links stop working, a mail not
 * sent yet (the outbox runs every few seconds) never goes, and each is audited, with the
 * invitation that replaces it if one does.
 */
async function revokeInvitations(
  tx: DbOrTx,
  rows: (typeof invitations.$inferSelect)[],
  p: { org: Organization; by: Viewer; requestId: string; replacedBy?: string },
): Promise<void> {
  if (rows.length === 0) return;
  await tx.update(invitations).set({ revokedAt: new Date() }).where(inArray(invitations.id, rows.map((r) => r.id)));
  await tx.delete(outboxEmails).where(and(inArray(outboxEmails.dedupeKey, rows.map((r) => `invitation:${r.id}`)), isNull(outboxEmails.sentAt)));
  for (const inv of rows) {
    await recordAudit(tx, {
      actorUserId: p.by.userId,
      action: 'invitation.withdraw',
      organizationId: p.org.id,
      subjectType: 'invitation',
      subjectId: inv.id,
      before: { email: inv.email, role: inv.role, includesDescendants: inv.includesDescendants },
      after: p.replacedBy ? { replacedBy: p.replacedBy } : undefined,
      requestId: p.requestId,
    });
  }
}

/**
 * Whether the invitation's sender may still give what it offers: an invitation is their grant, so
 * it gives nothing once they are no longer admin here (or their role no longer reaches the
 * organizations below, for one that reaches them). Else a role taken away lives on in the links
 * its holder sent before: an admin removed for cause, say, who had invited a second address.
 */
async function senderMayStillGive(db: DbOrTx, inv: typeof invitations.$inferSelect): Promise<boolean> {
  const grants = await adminGrantsOf(db, await organizationAndAncestors(db, inv.organizationId));
  return grants.some((grant) => grantGives(grant, inv));
}

/**
 * Whether an admin grant (of the organization or one above it) lets its holder give what an
 * invitation gives: a grant that reaches down gives anything here; one held here alone gives only
 * an invitation that does not reach down. pendingInvitations says the same in SQL.
 */
const grantGives = (grant: { userId: string; organizationId: string; includesDescendants: boolean }, inv: typeof invitations.$inferSelect) =>
  grant.userId === inv.invitedBy && (grant.includesDescendants || (!inv.includesDescendants && grant.organizationId === inv.organizationId));

/**
 * The admin grants of the organization and of those above it, locked in one order (by id) until
 * the transaction ends. Whatever reads who is admin and then changes roles on that reading takes
 * them first: removing a role (never the last admin) and accepting an invitation (its sender still
 * admin). Two such changes at once then run one after the other, each on what the other left.
 */
async function lockAdminGrants(tx: DbOrTx, organizationId: string) {
  return adminGrantsOf(tx, await organizationAndAncestors(tx, organizationId)).for('update');
}

/**
 * lockAdminGrants for a change that can reach down (removing an admin whose grant reaches the
 * organizations below): the admin grants of the organization, of those above it and of every one
 * below it, locked in one statement in one order (by id), so it never deadlocks with another
 * change that locks some of them. `tree` is the organization and those below, parents first.
 */
async function lockAdminGrantsAround(tx: DbOrTx, organizationId: string) {
  const chain = await organizationAndAncestors(tx, organizationId);
  const tree = await queryRows<OrgBelow>(
    tx,
    sql`WITH RECURSIVE down(id, parent_id, name, slug, depth) AS (
          SELECT id, parent_id, name, slug, 0 FROM organizations WHERE id = ${organizationId}
          UNION ALL
          SELECT o.id, o.parent_id, o.name, o.slug, down.depth + 1 FROM organizations o JOIN down ON o.parent_id = down.id WHERE down.depth < 16)
        SELECT id, parent_id AS "parentId", name, slug FROM down ORDER BY depth, id`,
  );
  const inTree = new Set(tree.map((o) => o.id));
  const locked = await adminGrantsOf(tx, [...chain.slice(1), ...inTree]).for('update');
  return { above: locked.filter((g) => !inTree.has(g.organizationId)), tree, grants: locked.filter((g) => inTree.has(g.organizationId)) };
}

/** The admin grants of a chain of organizations (one and those above it), in one order (by id). */
function adminGrantsOf(db: DbOrTx, chain: string[]) {
  return db
    .select({ id: memberships.id, userId: memberships.userId, organizationId: memberships.organizationId, includesDescendants: memberships.includesDescendants })
    .from(memberships)
    .where(and(inArray(memberships.organizationId, chain), eq(memberships.role, 'admin')))
    .orderBy(memberships.id);
}

const invitationNotFound = () => new AppError(404, 'invitation.not_found', 'This invitation is unknown, used, revoked or expired.');

/** The invited person (signed in with the invited address) takes the role; a token works once. */
/**
 * What a waiting invitation offers, for its own addressee to read before accepting: the
 * organization, the role and its reach, who sent it and until when. Refused as accepting would be
 * (unknown, used, withdrawn or expired; another address), so the page says so before the button.
 */
export async function previewInvitation(db: DbOrTx, p: { viewer: Viewer; token: string }) {
  const inviter = alias(users, 'inviter');
  const [row] = await db
    .select({ inv: invitations, org: { slug: organizations.slug, name: organizations.name }, inviter: { name: inviter.name, email: inviter.email } })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .leftJoin(inviter, eq(inviter.id, invitations.invitedBy))
    .where(and(eq(invitations.tokenHash, hashToken(p.token)), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, sql`now()`)))
    .limit(1);
  if (!row) throw invitationNotFound();
  if (row.inv.email !== p.viewer.email.trim().toLowerCase()) {
    throw new AppError(403, 'invitation.email_mismatch', 'This invitation was sent to another email address; sign in with that one.');
  }
  if (!(await senderMayStillGive(db, row.inv))) throw invitationNotFound();
  return {
    organization: row.org,
    role: row.inv.role,
    includesDescendants: row.inv.includesDescendants,
    invitedBy: row.inviter ? row.inviter.name || row.inviter.email : null,
    expiresAt: row.inv.expiresAt.toISOString(),
  };
}

export async function acceptInvitation(db: Db, p: { viewer: Viewer; token: string; requestId: string }) {
  return db.transaction(async (tx) => {
    const [inv] = await tx
      .select()
      .from(invitations)
      .where(and(eq(invitations.tokenHash, hashToken(p.token)), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, sql`now()`)))
      .for('update')
      .limit(1);
    if (!inv) throw invitationNotFound();
    if (inv.email !== p.viewer.email.trim().toLowerCase()) {
      throw new AppError(403, 'invitation.email_mismatch', 'This invitation was sent to another email address; sign in with that one.');
    }
    // senderMayStillGive, on locked grants: read without a lock, an invitation accepted while
    // another admin removed its sender read the role being taken away, and granted after it.
    const admins = await lockAdminGrants(tx, inv.organizationId);
    if (!admins.some((grant) => grantGives(grant, inv))) throw invitationNotFound();
    // One sent to oneself before that was refused (or by an address since made one's own).
    if (inv.invitedBy === p.viewer.userId) {
      throw new AppError(403, 'invitation.self_grant', 'You cannot accept an invitation you sent yourself: another admin must give you the role.');
    }
    const [granted] = await tx
      .insert(memberships)
      .values({ userId: p.viewer.userId, organizationId: inv.organizationId, role: inv.role, includesDescendants: inv.includesDescendants, grantedBy: inv.invitedBy })
      .onConflictDoUpdate({
        target: [memberships.userId, memberships.organizationId, memberships.role],
        set: { includesDescendants: sql`${memberships.includesDescendants} OR excluded.includes_descendants` },
      })
      .returning();
    await tx.update(invitations).set({ acceptedAt: sql`now()`, acceptedBy: p.viewer.userId }).where(eq(invitations.id, inv.id));
    await recordAudit(tx, {
      actorUserId: p.viewer.userId,
      action: 'membership.grant',
      organizationId: inv.organizationId,
      subjectType: 'membership',
      subjectId: granted!.id,
      after: { userId: p.viewer.userId, role: granted!.role, includesDescendants: granted!.includesDescendants, invitationId: inv.id },
      requestId: p.requestId,
    });
    const [org] = await tx.select().from(organizations).where(eq(organizations.id, inv.organizationId));
    return { id: granted!.id, organization: { id: org!.id, slug: org!.slug, name: org!.name }, role: granted!.role, includesDescendants: granted!.includesDescendants };
  });
}

export async function revokeMembership(db: Db, p: { org: Organization; membershipId: string; by: Viewer; requestId: string }): Promise<void> {
  await db.transaction(async (tx) => {
    // The admin grants of the organization, of those above it and of those below it, locked: two
    // admins removing each other at once must not both succeed and leave nobody to run it, nor
    // one of its locals that only their grants reached.
    const { above, tree, grants } = await lockAdminGrantsAround(tx, p.org.id);
    const admins = [...above, ...grants.filter((g) => g.organizationId === p.org.id)];
    const [target] = await tx.select().from(memberships).where(and(eq(memberships.id, p.membershipId), eq(memberships.organizationId, p.org.id)));
    if (!target) throw new AppError(404, 'membership.not_found', 'No such membership in this organization.');
    // As for inviting: a role that reaches the organizations below is only for an admin whose own role reaches them.
    // (The remover's grants are among the admin grants just read: the chain's, which is what hasRoleReachingDescendants reads.)
    if (target.includesDescendants && !admins.some((a) => a.userId === p.by.userId && a.includesDescendants)) {
      throw new AppError(403, 'membership.reach_exceeds_own', 'Only an admin whose own role reaches the organizations below may remove a role that reaches them.');
    }
    if (target.role === 'admin') {
      const orphaned = leftWithoutAdmin({ above, tree, grants, removedId: target.id });
      if (orphaned[0]?.id === p.org.id) {
        throw new AppError(409, 'membership.last_admin', 'This is the last admin of the organization: make someone else admin first.');
      }
      // A union admin whose grant reaches down may be the only admin of a local below.
      if (orphaned[0]) {
        const { slug, name } = orphaned[0];
        throw new AppError(409, 'membership.last_admin_below', `This is the last admin of "${name}", an organization below: make someone admin there first.`, { organization: { slug, name } });
      }
    }
    const [gone] = await tx.delete(memberships).where(eq(memberships.id, target.id)).returning();
    if (!gone) throw new AppError(404, 'membership.not_found', 'No such membership in this organization.');
    await recordAudit(tx, {
      actorUserId: p.by.userId,
      action: 'membership.revoke',
      organizationId: p.org.id,
      subjectType: 'membership',
      subjectId: gone.id,
      before: { userId: gone.userId, role: gone.role, includesDescendants: gone.includesDescendants },
      requestId: p.requestId,
    });
  });
}

export async function listAudit(db: DbOrTx, organizationId: string, limit: number) {
  const rows = await db
    .select({ a: auditLog, actorEmail: users.email })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .where(eq(auditLog.organizationId, organizationId))
    .orderBy(desc(auditLog.id))
    .limit(limit);
  return rows.map(({ a, actorEmail }) => ({
    id: a.id.toString(),
    at: a.at.toISOString(),
    actor: a.actorUserId ? { id: a.actorUserId, email: actorEmail ?? '' } : null,
    action: a.action,
    subjectType: a.subjectType,
    subjectId: a.subjectId,
    before: a.before,
    after: a.after,
  }));
}

/** The language the person reads, for their mails (the web's switcher says it). */
export async function setLanguage(db: DbOrTx, userId: string, locale: Locale): Promise<void> {
  await db.update(users).set({ locale }).where(eq(users.id, userId));
}
