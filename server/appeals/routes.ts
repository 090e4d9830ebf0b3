import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponses } from '../plugins/openapi';
import { appealDetailSchema, appealListSchema, donorWallQuery, donorWallSchema, listAppealsQuery, slugParams } from './schemas';
import { getPublicAppeal, listDonorWall, listLiveAppeals } from './service';

/** Public appeal reads: anyone may call them; drafts are never shown. */
export const appealRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/appeals',
    {
      schema: {
        tags: ['appeals'],
        summary: 'List live appeals (public)',
        querystring: listAppealsQuery,
        response: { 200: appealListSchema, ...errorResponses },
      },
    },
    async (req) => listLiveAppeals(app.database.db, req.query),
  );

  app.get(
    '/api/appeals/:slug',
    {
      schema: {
        tags: ['appeals'],
        summary: 'One appeal with its progress (public)',
        params: slugParams,
        response: { 200: appealDetailSchema, ...errorResponses },
      },
    },
    async (req) => getPublicAppeal(app.database.db, req.params.slug),
  );

  app.get(
    '/api/appeals/:slug/wall',
    {
      schema: {
        tags: ['appeals'],
        summary: "The appeal's donor wall: names donors allowed, approved messages (public)",
        params: slugParams,
        querystring: donorWallQuery,
        response: { 200: donorWallSchema, ...errorResponses },
      },
    },
    async (req) => listDonorWall(app.database.db, req.params.slug, req.query),
  );
};
