import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isLocale } from '../../web/src/lib/locale';
import { AppError } from '../errors';
import { errorResponses } from '../plugins/openapi';
import { stopTokenPattern, updateStopPage, updateStopPath } from './update-stop-link';
import { findStopTarget, stopUpdates, type StopTarget } from './update-stops';

const tags = ['appeals: donors'];
const query = z.object({
  token: z.string().regex(stopTokenPattern),
  /** The reader's language: the appeal is named as its page in that language names it. Any other value names the original. */
  lang: z
    .string()
    .optional()
    .transform((v) => (isLocale(v) ? v : undefined)),
});
const targetSchema = z.object({ appeal: z.object({ slug: z.string(), title: z.string() }), subscribed: z.boolean() });

function found(target: StopTarget | null): StopTarget {
  if (!target) throw new AppError(404, 'updates.token_unknown', 'This link to stop update emails is not one we sent.');
  return target;
}

/**
 * A donor stops an appeal's update mail with the link it came with: the token is the credential,
 * as no sign-in is asked of a donor. POST is also the one-click unsubscribe mail clients send on
 * the donor's behalf (RFC 8058: a form body `List-Unsubscribe=One-Click`, from the mail
 * provider's servers, hence exempt from the cross-site check).
 */
export const updateStopRoutes: FastifyPluginAsyncZod = async (app) => {
  const db = app.database.db;
  // The one-click body says nothing the URL does not; it is read, if at all, only to be dropped.
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'multipart/form-data'], { parseAs: 'buffer', bodyLimit: 4 * 1024 }, (_req, _body, done) => done(null, undefined));

  app.get(
    updateStopPath,
    { schema: { tags, summary: 'What a stop link stops, and whether it is stopped', querystring: query, response: { 200: targetSchema, 303: z.null(), ...errorResponses } } },
    async (req, reply) => {
      // A mail client without one-click opens the header's link in a browser: the person gets the page with its button.
      if (req.headers.accept?.includes('text/html')) return reply.redirect(`${updateStopPage}?token=${req.query.token}`, 303);
      return found(await findStopTarget(db, req.query.token, req.query.lang));
    },
  );

  app.post(
    updateStopPath,
    {
      schema: { tags, summary: 'Stop an appeal’s update emails to the link’s address', querystring: query, response: { 200: targetSchema, ...errorResponses } },
      config: { crossSiteAllowed: true },
    },
    async (req) => found(await stopUpdates(db, req.query.token, req.query.lang)),
  );
};
