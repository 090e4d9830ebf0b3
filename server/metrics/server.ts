import Fastify, { type FastifyBaseLogger } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Database } from '../../db/client';
import { registerQueueGauges } from './inbox-gauges';

const prefix = 'solidarity_fund_';

/**
 * Prometheus metrics on a port of their own (METRICS_PORT), never the app's: Fly's scraper reaches
 * it over the private network, and its proxy routes only the app's port to the internet. Counts
 * and process figures only, nothing about a person.
 */
export async function startMetricsServer(opts: { database: Database; host: string; port: number; log: FastifyBaseLogger }): Promise<{ url: string; close(): Promise<void> }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  registerQueueGauges(registry, opts.database, prefix);
  const app = Fastify({ loggerInstance: opts.log.child({ part: 'metrics' }), disableRequestLogging: true });
  app.get('/metrics', async (_req, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
  const url = await app.listen({ port: opts.port, host: opts.host });
  return { url, close: () => app.close() };
}
