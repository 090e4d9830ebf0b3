import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

/** The error answers every route may give, for the OpenAPI document. */
export const errorResponses = { 400: errorBodySchema, 404: errorBodySchema } as const;

/** OpenAPI 3 generated from the routes' zod schemas, browsable at /api/docs. */
export const openapiPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'solidarity-fund API',
          description: 'Appeals, donations, the ledger and solidarity funds. Amounts are strings of minor units.',
          version: '0.1.0',
        },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/api/docs' });
  },
  { name: 'openapi' },
);
