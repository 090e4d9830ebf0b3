import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasRoleReachingDescendants, requireRole, requireViewer } from '../auth/permissions';
import { AppError } from '../errors';
import { errorResponses } from '../plugins/openapi';
import {
  acceptInvitationBody,
  invitationPreviewSchema,
  auditListSchema,
  createInvitationBody,
  invitationSchema,
  invitationListQuery,
  invitationListSchema,
  languageBody,
  meSchema,
  memberListQuery,
  memberListSchema,
  membershipSchema,
  organizationSchema,
  orgSlugParams,
} from './schemas';
import {
  acceptInvitation,
  previewInvitation,
  createInvitation,
  listAudit,
  listInheritedMembers,
  listMembers,
  listOrganizations,
  membershipsOf,
  organizationBySlug,
  pendingInvitations,
  revokeMembership,
  setLanguage,
  withdrawInvitation,
} from './service';

/**
 * Who may call what: the organization list is public; /api/me needs a session; members, invitations
 * and revocations need the admin role on the organization; the audit log needs admin or treasurer.
 */
export const orgRoutes: FastifyPluginAsyncZod<{ publicUrl: string }> = async (app, opts) => {
  const db = app.database.db;

  app.get(
    '/api/me',
    { schema: { tags: ['people'], summary: 'The signed-in person and their roles (signed in)', response: { 200: meSchema, ...errorResponses } } },
    async (req) => {
      const viewer = requireViewer(await req.viewer());
      return { user: { id: viewer.userId, email: viewer.email, name: viewer.name, locale: viewer.locale ?? null }, memberships: await membershipsOf(db, viewer.userId) };
    },
  );

  app.put(
    '/api/me/language',
    { schema: { tags: ['people'], summary: 'The language the signed-in person reads: their mails come in it (signed in)', body: languageBody, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      const viewer = requireViewer(await req.viewer());
      await setLanguage(db, viewer.userId, req.body.locale);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/organizations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Every organization, with its parent (public)',
        response: { 200: z.object({ organizations: z.array(organizationSchema) }) },
      },
    },
    async () => ({ organizations: await listOrganizations(db) }),
  );

  app.get(
    '/api/organizations/:slug/members',
    {
      schema: {
        tags: ['organizations'],
        summary: "The organization's people and roles, and those of the organizations above that reach it (admin)",
        params: orgSlugParams,
        querystring: memberListQuery,
        response: { 200: memberListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const org = await organizationBySlug(db, req.params.slug);
      const by = await requireRole(db, await req.viewer(), org.id, 'admin');
      const [own, inherited, callerReachesBelow] = await Promise.all([listMembers(db, org.id, req.query), listInheritedMembers(db, org.id), hasRoleReachingDescendants(db, by, org.id, 'admin')]);
      return { ...own, inherited, callerReachesBelow };
    },
  );

  app.post(
    '/api/organizations/:slug/invitations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Invite someone to a role by emailed link (admin)',
        params: orgSlugParams,
        body: createInvitationBody,
        response: { 201: invitationSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const org = await organizationBySlug(db, req.params.slug);
      const by = await requireRole(db, await req.viewer(), org.id, 'admin');
      // A grant that reaches the organizations below is only for an admin whose own grant reaches them.
      if (req.body.includesDescendants && !(await hasRoleReachingDescendants(db, by, org.id, 'admin'))) {
        throw new AppError(403, 'invitation.reach_exceeds_own', 'Only an admin whose own role reaches the organizations below may invite to a role that reaches them.');
      }
      const inv = await createInvitation(db, { org, ...req.body, by, publicUrl: opts.publicUrl, requestId: req.id });
      return reply.status(201).send(inv);
    },
  );

  app.get(
    '/api/organizations/:slug/invitations',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Invitations still waiting to be accepted, newest first, a page at a time (admin)',
        params: orgSlugParams,
        querystring: invitationListQuery,
        response: { 200: invitationListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const org = await organizationBySlug(db, req.params.slug);
      await requireRole(db, await req.viewer(), org.id, 'admin');
      return pendingInvitations(db, org.id, req.query);
    },
  );

  app.delete(
    '/api/organizations/:slug/invitations/:invitationId',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Withdraw a waiting invitation: its link stops working (admin)',
        params: orgSlugParams.extend({ invitationId: z.uuid() }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const org = await organizationBySlug(db, req.params.slug);
      const by = await requireRole(db, await req.viewer(), org.id, 'admin');
      await withdrawInvitation(db, { org, invitationId: req.params.invitationId, by, requestId: req.id });
      return reply.status(204).send(null);
    },
  );

  // The token is the invitation's secret: it travels in the body, not in a URL that logs or a
  // browser's history would keep.
  app.post(
    '/api/invitations/preview',
    {
      schema: {
        tags: ['organizations'],
        summary: 'What an invitation sent to your address offers, before you accept it (signed in; changes nothing)',
        body: acceptInvitationBody,
        response: { 200: invitationPreviewSchema, ...errorResponses },
      },
    },
    async (req) => previewInvitation(db, { viewer: requireViewer(await req.viewer()), token: req.body.token }),
  );

  app.post(
    '/api/invitations/accept',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Accept an invitation sent to your address (signed in)',
        body: acceptInvitationBody,
        response: { 200: membershipSchema, ...errorResponses },
      },
    },
    async (req) => acceptInvitation(db, { viewer: requireViewer(await req.viewer()), token: req.body.token, requestId: req.id }),
  );

  app.delete(
    '/api/organizations/:slug/members/:membershipId',
    {
      schema: {
        tags: ['organizations'],
        summary: 'Take a role away (admin)',
        params: orgSlugParams.extend({ membershipId: z.uuid() }),
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const org = await organizationBySlug(db, req.params.slug);
      const by = await requireRole(db, await req.viewer(), org.id, 'admin');
      await revokeMembership(db, { org, membershipId: req.params.membershipId, by, requestId: req.id });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/organizations/:slug/audit',
    {
      schema: {
        tags: ['organizations'],
        summary: "The organization's audit log, newest first (admin or treasurer)",
        params: orgSlugParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: auditListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const org = await organizationBySlug(db, req.params.slug);
      const viewer = await req.viewer();
      try {
        await requireRole(db, viewer, org.id, 'admin');
      } catch {
        await requireRole(db, viewer, org.id, 'treasurer');
      }
      return { entries: await listAudit(db, org.id, req.query.limit) };
    },
  );
};
