import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withTimeout } from '../with-timeout';

const readyzTimeoutMs = 2_000;

const health = z.object({ status: z.enum(['ok', 'unavailable']), reason: z.string().optional() });

/** Liveness (the process answers) and readiness (the database answers and is migrated). */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: health } } }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: { hide: true, response: { 200: health, 503: health } } }, async (_req, reply) => {
    try {
      const state = await withTimeout(app.database.migrationState(), readyzTimeoutMs);
      await withTimeout(app.database.rows(sql`SELECT 1 AS one`), readyzTimeoutMs);
      if (state.applied < state.shipped) {
        return reply.status(503).send({ status: 'unavailable', reason: `migrations ${state.applied}/${state.shipped}` });
      }
      return { status: 'ok' as const };
    } catch {
      return reply.status(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
};
