import { desc } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { outboxEmails } from '../../db/schema/index';

/** The dev mail page's data: embedded demo mode only, where no mail leaves the machine. */
export const devMailRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/dev/mail',
    {
      schema: {
        tags: ['dev'],
        summary: 'Mail the embedded demo would have sent (demo mode only)',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50) }),
        response: {
          200: z.object({
            mail: z.array(z.object({ id: z.string(), to: z.string(), subject: z.string(), text: z.string(), kind: z.string(), createdAt: z.string() })),
          }),
        },
      },
    },
    async (req) => {
      const rows = await app.database.db.select().from(outboxEmails).orderBy(desc(outboxEmails.createdAt)).limit(req.query.limit);
      return {
        mail: rows.map((r) => ({ id: r.id, to: r.toAddress, subject: r.subject, text: r.textBody, kind: r.kind, createdAt: r.createdAt.toISOString() })),
      };
    },
  );
};
