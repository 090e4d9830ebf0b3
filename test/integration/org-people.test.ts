import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app';
import { invitations, memberships, organizations, users } from '../../db/schema/index';
import { hashToken } from '../../server/auth/tokens';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';
import { signIn } from '../helpers/sign-in';

// Taking a role away, as an admin does from the people page: never the last admin, and never a
// role that reaches further than the admin's own.

let testDb: TestDatabase;
let app: FastifyInstance;
const ids = {} as { union: string; local: string };

beforeAll(async () => {
  testDb = await createTestDatabase();
  app = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
  const [union] = await testDb.database.db.insert(organizations).values({ slug: 'algerian-teachers', name: 'Teachers’ union', kind: 'union', defaultCurrency: 'DZD' }).returning();
  const [local] = await testDb.database.db.insert(organizations).values({ slug: 'oran-local', name: 'Oran local', kind: 'local', defaultCurrency: 'DZD', parentId: union!.id }).returning();
  Object.assign(ids, { union: union!.id, local: local!.id });
});

afterAll(async () => {
  await app?.close();
  await testDb?.drop();
});

async function grant(email: string, organizationId: string, role: 'admin' | 'treasurer', includesDescendants = false): Promise<{ cookie: string; membershipId: string }> {
  const cookie = await signIn(app, email);
  const [user] = await testDb.database.db.select().from(users).where(eq(users.email, email));
  const [m] = await testDb.database.db.insert(memberships).values({ userId: user!.id, organizationId, role, includesDescendants }).returning();
  return { cookie, membershipId: m!.id };
}

/** A role held by someone who is not signed in here (an account of its own, made directly). */
async function grantWithoutSignIn(email: string, organizationId: string, role: 'member' | 'organizer', includesDescendants: boolean): Promise<string> {
  const [user] = await testDb.database.db.insert(users).values({ id: randomUUID(), email, name: '', emailVerified: true }).returning();
  const [m] = await testDb.database.db.insert(memberships).values({ userId: user!.id, organizationId, role, includesDescendants }).returning();
  return m!.id;
}

const remove = (cookie: string, slug: string, membershipId: string) => app.inject({ method: 'DELETE', url: `/api/organizations/${slug}/members/${membershipId}`, headers: { cookie } });
const exists = async (membershipId: string) => (await testDb.database.db.select().from(memberships).where(eq(memberships.id, membershipId))).length === 1;

describe('taking a role away', () => {
  it('never removes the last admin, who could then not be replaced', async () => {
    const only = await grant('only.admin@oran.example.dz', ids.local, 'admin');
    const res = await remove(only.cookie, 'oran-local', only.membershipId);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('membership.last_admin');
    expect(await exists(only.membershipId)).toBe(true);
    // With a second admin, either may go.
    const second = await grant('second.admin@oran.example.dz', ids.local, 'admin');
    expect((await remove(second.cookie, 'oran-local', only.membershipId)).statusCode).toBe(204);
    expect(await exists(only.membershipId)).toBe(false);
    expect((await remove(second.cookie, 'oran-local', second.membershipId)).statusCode).toBe(409);
  });

  // Stepping down is the admin's own to do (the people page offers it, confirmed): the last-admin
  // checks are what keep someone running the organization, not a rule that another must do it.
  it('lets an admin step down while another admin remains, and they lose the page at once', async () => {
    const leaving = await grant('leaving.secretary@oran.example.dz', ids.local, 'admin');
    await grant('staying.secretary@oran.example.dz', ids.local, 'admin');
    expect((await remove(leaving.cookie, 'oran-local', leaving.membershipId)).statusCode).toBe(204);
    expect(await exists(leaving.membershipId)).toBe(false);
    const [audit] = await testDb.database.rows<{ actor_user_id: string; action: string; subject_id: string }>(sql`SELECT actor_user_id, action, subject_id FROM audit_log WHERE subject_id = ${leaving.membershipId}`);
    const [me] = await testDb.database.db.select({ id: users.id }).from(users).where(eq(users.email, 'leaving.secretary@oran.example.dz'));
    expect(audit).toEqual({ actor_user_id: me!.id, action: 'membership.revoke', subject_id: leaving.membershipId });
    expect((await app.inject({ url: '/api/organizations/oran-local/members', headers: { cookie: leaving.cookie } })).statusCode).toBe(403);
  });

  it('an admin above whose grant reaches down counts as an admin that remains', async () => {
    const above = await grant('union.admin@example.dz', ids.union, 'admin', true);
    const [local] = await testDb.database.db
      .select()
      .from(memberships)
      .where(and(eq(memberships.organizationId, ids.local), eq(memberships.role, 'admin')));
    expect((await remove(above.cookie, 'oran-local', local!.id)).statusCode).toBe(204);
  });

  it('refuses an admin removing a role that reaches further than their own', async () => {
    const unionAdmin = await grant('union.secretary@example.dz', ids.union, 'admin');
    const treasurer = await grant('union.treasurer@example.dz', ids.union, 'treasurer', true);
    const res = await remove(unionAdmin.cookie, 'algerian-teachers', treasurer.membershipId);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('membership.reach_exceeds_own');
    expect(await exists(treasurer.membershipId)).toBe(true);
  });
});

