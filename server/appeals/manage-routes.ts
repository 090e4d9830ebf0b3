import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireRole, type Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { organizationBySlug } from '../orgs/service';
import { orgSlugParams } from '../orgs/schemas';
import { errorBodySchema, errorResponses } from '../plugins/openapi';
import {
  appealUpdateSchema,
  createAppealBody,
  donorListSchema,
  donorsQuery,
  managedAppealSchema,
  managedUpdateSchema,
  moderationBody,
  translationBody,
  translationParams,
  updateAppealBody,
  updateLanguageBody,
  updateListSchema,
  updateParams,
  updatePostBody,
  updateTranslationBody,
  updateTextBody,
  updateTranslationParams,
  updatesQuery,
} from './manage-schemas';
import {
  appealBySlug,
  closeAppeal,
  coverImageMaxBytes,
  coverOf,
  createAppeal,
  deleteTranslation,
  listOrganizationAppeals,
  listUpdates,
  managedView,
  moderateWallEntry,
  postUpdate,
  publishAppeal,
  setCover,
  updateAppeal,
  upsertTranslation,
} from './manage-service';
import { countUpdateSubscribers } from './update-email';
import { editUpdateText } from './update-edit';
import { changeUpdateLanguage } from './update-language';
import { deleteUpdateTranslation, managedUpdate, upsertUpdateTranslation } from './update-translations';
import { slugParams } from './schemas';
import { donorsCsvStream } from './donors-csv';
import { countDonors, donorsOf } from './donor-list';

const tags = ['appeals: organizers'];
const managed = { 200: managedAppealSchema, ...errorResponses };

/**
 * Running a drive. Writes need the organizer role on the appeal's organization (admins have it;
 * a grant on an ancestor counts only if it says it reaches descendants). The wall, the updates and
 * the cover of a published appeal are public.
 */
