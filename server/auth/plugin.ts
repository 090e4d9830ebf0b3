import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromNodeHeaders } from 'better-auth/node';
import { z } from 'zod';
import { errorBody } from '../errors';
import { unstorableTextAt, unstorableTextRefusal } from '../plugins/text-guard';
import { addressLimiter } from './address-limit';
import { ourAuthRefusal } from './refusals';
import { authBasePath, clientIpHeader, createAuth, type Auth } from './auth';
import type { Viewer } from './permissions';
import { isLocale } from '../../web/src/lib/locale';
import { publicUrlOf, trustedOriginsOf } from '../config';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Exempt from the cross-site check: the request proves itself (a signature, a token), as servers send it. */
    crossSiteAllowed?: boolean;
  }
  interface FastifyInstance {
    auth: Auth;
  }
  interface FastifyRequest {
    /** Who is asking: resolved from the session cookie once per request, on first use. */
    viewer(): Promise<Viewer | null>;
  }
}

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const viewerCache = Symbol('viewer');
type WithCache = FastifyRequest & { [viewerCache]?: Promise<Viewer | null> };

/**
 * Sessions (better-auth) and who-is-asking for every route, plus the CSRF rule for the JSON API:
 * a state-changing request that a browser sent from another site is refused before any handler
 * runs. SvelteKit's form actions check their own origin; better-auth checks its endpoints'.
 */
export const authPlugin = fp(
  async (app, opts: { secret: string; signInsPerMinute: number; signInLinksPerAddressPerHour: number | null }) => {
    const publicUrl = publicUrlOf(app.config);
    const trustedOrigins = trustedOriginsOf(app.config);
    const auth = createAuth({ db: app.database.db, config: app.config, secret: opts.secret, signInsPerMinute: opts.signInsPerMinute, log: app.log });
    const linksPerAddress = opts.signInLinksPerAddressPerHour === null ? null : addressLimiter({ perWindow: opts.signInLinksPerAddressPerHour, windowMs: 3_600_000 });
    app.decorate('auth', auth);

    app.decorateRequest('viewer', function (this: WithCache) {
      this[viewerCache] ??= resolveViewer(auth, this);
      return this[viewerCache];
    });

    // An answer read with someone's session (their gifts, an organization's people or books) is
    // theirs alone: no cache keeps it. An answer that says its own caching keeps it.
    app.addHook('onSend', async (req, reply, payload) => {
      // A lookup that failed was answered by the error handler already; thrown again here, it
      // would replace that answer with Fastify's own, the database's message and all.
      const viewer = await (req as WithCache)[viewerCache]?.catch(() => null);
      if (viewer && !reply.hasHeader('cache-control')) reply.header('cache-control', 'private, no-store');
      return payload;
    });

    app.addHook('onRequest', async (req, reply) => {
      // The route the router matched, not the raw URL: it decodes the path first, so "/%61pi/…"
      // reaches the "/api/…" routes while not starting with "/api/".
      const route = req.routeOptions.url;
      if (!unsafeMethods.has(req.method) || !route?.startsWith('/api/') || route === `${authBasePath}/*`) return;
      // Routes whose request carries its own credential (a signature, a token in the URL) and is
      // sent by servers: Stripe's webhook, a mail provider's one-click unsubscribe.
      if (req.routeOptions.config.crossSiteAllowed) return;
      if (isCrossSite(req, trustedOrigins)) {
        return reply.status(403).send(errorBody('csrf.cross_site', 'This request came from another site and was refused.'));
      }
    });

    await app.register(async (scope) => {
      // better-auth reads the body itself (JSON or a form post), so it gets the bytes untouched.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
      scope.route({
        method: ['GET', 'POST'],
        url: `${authBasePath}/*`,
        schema: { hide: true },
        handler: async (req, reply) => {
          // The path as the router matched it (decoded): better-auth gets exactly what was checked.
          const path = `${authBasePath}/${(req.params as { '*': string })['*']}`;
          const endpoint = `${req.method} ${path.slice(authBasePath.length)}`;
          if (!offeredAuthEndpoints.has(endpoint)) return reply.status(404).send(errorBody('not_found', `No route ${req.method} ${path}.`));
          // A sign-in token spent from another site's page (a link, a form) would sign this browser in
          // as whoever asked for the link (login CSRF). Only the confirm page's button spends one: a
          // link from elsewhere lands on that page, the token unspent, for the person to choose.
          if (endpoint === 'GET /magic-link/verify' && isCrossSite(req, trustedOrigins)) {
            return reply.redirect(`/signin/confirm${new URL(req.url, publicUrl).search}`, 303);
          }
          const read = readAuthBody(endpoint, req.body);
          if ('refused' in read) return reply.status(400).send(read.refused);
          // Said alike for any address, one with an account or not: it tells nobody who has one.
          const place = read.linkAddress !== null && linksPerAddress ? linksPerAddress.take(read.linkAddress) : undefined;
          if (place === null) {
            return reply
              .status(429)
              .header('retry-after', '3600')
              .send(errorBody('rate_limited', 'Too many sign-in links were asked for this address lately; try again in an hour.'));
          }
          let mailed = false;
          try {
            await forwardToAuth(auth, req, reply, new URL(path, publicUrl), ownOrigin(req, trustedOrigins));
            mailed = reply.statusCode === 200;
          } finally {
            // Only a link mailed counts: one the per-client limit refused must not use up the hour
            // of the address it named (one client could keep its owner from signing in).
            if (place && !mailed) place.giveBack();
          }
        },
      });
    });
  },
  { name: 'auth', dependencies: ['errors'] },
);

