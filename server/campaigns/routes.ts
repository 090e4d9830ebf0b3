import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasRole, organizationsWithRole, requireRole, type Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { orgSlugParams } from '../orgs/schemas';
import { organizationBySlug } from '../orgs/service';
import { errorResponses } from '../plugins/openapi';
import { campaignAppealParams, campaignSchema, campaignSlugParams, createCampaignBody, updateCampaignBody } from './schemas';
import {
  addAppealToCampaign,
  campaignBySlug,
  campaignView,
  createCampaign,
  listLiveCampaigns,
  removeAppealFromCampaign,
  setCampaignStatus,
  updateCampaign,
} from './service';

const tags = ['campaigns'];
const one = { 200: campaignSchema, ...errorResponses };

/** Live campaigns are public; drafts and every write need the organizer role on the campaign's organization. */
export const campaignRoutes: FastifyPluginAsyncZod = async (app) => {
  const db = app.database.db;
  const asOrganizer = async (req: { viewer: () => Promise<Viewer | null> }, slug: string) => {
    const campaign = await campaignBySlug(db, slug);
    const by = await requireRole(db, await req.viewer(), campaign.organizationId, 'organizer');
    return { campaign, by };
  };
  // The drafts a campaign shows this organizer: those of the organizations they organize, not every one in it.
  const draftsOf = (by: Viewer) => organizationsWithRole(db, by, 'organizer');

  app.get(
    '/api/campaigns',
    {
      schema: {
        tags,
        summary: 'Live campaigns with combined progress (public)',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(50).default(20) }),
        response: { 200: z.object({ campaigns: z.array(campaignSchema) }) },
      },
    },
    async (req) => {
      const rows = await listLiveCampaigns(db, req.query.limit);
      return { campaigns: await Promise.all(rows.map((c) => campaignView(db, c, { draftsOf: [] }))) };
    },
  );

  app.get(
    '/api/campaigns/:slug',
    { schema: { tags, summary: 'One campaign: combined progress per currency and each appeal’s share (public once live)', params: campaignSlugParams, response: one } },
    async (req) => {
      const campaign = await campaignBySlug(db, req.params.slug);
      const viewer = await req.viewer();
      const organizer = await hasRole(db, viewer, campaign.organizationId, 'organizer');
      if (campaign.status === 'draft' && !organizer) throw new AppError(404, 'campaign_not_found', `No campaign "${req.params.slug}".`);
      return campaignView(db, campaign, { draftsOf: organizer && viewer ? await draftsOf(viewer) : [] });
    },
  );

  app.post(
    '/api/organizations/:slug/campaigns',
    { schema: { tags, summary: 'Start a campaign as a draft (organizer)', params: orgSlugParams, body: createCampaignBody, response: { 201: campaignSchema, ...errorResponses } } },
    async (req, reply) => {
      const org = await organizationBySlug(db, req.params.slug);
      const by = await requireRole(db, await req.viewer(), org.id, 'organizer');
      const campaign = await createCampaign(db, { org, body: req.body, by, requestId: req.id });
      return reply.status(201).send(await campaignView(db, campaign, { draftsOf: await draftsOf(by) }));
    },
  );

  app.patch(
    '/api/campaigns/:slug',
    { schema: { tags, summary: 'Edit a campaign (organizer)', params: campaignSlugParams, body: updateCampaignBody, response: one } },
    async (req) => {
      const { campaign, by } = await asOrganizer(req, req.params.slug);
      return campaignView(db, await updateCampaign(db, { campaign, body: req.body, by, requestId: req.id }), { draftsOf: await draftsOf(by) });
    },
  );

  for (const [action, to] of [['publish', 'live'], ['close', 'closed']] as const) {
    app.post(
      `/api/campaigns/:slug/${action}`,
      { schema: { tags, summary: `${action === 'publish' ? 'Publish' : 'Close'} a campaign (organizer)`, params: campaignSlugParams, response: one } },
      async (req) => {
        const { campaign, by } = await asOrganizer(req, req.params.slug);
        return campaignView(db, await setCampaignStatus(db, { campaign, to, by, requestId: req.id }), { draftsOf: await draftsOf(by) });
      },
    );
  }

  app.put(
    '/api/campaigns/:slug/appeals/:appealSlug',
    { schema: { tags, summary: "Add an appeal of the organization's tree (organizer)", params: campaignAppealParams, response: one } },
    async (req) => {
      const { campaign, by } = await asOrganizer(req, req.params.slug);
      await addAppealToCampaign(db, { campaign, appealSlug: req.params.appealSlug, by, requestId: req.id });
      return campaignView(db, campaign, { draftsOf: await draftsOf(by) });
    },
  );

  app.delete(
    '/api/campaigns/:slug/appeals/:appealSlug',
    { schema: { tags, summary: 'Remove an appeal from the campaign (organizer)', params: campaignAppealParams, response: one } },
    async (req) => {
      const { campaign, by } = await asOrganizer(req, req.params.slug);
      await removeAppealFromCampaign(db, { campaign, appealSlug: req.params.appealSlug, by, requestId: req.id });
      return campaignView(db, campaign, { draftsOf: await draftsOf(by) });
    },
  );
};