export const appealManageRoutes: FastifyPluginAsyncZod<{ publicUrl: string }> = async (app, opts) => {
  const db = app.database.db;
  // Other instances hear of an edit through the NOTIFY in its transaction; this one forgets at once,
  // so the organizer who just published sees the appeal on their next read.
  app.addHook('onSend', async (req, reply) => {
    const slug = (req.params as { slug?: string } | undefined)?.slug;
    if (slug && req.method !== 'GET' && reply.statusCode < 300) app.appealLive.cache.forget(slug);
  });
  const asOrganizer = async (req: { viewer(): Promise<Viewer | null> }, slug: string) => {
    const appeal = await appealBySlug(db, slug);
    const by = await requireRole(db, await req.viewer(), appeal.organizationId, 'organizer');
    return { appeal, by };
  };
  const publicAppeal = async (slug: string) => {
    const appeal = await appealBySlug(db, slug);
    if (appeal.status === 'draft') throw new AppError(404, 'appeal_not_found', `No appeal "${slug}".`);
    return appeal;
  };

  app.get(
    '/api/organizations/:slug/appeals',
    {
      schema: { tags, summary: "The organization's appeals in every state (organizer)", params: orgSlugParams, response: { 200: z.object({ appeals: z.array(managedAppealSchema) }), ...errorResponses } },
    },
    async (req) => {
      const org = await organizationBySlug(db, req.params.slug);
      await requireRole(db, await req.viewer(), org.id, 'organizer');
      const rows = await listOrganizationAppeals(db, org.id);
      const subscribers = await countUpdateSubscribers(db, rows.map((a) => a.id));
      return { appeals: await Promise.all(rows.map((a) => managedView(db, a, subscribers.get(a.id) ?? 0))) };
    },
  );

  app.post(
    '/api/organizations/:slug/appeals',
    { schema: { tags, summary: 'Start a drive as a draft (organizer)', params: orgSlugParams, body: createAppealBody, response: { 201: managedAppealSchema, ...errorResponses } } },
    async (req, reply) => {
      const org = await organizationBySlug(db, req.params.slug);
      const by = await requireRole(db, await req.viewer(), org.id, 'organizer');
      const appeal = await createAppeal(db, { org, body: req.body, by, requestId: req.id });
      return reply.status(201).send(await managedView(db, appeal));
    },
  );

  app.get(
    '/api/appeals/:slug/manage',
    { schema: { tags, summary: 'An appeal as its organizers see it, drafts too (organizer)', params: slugParams, response: managed } },
    async (req) => managedView(db, (await asOrganizer(req, req.params.slug)).appeal),
  );

  app.patch(
    '/api/appeals/:slug',
    { schema: { tags, summary: 'Edit an appeal; money terms only until the first gift (organizer)', params: slugParams, body: updateAppealBody, response: managed } },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      return managedView(db, await updateAppeal(db, { appeal, body: req.body, by, requestId: req.id }));
    },
  );

  app.post(
    '/api/appeals/:slug/publish',
    { schema: { tags, summary: 'Publish a draft: draft → live (organizer)', params: slugParams, response: managed } },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      return managedView(db, await publishAppeal(db, { appeal, by, requestId: req.id }));
    },
  );

  app.post(
    '/api/appeals/:slug/close',
    { schema: { tags, summary: 'Close a live appeal: live → closed (organizer)', params: slugParams, response: managed } },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      return managedView(db, await closeAppeal(db, { appeal, by, requestId: req.id }));
    },
  );

  app.put(
    '/api/appeals/:slug/translations/:language',
    {
      schema: {
        tags,
        summary:
          "Add or replace a translation of title, summary, story and the unit's name (organizer). With If-None-Match: * it only adds: 412 if one exists. With `from` (the translation as read) it only replaces that one: 409 if it changed or was removed meanwhile. A closed appeal: 409 appeal.closed.",
        params: translationParams,
        body: translationBody,
        response: { ...managed, 409: errorBodySchema, 412: errorBodySchema },
      },
    },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      const createOnly = req.headers['if-none-match'] === '*';
      await upsertTranslation(db, { appeal, language: req.params.language, body: req.body, createOnly, by, requestId: req.id });
      return managedView(db, appeal);
    },
  );

  app.delete(
    '/api/appeals/:slug/translations/:language',
    { schema: { tags, summary: 'Remove a translation (organizer). A closed appeal: 409 appeal.closed.', params: translationParams, response: { ...managed, 409: errorBodySchema } } },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      await deleteTranslation(db, { appeal, language: req.params.language, by, requestId: req.id });
      return managedView(db, appeal);
    },
  );

  app.post(
    '/api/appeals/:slug/updates',
    {
      schema: {
        tags,
        summary: 'Post an update; emailed to donors who asked for news (organizer). A repeated idempotency key answers the first update again.',
        params: slugParams,
        body: updatePostBody,
        response: {
          201: appealUpdateSchema.extend({ emailedTo: z.number().int().describe('donors mailed when the update was posted; a replay says the same and mails no one') }),
          409: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      const update = await postUpdate(db, { appeal, ...req.body, by, requestId: req.id, publicUrl: opts.publicUrl });
      return reply.status(201).send(update);
    },
  );

  app.get(
    '/api/appeals/:slug/updates',
    {
      schema: {
        tags: ['appeals'],
        summary: "An appeal's updates, newest first, a page at a time (public)",
        params: slugParams,
        querystring: updatesQuery,
        response: { 200: updateListSchema, ...errorResponses },
      },
    },
    async (req) => listUpdates(db, { appealId: (await publicAppeal(req.params.slug)).id, ...req.query }),
  );

  app.get(
    '/api/appeals/:slug/updates/:updateId/manage',
    {
      schema: { tags, summary: 'An update as its organizers see it: its markdown and its translations’ (organizer)', params: updateParams, response: { 200: managedUpdateSchema, ...errorResponses } },
    },
    async (req) => managedUpdate(db, (await asOrganizer(req, req.params.slug)).appeal, req.params.updateId),
  );

  app.put(
    '/api/appeals/:slug/updates/:updateId/translations/:language',
    {
      schema: {
        tags,
        summary:
          "Add or replace a translation of a posted update's title and text (organizer); for its page: the update's mail went out when it was posted. With If-None-Match: * it only adds: 412 if one exists. With `from` (the translation as read) it only replaces that one: 409 if it changed or was removed meanwhile.",
        params: updateTranslationParams,
        body: updateTranslationBody,
        response: { 200: managedUpdateSchema, 409: errorBodySchema, 412: errorBodySchema, ...errorResponses },
      },
    },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      const { updateId, language } = req.params;
      await upsertUpdateTranslation(db, { appeal, updateId, language, body: req.body, createOnly: req.headers['if-none-match'] === '*', by, requestId: req.id });
      return managedUpdate(db, appeal, updateId);
    },
  );

  app.delete(
    '/api/appeals/:slug/updates/:updateId/translations/:language',
    {
      schema: {
        tags,
        summary: "Remove a translation of a posted update (organizer): its readers get the update as written. No one is mailed.",
        params: updateTranslationParams,
        response: { 200: managedUpdateSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      const { updateId, language } = req.params;
      await deleteUpdateTranslation(db, { appeal, updateId, language, by, requestId: req.id });
      return managedUpdate(db, appeal, updateId);
    },
  );

  app.put(
    '/api/appeals/:slug/updates/:updateId/language',
    {
      schema: {
        tags,
        summary: "Correct the language a posted update is marked with (organizer); its words stay, and no one is mailed. 409 if it changed meanwhile, or if the update has a translation into the new language.",
        params: updateParams,
        body: updateLanguageBody,
        response: { 200: managedUpdateSchema, 409: errorBodySchema, ...errorResponses },
      },
    },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      await changeUpdateLanguage(db, { appeal, updateId: req.params.updateId, ...req.body, by, requestId: req.id });
      return managedUpdate(db, appeal, req.params.updateId);
    },
  );

  app.put(
    '/api/appeals/:slug/updates/:updateId/text',
    {
      schema: {
        tags,
        summary:
          "Correct a posted update's title and text (organizer); the page says it was edited, its mails not sent yet carry the correction, and no one is mailed again. 409 if another correction came meanwhile. Its translations are kept as they are.",
        params: updateParams,
        body: updateTextBody,
        response: { 200: managedUpdateSchema, 409: errorBodySchema, ...errorResponses },
      },
    },
    async (req) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      await editUpdateText(db, { appeal, updateId: req.params.updateId, body: req.body, by, requestId: req.id, publicUrl: opts.publicUrl });
      return managedUpdate(db, appeal, req.params.updateId);
    },
  );

  app.patch(
    '/api/appeals/:slug/wall/:donationId',
    {
      schema: {
        tags,
        summary: "Approve or hide a donor's message, or take the donor's name off the public wall and put it back (organizer)",
        params: slugParams.extend({ donationId: z.uuid() }),
        body: moderationBody,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { appeal, by } = await asOrganizer(req, req.params.slug);
      await moderateWallEntry(db, { appeal, donationId: req.params.donationId, ...req.body, by, requestId: req.id });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/appeals/:slug/donors',
    {
      schema: {
        tags,
        summary: "The appeal's gifts with their donors' contact details, newest first, a page at a time (organizer)",
        params: slugParams,
        querystring: donorsQuery,
        response: { 200: donorListSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { appeal } = await asOrganizer(req, req.params.slug);
      const [page, total] = await Promise.all([donorsOf(db, { appealId: appeal.id, ...req.query }), countDonors(db, appeal.id)]);
      return { ...page, total };
    },
  );

  app.get(
    '/api/appeals/:slug/donors.csv',
    { schema: { tags, summary: "The appeal's donors as a spreadsheet-safe CSV (organizer)", params: slugParams } },
    async (req, reply) => {
      const { appeal } = await asOrganizer(req, req.params.slug);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${appeal.slug}-donors.csv"`)
        .header('cache-control', 'no-store')
        .send(donorsCsvStream(db, appeal.id));
    },
  );

  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    // The cover arrives as the raw image body; its bytes are checked against the type it claims.
    for (const type of ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml', 'image/gif']) {
      scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: coverImageMaxBytes }, (_req, body, done) => done(null, body));
    }
    scope.put(
      '/api/appeals/:slug/cover',
      {
        schema: { tags, summary: 'Set the cover image: PNG, JPEG or WebP, at most 2 MB (organizer). A closed appeal: 409 appeal.closed.', params: slugParams, response: { 204: z.null(), 409: errorBodySchema, ...errorResponses } },
      },
      async (req, reply) => {
        const { appeal, by } = await asOrganizer(req, req.params.slug);
        const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
        await setCover(db, { appeal, contentType, bytes: req.body as Buffer, by, requestId: req.id });
        return reply.status(204).send(null);
      },
    );
  });

  app.get(
    '/api/appeals/:slug/cover',
    { schema: { tags: ['appeals'], summary: "The appeal's cover image (public)", params: slugParams } },
    async (req, reply) => {
      const image = await coverOf(db, await publicAppeal(req.params.slug));
      if (!image) throw new AppError(404, 'cover.not_found', 'This appeal has no cover image.');
      return reply
        .header('content-type', image.contentType)
        .header('cache-control', 'public, max-age=300')
        .header('etag', `"${image.sha256}"`)
        .header('x-content-type-options', 'nosniff')
        .send(image.bytes);
    },
  );
};
