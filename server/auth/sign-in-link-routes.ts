import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors';
import { errorResponses } from '../plugins/openapi';
import { signInLinkAddress, signInTokenPattern } from './sign-in-link';

/**
 * The sign-in link's page names the account the link signs into before anyone presses its button:
 * a link someone else asked for (planted in a page or a message) would otherwise sign the visitor
 * in as him. The token is the credential: whoever holds it may sign in as that address, so
 * naming it tells them nothing more. It travels in the body, not in a URL that logs keep.
 */
export const signInLinkRoutes: FastifyPluginAsyncZod = async (app) => {
  const db = app.database.db;
  app.post(
    '/api/sign-in-links/preview',
    {
      schema: {
        tags: ['people'],
        summary: 'The address a sign-in link signs in as, before it is used (changes nothing: the link is neither spent nor extended)',
        body: z.object({ token: z.string().regex(signInTokenPattern) }),
        response: { 200: z.object({ email: z.string() }), ...errorResponses },
      },
    },
    async (req) => {
      const email = await signInLinkAddress(db, req.body.token);
      if (!email) throw new AppError(404, 'sign_in.link_unknown', 'This sign-in link has expired, was already used, or is not one we sent.');
      return { email };
    },
  );
};