/**
 * The sign-in service's endpoints the app uses: asking for a link, following it, and signing out.
 * The rest of better-auth (profile and email changes, account deletion, session lists) is not
 * offered: our own routes do what people may change. Nor is get-session: it answers the session's
 * token to any script of the site, which the cookie is httpOnly to keep from it; GET /api/me
 * says who is asking.
 */
const offeredAuthEndpoints = new Set(['POST /sign-in/magic-link', 'GET /magic-link/verify', 'POST /sign-out']);

// What a link request may carry, checked here (better-auth would store a 50,000-character name,
// and fail with a 500 on one holding a NUL).
const magicLinkRequest = z.looseObject({
  email: z.string().max(320),
  name: z.string().trim().max(200).optional(),
  callbackURL: z.string().max(2000).optional(),
  newUserCallbackURL: z.string().max(2000).optional(),
  errorCallbackURL: z.string().max(2000).optional(),
});

/**
 * A request to better-auth, read once: its refusal, or (for a link request) the address it asks a
 * link for. A body that is not JSON is better-auth's to answer (a form post is a 415).
 */
function readAuthBody(endpoint: string, body: unknown): { refused: ReturnType<typeof errorBody> } | { linkAddress: string | null } {
  if (!(body instanceof Buffer) || body.length === 0) return { linkAddress: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { linkAddress: null };
  }
  const at = unstorableTextAt(parsed);
  if (at) return { refused: unstorableTextRefusal(at) };
  if (endpoint !== 'POST /sign-in/magic-link') return { linkAddress: null };
  const checked = magicLinkRequest.safeParse(parsed);
  if (!checked.success) return { refused: errorBody('validation_failed', 'The request is not valid.', checked.error.issues.map((i) => ({ path: `/${i.path.join('/')}`, message: i.message }))) };
  return { linkAddress: checked.data.email };
}

// Browsers send Origin (and Sec-Fetch-Site) on every cross-origin POST; a client without them is
// not a browser acting for someone else, and still needs its own session to do anything.
function isCrossSite(req: FastifyRequest, trustedOrigins: string[]): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  return typeof origin === 'string' && !trustedOrigins.includes(origin);
}

async function resolveViewer(auth: Auth, req: FastifyRequest): Promise<Viewer | null> {
  const cookie = req.headers.cookie;
  if (!cookie || !cookie.includes('session_token')) return null;
  const found = await auth.api.getSession({ headers: fromNodeHeaders(req.headers) });
  if (!found) return null;
  const { locale } = found.user as { locale?: unknown };
  return { userId: found.user.id, email: found.user.email, name: found.user.name, locale: isLocale(locale) ? locale : null };
}

/**
 * The origin the browser sent this request to when it is one of ours, else null. The embedded demo
 * (no PUBLIC_URL) answers at localhost and at 127.0.0.1; with PUBLIC_URL set it is the only one.
 */
function ownOrigin(req: FastifyRequest, trustedOrigins: string[]): string | null {
  const origin = `${req.protocol}://${req.host}`;
  return trustedOrigins.includes(origin) ? origin : null;
}

/**
 * better-auth writes its redirects (after following a sign-in link) at its one base URL. A browser
 * that came to another of our origins goes back to it: its session cookie was set for that name.
 */
function atOwnOrigin(location: string, base: URL, own: string | null): string {
  if (!own || own === base.origin || !location.startsWith(`${base.origin}/`)) return location;
  return own + location.slice(base.origin.length);
}

async function forwardToAuth(auth: Auth, req: FastifyRequest, reply: FastifyReply, url: URL, own: string | null): Promise<void> {
  const headers = fromNodeHeaders(req.headers);
  headers.set(clientIpHeader, req.ip);
  const body = req.body instanceof Buffer && req.body.length > 0 ? new Uint8Array(req.body) : undefined;
  url.search = new URL(req.url, url).search;
  const response = await auth.handler(new Request(url, { method: req.method, headers, body }));
  // better-auth's refusals (4xx; a redirect is a 3xx) in our error body: one shape for a client.
  const refused = response.status >= 400 && response.status < 500;
  reply.status(response.status);
  response.headers.forEach((value, name) => {
    if (name === 'location') reply.header(name, atOwnOrigin(value, url, own));
    else if (refused && (name === 'content-type' || name === 'content-length')) return;
    else if (name !== 'set-cookie') reply.header(name, value);
    // Its rate limit says the seconds to wait in its own header (kept, for its client); HTTP's is Retry-After.
    if (refused && name === 'x-retry-after') reply.header('retry-after', value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  if (refused) return reply.send(ourAuthRefusal(response.status, await response.text()));
  reply.send(response.body ? Buffer.from(await response.arrayBuffer()) : null);
}
