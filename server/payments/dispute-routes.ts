import { and, asc, desc, eq, inArray, notInArray, sql, type SQL } from 'drizzle-orm';
import type { PgSelect } from 'drizzle-orm/pg-core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appeals, disputes, donations, type Dispute } from '../../db/schema/index';
import { minorUnits } from '../appeals/schemas';
import { isPlatformTreasurer, organizationsWithRole, requireViewer } from '../auth/permissions';
import { AppError } from '../errors';
import { errorResponses } from '../plugins/openapi';
import { awaitingAnswer, closedDisputeStatuses } from './dispute-status';


/** Where one dispute of a gift stands, as treasurers read it (the list adds the gift it is about). */
export const disputeFactsSchema = z.object({
  id: z.string(),
  status: z.string(),
  /** A bank's question about the payment: nothing is withdrawn unless it is escalated. */
  inquiry: z.boolean(),
  needsResponse: z.boolean(),
  reason: z.string(),
  currency: z.string(),
  amountMinor: minorUnits,
  evidenceDueBy: z.string().nullable(),
  evidenceSubmitted: z.boolean(),
  openedAt: z.string(),
  /** Where the treasurer answers it (Stripe's Dashboard), or null when the app runs on the Stripe emulator. */
  dashboardUrl: z.string().nullable(),
});

const disputeSchema = disputeFactsSchema.extend({
  donation: z.object({ id: z.uuid(), appeal: z.object({ slug: z.string(), title: z.string(), language: z.string().describe('the language the appeal, and so its title, is written in') }) }),
});

/** A dispute's row as the API answers it. */
export function disputeFacts(d: Dispute, stripeMode: 'emulator' | 'stripe'): z.infer<typeof disputeFactsSchema> {
  return {
    id: d.id,
    status: d.status,
    inquiry: d.status.startsWith('warning_'),
    needsResponse: awaitingAnswer.includes(d.status),
    reason: d.reason,
    currency: d.currency,
    amountMinor: d.amountMinor.toString(),
    evidenceDueBy: d.evidenceDueBy?.toISOString() ?? null,
    evidenceSubmitted: d.evidenceSubmitted,
    openedAt: d.openedAt.toISOString(),
    dashboardUrl: stripeMode === 'stripe' ? `https://dashboard.stripe.com/${d.livemode ? '' : 'test/'}disputes/${d.id}` : null,
  };
}

const listQuery = z.strictObject({
  state: z.enum(['open', 'closed', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** How many to skip, in the list's order: a page of a long history. */
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export interface DisputeRouteOptions {
  /** Whether the app talks to Stripe itself (links go to its Dashboard) or to the emulator. */
  stripeMode: 'emulator' | 'stripe';
}

/** Chargebacks and inquiries of the viewer's organizations' gifts, the ones awaiting an answer first. */
export const disputeRoutes: FastifyPluginAsyncZod<DisputeRouteOptions> = async (app, opts) => {
  const db = app.database.db;
  app.get(
    '/api/disputes',
    {
      schema: {
        tags: ['donations'],
        summary: "Disputes of gifts, those awaiting an answer first, by due date (treasurers of the gifts' organizations)",
        querystring: listQuery,
        response: { 200: z.object({ disputes: z.array(disputeSchema), /** How many the filter holds in all. */ total: z.number().int() }), ...errorResponses },
      },
    },
    async (req) => {
      const viewer = requireViewer(await req.viewer());
      const where: (SQL | undefined)[] = [
        req.query.state === 'open' ? notInArray(disputes.status, closedDisputeStatuses) : undefined,
        req.query.state === 'closed' ? inArray(disputes.status, closedDisputeStatuses) : undefined,
      ];
      if (!(await isPlatformTreasurer(db, app.platform, viewer))) {
        const own = await organizationsWithRole(db, viewer, 'treasurer');
        if (own.length === 0) throw new AppError(403, 'auth.forbidden', 'This needs the treasurer role in an organization.');
        where.push(inArray(appeals.organizationId, own));
      }
      const waiting = sql`CASE WHEN ${inArray(disputes.status, awaitingAnswer)} THEN 0 WHEN ${notInArray(disputes.status, closedDisputeStatuses)} THEN 1 ELSE 2 END`;
      // Open ones by how soon their answer is due; closed ones, newest first.
      const dueWhileOpen = sql`CASE WHEN ${notInArray(disputes.status, closedDisputeStatuses)} THEN ${disputes.evidenceDueBy} END`;
      // The viewer's disputes under the filter: a page of them, and how many in all.
      const matching = <Q extends PgSelect>(q: Q) => q.innerJoin(donations, eq(donations.id, disputes.donationId)).innerJoin(appeals, eq(appeals.id, donations.appealId)).where(and(...where));
      const [rows, [counted]] = await Promise.all([
        matching(db.select({ d: disputes, slug: appeals.slug, title: appeals.title, language: appeals.language }).from(disputes).$dynamic())
          .orderBy(waiting, asc(dueWhileOpen), desc(disputes.openedAt), asc(disputes.id))
          .limit(req.query.limit)
          .offset(req.query.offset),
        matching(db.select({ n: sql<number>`count(*)::int` }).from(disputes).$dynamic()),
      ]);
      return {
        disputes: rows.map(({ d, slug, title, language }) => ({ ...disputeFacts(d, opts.stripeMode), donation: { id: d.donationId, appeal: { slug, title, language } } })),
        total: counted?.n ?? 0,
      };
    },
  );
};
