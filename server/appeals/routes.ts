import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors';
import { errorBodySchema, errorResponses } from '../plugins/openapi';
import { appealDetailSchema, appealListSchema, donorWallQuery, donorWallSchema, listAppealsQuery, slugParams, type AppealDetail } from './schemas';
import { listDonorWall, listLiveAppeals } from './service';
import { clientKeyOf } from './live';

/** Public appeal reads: anyone may call them; drafts are never shown. */
export const appealRoutes: FastifyPluginAsyncZod = async (app) => {
  const { cache, hub } = app.appealLive;

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

  // Served from the instance's short cache, already validated and serialized: a popular appeal's
  // page is read often and changes only when a gift is posted (which drops the entry) or edited.
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
    async (req, reply) => {
      const entry = await cache.get(req.params.slug);
      // A string with a JSON content type goes out as is; the schema checked it when it was cached.
      return reply.type('application/json; charset=utf-8').send(entry.body as unknown as AppealDetail);
    },
  );

  app.get(
    '/api/appeals/:slug/events',
    {
      // A HEAD would hold a stream open with no body to send.
      exposeHeadRoute: false,
      schema: {
        tags: ['appeals'],
        summary: "A live appeal's progress as server-sent events (public)",
        description:
          'text/event-stream: `retry`, then a `progress` event (the `progress` object of GET /api/appeals/:slug) at once and ' +
          'again shortly after each posting that changes it; `: keep-alive` comments in between. 404 unless the appeal is ' +
          'live; 503 `too_many_streams` when this instance holds as many streams as it may, 429 `too_many_client_streams` when ' +
          'this client (an address, an IPv6 /64) holds LIVE_STREAMS_PER_CLIENT_MAX (retry after `Retry-After`).',
        params: slugParams,
        response: {
          200: {
            description: 'The stream: `event: progress` with `data:` the progress as JSON, then one per change',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...errorResponses,
          429: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (req, reply) => {
      const notificationsAtRead = cache.notifications;
      const entry = await cache.get(req.params.slug);
      if (entry.status !== 'live') throw new AppError(404, 'appeal_not_live', `The appeal "${req.params.slug}" is not live.`);
      if (!hub.hasRoom()) {
        reply.header('retry-after', '10');
        throw new AppError(503, 'too_many_streams', 'This server holds as many live streams as it may; try again shortly.');
      }
      const client = clientKeyOf(req.ip);
      if (!hub.clientHasRoom(client)) {
        reply.header('retry-after', '10');
        throw new AppError(429, 'too_many_client_streams', 'This client holds as many live streams as one may; close one or try again shortly.');
      }
      // Security headers set by the hooks so far go out with the stream's own.
      const headers = reply.getHeaders() as OutgoingHttpHeaders;
      reply.hijack();
      hub.open(reply.raw, entry, notificationsAtRead, headers, client);
    },
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