describe('taking away an admin role that reaches the organizations below', () => {
  /** A union of its own with one local, so that no admin granted by another test reaches them. */
  async function unionWithLocal(name: string, parentId: string | null = null) {
    const [union] = await testDb.database.db.insert(organizations).values({ slug: `${name}-union`, name: `${name} union`, kind: 'union', defaultCurrency: 'DZD', parentId }).returning();
    const [local] = await testDb.database.db.insert(organizations).values({ slug: `${name}-local`, name: `${name} local`, kind: 'local', defaultCurrency: 'DZD', parentId: union!.id }).returning();
    return { union: union!, local: local! };
  }

  // The union keeps an admin of its own, but the local below had only the reaching grant: nobody
  // could then invite or remove anyone there.
  it('refuses to leave a local below with no admin, and says which, until it has one of its own', async () => {
    const { union, local } = await unionWithLocal('tizi');
    const reaching = await grant('reaching.admin@tizi.example.dz', union.id, 'admin', true);
    await grant('union.only.admin@tizi.example.dz', union.id, 'admin');
    const res = await remove(reaching.cookie, 'tizi-union', reaching.membershipId);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('membership.last_admin_below');
    expect(res.json().error.details).toEqual({ organization: { slug: 'tizi-local', name: 'tizi local' } });
    expect(await exists(reaching.membershipId)).toBe(true);
    await grant('local.admin@tizi.example.dz', local.id, 'admin');
    expect((await remove(reaching.cookie, 'tizi-union', reaching.membershipId)).statusCode).toBe(204);
  });

  it('lets an admin above whose grant reaches down remove it: the local is still run from there', async () => {
    const [federation] = await testDb.database.db.insert(organizations).values({ slug: 'bejaia-federation', name: 'Bejaia federation', kind: 'federation', defaultCurrency: 'DZD' }).returning();
    const { union } = await unionWithLocal('bejaia', federation!.id);
    const federationAdmin = await grant('federation.admin@bejaia.example.dz', federation!.id, 'admin', true);
    const unionAdmin = await grant('reaching.admin@bejaia.example.dz', union.id, 'admin', true);
    expect((await remove(federationAdmin.cookie, 'bejaia-union', unionAdmin.membershipId)).statusCode).toBe(204);
  });

  // The database decides: each step down alone leaves the other reaching admin, both together none.
  it('lets only one of the last two reaching admins stepping down at once go', async () => {
    const { union } = await unionWithLocal('setif');
    const first = await grant('first.admin@setif.example.dz', union.id, 'admin', true);
    const second = await grant('second.admin@setif.example.dz', union.id, 'admin', true);
    await grant('union.only.admin@setif.example.dz', union.id, 'admin');
    const answers = await Promise.all([remove(first.cookie, 'setif-union', first.membershipId), remove(second.cookie, 'setif-union', second.membershipId)]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([204, 409]);
    expect([await exists(first.membershipId), await exists(second.membershipId)].filter(Boolean)).toHaveLength(1);
  });
});

describe('who holds a role', () => {
  // An admin deciding whom to remove or invite must see who else acts here: the roles granted above
  // that reach down, and whether their own role lets them grant such reach.
  it('lists the roles granted above that reach down, apart from the organization’s own, and says whether the caller’s role reaches below', async () => {
    const local = await grant('list.admin@oran.example.dz', ids.local, 'admin');
    const reaching = await grant('list.union.treasurer@example.dz', ids.union, 'treasurer', true);
    const notReaching = await grant('list.union.secretary@example.dz', ids.union, 'admin');
    // A member whose role reaches down is one of the federation's members, not someone who runs this local.
    const reachingMember = await grantWithoutSignIn('list.union.member@example.dz', ids.union, 'member', true);
    const res = await app.inject({ url: '/api/organizations/oran-local/members', headers: { cookie: local.cookie } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.members.map((m: { id: string }) => m.id)).toContain(local.membershipId);
    expect(body.members.map((m: { id: string }) => m.id)).not.toContain(reaching.membershipId);
    const inherited = body.inherited.filter((g: { user: { email: string } }) => g.user.email.startsWith('list.'));
    expect(inherited).toEqual([expect.objectContaining({ id: reaching.membershipId, role: 'treasurer', organization: { slug: 'algerian-teachers', name: 'Teachers’ union' } })]);
    expect(body.inherited.map((g: { id: string }) => g.id)).not.toContain(notReaching.membershipId);
    expect(body.inherited.map((g: { id: string }) => g.id)).not.toContain(reachingMember);
    expect(body.callerReachesBelow).toBe(false);
    // The union's own page lists no organization above; an admin whose grant reaches down is told so.
    const unionAdmin = await grant('list.union.chair@example.dz', ids.union, 'admin', true);
    const union = (await app.inject({ url: '/api/organizations/algerian-teachers/members', headers: { cookie: unionAdmin.cookie } })).json();
    expect(union.inherited).toEqual([]);
    expect(union.callerReachesBelow).toBe(true);
    expect((await app.inject({ url: '/api/organizations/oran-local/members', headers: { cookie: unionAdmin.cookie } })).json().callerReachesBelow).toBe(true);
  });
});

describe('roles from above, nearest first', () => {
  it('lists the grants of the nearest organization above before those further up, whatever their addresses', async () => {
    const [fed] = await testDb.database.db.insert(organizations).values({ slug: 'intl-fed', name: 'International', kind: 'federation', defaultCurrency: 'EUR' }).returning();
    const [union] = await testDb.database.db.insert(organizations).values({ slug: 'metal-union', name: 'Metalworkers', kind: 'union', defaultCurrency: 'EUR', parentId: fed!.id }).returning();
    const [local] = await testDb.database.db.insert(organizations).values({ slug: 'metal-local', name: 'Metal local', kind: 'local', defaultCurrency: 'EUR', parentId: union!.id }).returning();
    const far = await grant('a.far@intl.example.org', fed!.id, 'treasurer', true);
    const near = await grant('z.near@metal.example.org', union!.id, 'admin', true);
    const localAdmin = await grant('bureau@metal.example.org', local!.id, 'admin');
    const body = (await app.inject({ url: '/api/organizations/metal-local/members', headers: { cookie: localAdmin.cookie } })).json();
    expect(body.inherited.map((g: { id: string }) => g.id)).toEqual([near.membershipId, far.membershipId]);
  });
});

describe('invitations waiting to be accepted', () => {
  // An invitation sent to a mistyped address (or to someone who left) must be stoppable before it is used.
  it('lists them for the admins and withdraws one, whose link then works no more', async () => {
    const admin = await grant('bureau@oran.example.dz', ids.local, 'admin');
    const sent = await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie }, payload: { email: 'tresoriere@oran.example.dz', role: 'treasurer' } });
    expect(sent.statusCode).toBe(201);
    const listed = await app.inject({ url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie } });
    expect(listed.json().invitations).toEqual([expect.objectContaining({ id: sent.json().id, email: 'tresoriere@oran.example.dz', role: 'treasurer' })]);
    const [mail] = await testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE to_address = 'tresoriere@oran.example.dz'`);
    const token = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;

    for (let i = 0; i < 2; i++) {
      const withdrawn = await app.inject({ method: 'DELETE', url: `/api/organizations/oran-local/invitations/${sent.json().id}`, headers: { cookie: admin.cookie } });
      expect(withdrawn.statusCode).toBe(204);
    }
    expect((await app.inject({ url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie } })).json().invitations).toEqual([]);
    // Its mail had already gone (the link was read above); one withdrawn before the outbox sends it never goes.
    const unsent = await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie }, payload: { email: 'typo@oran.exmaple.dz', role: 'admin' } });
    expect((await testDb.database.rows(sql`SELECT 1 FROM outbox_emails WHERE to_address = 'typo@oran.exmaple.dz'`)).length).toBe(1);
    await app.inject({ method: 'DELETE', url: `/api/organizations/oran-local/invitations/${unsent.json().id}`, headers: { cookie: admin.cookie } });
    expect(await testDb.database.rows(sql`SELECT 1 FROM outbox_emails WHERE to_address = 'typo@oran.exmaple.dz'`)).toEqual([]);
    const invitee = await signIn(app, 'tresoriere@oran.example.dz');
    const accept = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: invitee }, payload: { token } });
    expect(accept.statusCode).toBe(404);
    expect(accept.json().error.code).toBe('invitation.not_found');
  });

  // The first mail went astray, so the admin invites again: one link works, the newest; and
  // inviting someone to a role they hold already sends nothing.
  it('replaces an invitation still waiting when the same role is asked again, and refuses one to a role already held', async () => {
    const admin = await grant('secretariat@oran.example.dz', ids.local, 'admin');
    const invite = (email: string, role: string, includesDescendants = false) =>
      app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie }, payload: { email, role, includesDescendants } });
    const mailsTo = (email: string) => testDb.database.rows<{ text_body: string; sent_at: string | null }>(sql`SELECT text_body, sent_at FROM outbox_emails WHERE to_address = ${email} AND kind = 'invitation' ORDER BY created_at`);
    const first = await invite('Caissiere@oran.example.dz', 'treasurer');
    expect(first.statusCode).toBe(201);
    const second = await invite('caissiere@oran.example.dz', 'treasurer');
    expect(second.statusCode).toBe(201);
    const waiting = (await app.inject({ url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie } })).json().invitations.filter((i: { email: string }) => i.email === 'caissiere@oran.example.dz');
    expect(waiting.map((i: { id: string }) => i.id)).toEqual([second.json().id]);
    // The first mail had not gone yet: only the second goes.
    const mails = await mailsTo('caissiere@oran.example.dz');
    expect(mails).toHaveLength(1);
    // Another role for the same address is another invitation.
    expect((await invite('caissiere@oran.example.dz', 'member')).statusCode).toBe(201);
    expect((await mailsTo('caissiere@oran.example.dz')).length).toBe(2);

    const invitee = await signIn(app, 'caissiere@oran.example.dz');
    const token = new URL(mails[0]!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    expect((await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: invitee }, payload: { token } })).statusCode).toBe(200);
    const again = await invite('caissiere@oran.example.dz', 'treasurer');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invitation.already_granted');
    expect((await mailsTo('caissiere@oran.example.dz')).length).toBe(2);
  });

  // An admin who could make themselves treasurer would see the money on no one's word but their own.
  it('refuses an invitation to the admin’s own address, whatever its case, and stores and sends nothing', async () => {
    const admin = await grant('bureau.caisse@oran.example.dz', ids.local, 'admin');
    for (const [email, role] of [['Bureau.Caisse@Oran.example.dz', 'treasurer'], ['bureau.caisse@oran.example.dz', 'member']] as const) {
      const self = await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie }, payload: { email, role } });
      expect(self.statusCode).toBe(403);
      expect(self.json().error.code).toBe('invitation.self_grant');
    }
    const stored = await testDb.database.rows(sql`SELECT 1 FROM invitations WHERE email = 'bureau.caisse@oran.example.dz'`);
    expect(stored).toHaveLength(0);
    expect(await testDb.database.rows(sql`SELECT 1 FROM outbox_emails WHERE to_address = 'bureau.caisse@oran.example.dz' AND kind = 'invitation'`)).toHaveLength(0);
    // One already waiting from before the rule cannot be accepted by the admin who sent it.
    const token = 'selfsentinvitationtoken_0123456789';
    const [adminUser] = await testDb.database.db.select({ id: users.id }).from(users).where(eq(users.email, 'bureau.caisse@oran.example.dz'));
    await testDb.database.db.insert(invitations).values({ organizationId: ids.local, email: 'bureau.caisse@oran.example.dz', role: 'treasurer', includesDescendants: false, tokenHash: hashToken(token), invitedBy: adminUser!.id, expiresAt: new Date(Date.now() + 86_400_000) });
    const accepted = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: admin.cookie }, payload: { token } });
    expect([accepted.statusCode, accepted.json().error.code]).toEqual([403, 'invitation.self_grant']);
    await testDb.database.rows(sql`DELETE FROM invitations WHERE email = 'bureau.caisse@oran.example.dz'`);
    // Another admin may.
    const other = await grant('bureau.secretariat@oran.example.dz', ids.local, 'admin');
    const granted = await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: other.cookie }, payload: { email: 'bureau.caisse@oran.example.dz', role: 'treasurer' } });
    expect(granted.statusCode).toBe(201);
  });

  it('leaves one link working when the same invitation is sent three times at once, and the replaced one’s link fails', async () => {
    const admin = await grant('accueil@oran.example.dz', ids.local, 'admin');
    const send = () => app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie }, payload: { email: 'double.clic@oran.example.dz', role: 'organizer' } });
    const sent = await Promise.all([send(), send(), send()]);
    expect(sent.map((r) => r.statusCode)).toEqual([201, 201, 201]);
    const waiting = (await app.inject({ url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie } })).json().invitations.filter((i: { email: string }) => i.email === 'double.clic@oran.example.dz');
    expect(waiting).toHaveLength(1);
    // A link already sent from a replaced one answers as withdrawn.
    const replacedId = sent.map((r) => r.json().id).find((id: string) => id !== waiting[0].id);
    await testDb.database.rows(sql`UPDATE outbox_emails SET sent_at = now() WHERE kind = 'invitation' AND to_address = 'double.clic@oran.example.dz'`);
    const [mail] = await testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE dedupe_key = ${`invitation:${waiting[0].id}`}`);
    expect(mail).toBeDefined();
    const third = await send();
    const invitee = await signIn(app, 'double.clic@oran.example.dz');
    const oldToken = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    const stale = await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: invitee }, payload: { token: oldToken } });
    expect(stale.statusCode).toBe(404);
    expect(stale.json().error.code).toBe('invitation.not_found');
    expect(replacedId).toBeDefined();
    expect(third.statusCode).toBe(201);
  });

  // Withdrawing an invitation that reaches below needs that reach: inviting again without it must
  // not withdraw it either. With it, a narrower role still goes to someone who holds it already.
  it('does not replace a waiting invitation that reaches further, and lets an invitation widen a role held', async () => {
    const unionAdmin = await grant('union.bureau@example.dz', ids.union, 'admin', true);
    const localAdmin = await grant('local.bureau@oran.example.dz', ids.local, 'admin');
    const invite = (cookie: string, includesDescendants: boolean) =>
      app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie }, payload: { email: 'large@oran.example.dz', role: 'treasurer', includesDescendants } });
    const wide = await invite(unionAdmin.cookie, true);
    expect(wide.statusCode).toBe(201);
    expect((await invite(localAdmin.cookie, false)).statusCode).toBe(201);
    const waiting = (await app.inject({ url: '/api/organizations/oran-local/invitations', headers: { cookie: localAdmin.cookie } })).json().invitations.filter((i: { email: string }) => i.email === 'large@oran.example.dz');
    expect(waiting.map((i: { id: string }) => i.id)).toContain(wide.json().id);
    expect(waiting).toHaveLength(2);
    // Holding the narrow role, an invitation to the wide one still goes; to the narrow one, not.
    await grantWithoutSignIn('held@oran.example.dz', ids.local, 'organizer', false);
    const widen = (includesDescendants: boolean) =>
      app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: unionAdmin.cookie }, payload: { email: 'Held@oran.example.dz', role: 'organizer', includesDescendants } });
    expect((await widen(false)).json().error.code).toBe('invitation.already_granted');
    expect((await widen(true)).statusCode).toBe(201);
  });

  // Before pressing Accept, the invited person reads what they accept: the organization, the role,
  // its reach and who sent it. Nobody else learns it from a forwarded link, and reading changes nothing.
  it('shows its addressee what an invitation offers, and refuses to show it to anyone else', async () => {
    const admin = await grant('orientation@oran.example.dz', ids.local, 'admin');
    await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie }, payload: { email: 'lecture@oran.example.dz', role: 'organizer' } });
    const [mail] = await testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE to_address = 'lecture@oran.example.dz'`);
    const token = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    const preview = (cookie: string | undefined, t = token) => app.inject({ method: 'POST', url: '/api/invitations/preview', headers: cookie ? { cookie } : {}, payload: { token: t } });
    const invitee = await signIn(app, 'Lecture@oran.example.dz');
    const read = await preview(invitee);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ organization: { slug: 'oran-local' }, role: 'organizer', includesDescendants: false, invitedBy: 'orientation@oran.example.dz' });
    expect((await preview(undefined)).statusCode).toBe(401);
    const someoneElse = await signIn(app, 'curieux@oran.example.dz');
    expect([(await preview(someoneElse)).statusCode, (await preview(someoneElse)).json().error.code]).toEqual([403, 'invitation.email_mismatch']);
    expect((await preview(invitee, 'x'.repeat(40))).statusCode).toBe(404);
    // Reading it accepted nothing; once accepted, there is nothing left to read.
    expect((await preview(invitee)).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: invitee }, payload: { token } })).statusCode).toBe(200);
    expect((await preview(invitee)).json().error.code).toBe('invitation.not_found');
  });

  // An invitation is its sender's grant, given in their name: once their admin role here is taken
  // away, a link they sent gives nothing. Else an admin removed for cause keeps a way back in (a
  // second address of theirs, invited the day before), a role outliving its removal.
  it('refuses an invitation whose sender is no longer an admin here, and grants nothing', async () => {
    const leaving = await grant('leaving.admin@oran.example.dz', ids.local, 'admin');
    const staying = await grant('staying.admin@oran.example.dz', ids.local, 'admin');
    const sent = await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: leaving.cookie }, payload: { email: 'spare.address@oran.example.dz', role: 'admin' } });
    expect(sent.statusCode).toBe(201);
    const [mail] = await testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE to_address = 'spare.address@oran.example.dz'`);
    const token = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    expect((await remove(staying.cookie, 'oran-local', leaving.membershipId)).statusCode).toBe(204);

    const spare = await signIn(app, 'spare.address@oran.example.dz');
    for (const step of ['preview', 'accept']) {
      const res = await app.inject({ method: 'POST', url: `/api/invitations/${step}`, headers: { cookie: spare }, payload: { token } });
      expect([step, res.statusCode, res.json().error?.code]).toEqual([step, 404, 'invitation.not_found']);
    }
    const [user] = await testDb.database.db.select().from(users).where(eq(users.email, 'spare.address@oran.example.dz'));
    expect(await testDb.database.db.select().from(memberships).where(eq(memberships.userId, user!.id))).toEqual([]);
  });

  // The sender's role was read without a lock: accepted while another admin was removing the
  // sender, the invitation read the role the removal was about to take away, and granted after it.
  it('waits for a removal of its sender under way, then refuses, as after it', async () => {
    const leaving = await grant('ousted.admin@oran.example.dz', ids.local, 'admin');
    await grant('steady.admin@oran.example.dz', ids.local, 'admin');
    const sent = await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: leaving.cookie }, payload: { email: 'accomplice@oran.example.dz', role: 'admin' } });
    expect(sent.statusCode).toBe(201);
    const [mail] = await testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE to_address = 'accomplice@oran.example.dz'`);
    const token = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    const accomplice = await signIn(app, 'accomplice@oran.example.dz');

    // The removal, as revokeMembership makes it, held open: its row locked and deleted, not yet committed.
    const raw = postgres(testDb.url, { max: 1, onnotice: () => {} });
    const removal = await raw.reserve();
    try {
      await removal`BEGIN`;
      await removal`SELECT id FROM memberships WHERE id = ${leaving.membershipId} FOR UPDATE`;
      await removal`DELETE FROM memberships WHERE id = ${leaving.membershipId}`;
      const accepting = app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: accomplice }, payload: { token } });
      const early = await Promise.race([accepting.then((r) => r.statusCode), new Promise((resolve) => setTimeout(() => resolve('waiting'), 1_500))]);
      await removal`COMMIT`;
      const accepted = await accepting;
      expect([early, accepted.statusCode, accepted.json().error?.code]).toEqual(['waiting', 404, 'invitation.not_found']);
    } finally {
      removal.release();
      await raw.end();
    }
    const [user] = await testDb.database.db.select().from(users).where(eq(users.email, 'accomplice@oran.example.dz'));
    expect(await testDb.database.db.select().from(memberships).where(eq(memberships.userId, user!.id))).toEqual([]);
  });

  // A role that reaches the organizations below is given only by a grant that reaches them too: an
  // admin whose grant here no longer reaches down still gives an invitation for this organization
  // alone, not one that reaches further (the same rule in the list, the preview and the accept).
  it('refuses an invitation reaching down once its sender’s own grant here no longer does', async () => {
    const narrowed = await grant('narrowed.admin@oran.example.dz', ids.local, 'admin', true);
    await grant('other.admin@oran.example.dz', ids.local, 'admin');
    const invite = (email: string, includesDescendants: boolean) =>
      app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: narrowed.cookie }, payload: { email, role: 'organizer', includesDescendants } });
    const [wide, here] = [await invite('reaching.down@oran.example.dz', true), await invite('here.only@oran.example.dz', false)];
    expect([wide.statusCode, here.statusCode]).toEqual([201, 201]);
    await testDb.database.db.update(memberships).set({ includesDescendants: false }).where(eq(memberships.id, narrowed.membershipId));

    const listed = ((await app.inject({ url: '/api/organizations/oran-local/invitations', headers: { cookie: narrowed.cookie } })).json().invitations as { id: string }[]).map((i) => i.id);
    expect([listed.includes(wide.json().id), listed.includes(here.json().id)]).toEqual([false, true]);
    const tokenOf = async (email: string) => {
      // The invitation's mail, not the sign-in link's that signing in sends to the same address.
      const [mail] = await testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE to_address = ${email} AND text_body LIKE '%/invitations/accept%'`);
      return new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    };
    const answers = async (email: string) => {
      const token = await tokenOf(email);
      const cookie = await signIn(app, email);
      const codes: unknown[] = [];
      for (const step of ['preview', 'accept']) codes.push((await app.inject({ method: 'POST', url: `/api/invitations/${step}`, headers: { cookie }, payload: { token } })).statusCode);
      return codes;
    };
    expect(await answers('reaching.down@oran.example.dz')).toEqual([404, 404]);
    expect(await answers('here.only@oran.example.dz')).toEqual([200, 200]);
  });

  // Listed as waiting, it misled the remaining admins: they waited on an invitation whose link
  // answers 404. It is not listed, as accepting it refuses it; theirs still are.
  it('does not list as waiting an invitation whose sender is no longer an admin here', async () => {
    const leaving = await grant('departing.admin@oran.example.dz', ids.local, 'admin');
    const staying = await grant('remaining.admin@oran.example.dz', ids.local, 'admin');
    const invite = (cookie: string, email: string) => app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie }, payload: { email, role: 'member' } });
    const dead = await invite(leaving.cookie, 'invited.by.departing@oran.example.dz');
    const alive = await invite(staying.cookie, 'invited.by.remaining@oran.example.dz');
    expect([dead.statusCode, alive.statusCode]).toEqual([201, 201]);
    const waiting = async () => ((await app.inject({ url: '/api/organizations/oran-local/invitations', headers: { cookie: staying.cookie } })).json().invitations as { id: string }[]).map((i) => i.id);
    expect(await waiting()).toEqual(expect.arrayContaining([dead.json().id, alive.json().id]));
    expect((await remove(staying.cookie, 'oran-local', leaving.membershipId)).statusCode).toBe(204);
    const after = await waiting();
    expect(after).not.toContain(dead.json().id);
    expect(after).toContain(alive.json().id);
  });

  // The list shows 200 at most: the sender's check came after that cut, so a removed admin's
  // many newer invitations pushed the living ones off it, and the remaining admins saw none.
  it('still lists the living invitations behind more than a page of a removed admin’s', async () => {
    const [org] = await testDb.database.db.insert(organizations).values({ slug: 'annaba-local', name: 'Annaba local', kind: 'local', defaultCurrency: 'DZD', parentId: ids.union }).returning();
    const leaving = await grant('outgoing.admin@annaba.example.dz', org!.id, 'admin');
    const staying = await grant('incoming.admin@annaba.example.dz', org!.id, 'admin');
    const alive = await app.inject({ method: 'POST', url: '/api/organizations/annaba-local/invitations', headers: { cookie: staying.cookie }, payload: { email: 'still.invited@annaba.example.dz', role: 'organizer' } });
    expect(alive.statusCode).toBe(201);
    const [leaver] = await testDb.database.db.select({ id: users.id }).from(users).where(eq(users.email, 'outgoing.admin@annaba.example.dz'));
    const later = new Date(Date.now() + 60_000);
    await testDb.database.db.insert(invitations).values(
      Array.from({ length: 250 }, (_, i) => ({
        organizationId: org!.id,
        email: `bulk${i}@annaba.example.dz`,
        role: 'member' as const,
        tokenHash: hashToken(`bulk-invitation-token-${i}-0123456789`),
        invitedBy: leaver!.id,
        expiresAt: new Date(Date.now() + 86_400_000),
        createdAt: later,
      })),
    );
    expect((await remove(staying.cookie, 'annaba-local', leaving.membershipId)).statusCode).toBe(204);
    const listed = (await app.inject({ url: '/api/organizations/annaba-local/invitations', headers: { cookie: staying.cookie } })).json().invitations as { id: string }[];
    expect(listed.map((i) => i.id)).toEqual([alive.json().id]);
  });

  // The list stopped at 200 without a word: an organizer who had invited a whole workplace never
  // saw the rest, nor could withdraw one of them. It pages now, newest first, and says how many.
  it('pages through every waiting invitation, even many made in the same instant, and says how many', async () => {
    const [org] = await testDb.database.db.insert(organizations).values({ slug: 'blida-local', name: 'Blida local', kind: 'local', defaultCurrency: 'DZD', parentId: ids.union }).returning();
    const admin = await grant('organizing.admin@blida.example.dz', org!.id, 'admin');
    const [sender] = await testDb.database.db.select({ id: users.id }).from(users).where(eq(users.email, 'organizing.admin@blida.example.dz'));
    const now = new Date();
    await testDb.database.db.insert(invitations).values(
      Array.from({ length: 250 }, (_, i) => ({
        organizationId: org!.id,
        email: `worker${i}@blida.example.dz`,
        role: 'member' as const,
        tokenHash: hashToken(`blida-invitation-token-${i}-0123456789`),
        invitedBy: sender!.id,
        expiresAt: new Date(Date.now() + 86_400_000),
        // Half of them at the very same instant: the page's end must still tell them apart.
        createdAt: i % 2 === 0 ? now : new Date(now.getTime() - i * 1000),
      })),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const res = await app.inject({ url: `/api/organizations/blida-local/invitations?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: { cookie: admin.cookie } });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { total: number; nextCursor: string | null; invitations: { email: string }[] };
      expect(body.total).toBe(250);
      seen.push(...body.invitations.map((i) => i.email));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
    // A cursor this API never gave out is a 400, not a 500.
    const forged = Buffer.from(JSON.stringify(['1e400', randomUUID()])).toString('base64url');
    const refused = await app.inject({ url: `/api/organizations/blida-local/invitations?cursor=${forged}`, headers: { cookie: admin.cookie } });
    expect(refused.statusCode).toBe(400);
  });

  it('does not withdraw one already accepted: that is a role now', async () => {
    const admin = await grant('permanence@oran.example.dz', ids.local, 'admin');
    const sent = await app.inject({ method: 'POST', url: '/api/organizations/oran-local/invitations', headers: { cookie: admin.cookie }, payload: { email: 'membre@oran.example.dz', role: 'member' } });
    const [mail] = await testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE to_address = 'membre@oran.example.dz'`);
    const token = new URL(mail!.text_body.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    const invitee = await signIn(app, 'membre@oran.example.dz');
    expect((await app.inject({ method: 'POST', url: '/api/invitations/accept', headers: { cookie: invitee }, payload: { token } })).statusCode).toBe(200);
    const res = await app.inject({ method: 'DELETE', url: `/api/organizations/oran-local/invitations/${sent.json().id}`, headers: { cookie: admin.cookie } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('invitation.accepted');
  });

  it('refuses an admin withdrawing an invitation that reaches further than their own role, or another organization’s', async () => {
    const reaching = await grant('federation.secretary@example.dz', ids.union, 'admin', true);
    const sent = await app.inject({ method: 'POST', url: '/api/organizations/algerian-teachers/invitations', headers: { cookie: reaching.cookie }, payload: { email: 'regional@example.dz', role: 'treasurer', includesDescendants: true } });
    expect(sent.statusCode).toBe(201);
    const narrow = await grant('union.clerk@example.dz', ids.union, 'admin');
    const res = await app.inject({ method: 'DELETE', url: `/api/organizations/algerian-teachers/invitations/${sent.json().id}`, headers: { cookie: narrow.cookie } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('invitation.reach_exceeds_own');
    // Asked through another organization, the invitation is not there.
    const elsewhere = await app.inject({ method: 'DELETE', url: `/api/organizations/oran-local/invitations/${sent.json().id}`, headers: { cookie: reaching.cookie } });
    expect(elsewhere.statusCode).toBe(404);
    expect((await app.inject({ url: '/api/organizations/algerian-teachers/invitations', headers: { cookie: reaching.cookie } })).json().invitations).toHaveLength(1);
  });
});

// A local holds thousands of members: its admins look one up by name or address, a page at a time.
describe('finding people in a large organization', () => {
  it('pages through every role in address order, and finds them by part of a name or address, by role', async () => {
    const [org] = await testDb.database.db.insert(organizations).values({ slug: 'tlemcen-local', name: 'Tlemcen local', kind: 'local', defaultCurrency: 'DZD', parentId: ids.union }).returning();
    const admin = await grant('a.admin@tlemcen.example.dz', org!.id, 'admin');
    const people = Array.from({ length: 250 }, (_, i) => ({ id: randomUUID(), email: `m${String(i).padStart(3, '0')}@tlemcen.example.dz`, name: i === 137 ? 'Yamina 100%_Belkacem' : `Member ${i}`, emailVerified: true }));
    await testDb.database.db.insert(users).values(people);
    await testDb.database.db.insert(memberships).values(people.map((p, i) => ({ userId: p.id, organizationId: org!.id, role: i % 50 === 0 ? ('organizer' as const) : ('member' as const) })));
    const list = (query: string) => app.inject({ url: `/api/organizations/tlemcen-local/members?${query}`, headers: { cookie: admin.cookie } });

    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5 && (page === 0 || cursor); page++) {
      const res = await list(`limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.total).toBe(251);
      seen.push(...body.members.map((m: { user: { email: string } }) => m.user.email));
      cursor = body.nextCursor ?? '';
    }
    expect(seen).toHaveLength(251);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(251);

    // Literal: "100%_" is not a wildcard, and the case of a name does not matter.
    const byName = (await list(`q=${encodeURIComponent('yamina 100%_')}`)).json();
    expect([byName.total, byName.members.map((m: { user: { email: string } }) => m.user.email)]).toEqual([1, ['m137@tlemcen.example.dz']]);
    expect((await list('q=%25')).json().total).toBe(1);
    const organizers = (await list('role=organizer&q=tlemcen')).json();
    expect([organizers.total, organizers.nextCursor]).toEqual([5, null]);
    expect((await list('q=nobody-here')).json()).toMatchObject({ total: 0, members: [], nextCursor: null });

    // A cursor we did not give out is refused, and so is a bad role or size; the page after a
    // removed role still follows on.
    const forged = await list(`cursor=${Buffer.from('["x","owner","y"]').toString('base64url')}`);
    expect([forged.statusCode, forged.json().error.code]).toEqual([400, 'validation_failed']);
    expect((await list('cursor=%%%')).statusCode).toBe(400);
    const first = (await list('limit=10')).json();
    await testDb.database.db.delete(memberships).where(eq(memberships.id, first.members[9].id));
    const next = (await list(`limit=10&cursor=${first.nextCursor}`)).json();
    expect(next.members[0].user.email).toBe(seen[10]);
    expect((await list('role=owner')).statusCode).toBe(400);
    expect((await list('q=a%00b')).statusCode).toBe(400);
    expect((await list('limit=0')).statusCode).toBe(400);
  });
});
