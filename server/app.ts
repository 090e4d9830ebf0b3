import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import sensible from '@fastify/sensible';
import helmet from '@fastify/helmet';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Database } from '../db/client';
import { publicUrlOf, type Config } from './config';
import { platformOf, type Platform } from './auth/permissions';
import { authPlugin } from './auth/plugin';
import { resolveAuthSecret } from './auth/secret';
import { loggerOptions } from './logger';
import { errorsPlugin } from './plugins/errors';
import { textGuardPlugin } from './plugins/text-guard';
import { openapiPlugin } from './plugins/openapi';
import { healthRoutes } from './health/routes';
import { appealRoutes } from './appeals/routes';
import { orgRoutes } from './orgs/routes';
import { appealManageRoutes } from './appeals/manage-routes';
import { campaignRoutes } from './campaigns/routes';
import { donorRoutes } from './donors/routes';
import { disputeRoutes } from './payments/dispute-routes';
import { treasurerPaymentRoutes } from './payments/treasurer-routes';
import { appealLivePlugin } from './appeals/live';
import { ledgerRoutes } from './ledger/routes';
import { devMailRoutes } from './mail/routes';
import { webPlugin } from './web';
import { paymentRoutes } from './payments/routes';
import { giftResumeKeys } from './payments/gift-resume';
import { stripeWebhookRoutes } from './payments/webhook';
import type { StripeSetup } from './payments/stripe-client';
import { errorBody } from './errors';
import { updateStopRoutes } from './appeals/update-stop-routes';
import { signInLinkRoutes } from './auth/sign-in-link-routes';

export interface AppDeps {
  config: Config;
  database: Database;
  /** Stripe (or the emulator) and the webhook signing secret; without it no payment routes. */
  stripe?: StripeSetup;
  /** Where logs go (stdout by default); tests pass a stream to read them. */
  logStream?: NodeJS.WritableStream;
  /** Overrides the session secret (two app instances in one test share sessions). */
  authSecret?: string;
  /** Told of every route as it is added: the authorization matrix test lists the app's routes with it. */
  onRoute?: (route: RouteOptions) => void;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
    /** The platform organization this app's config names (PLATFORM_ORGANIZATION): this app's, not the process's. */
    platform: Platform;
  }
}

const bodyLimitBytes = 1_048_576;

// proxy-addr's trust function: believe the nearest `hops` proxies and no address beyond them.
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** The Fastify app: external plugins first, then our services, then routes (as in fastify/demo). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logStream ? { ...loggerOptions(deps.config.LOG_LEVEL), stream: deps.logStream } : loggerOptions(deps.config.LOG_LEVEL),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: bodyLimitBytes,
    // A hop count, never `true`: trusting every hop would let a client pick its own address.
    trustProxy: trustHops(deps.config.TRUST_PROXY_HOPS ?? (deps.config.embedded ? 0 : 1)),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A path the router cannot decode (%FF) is answered before any handler: in our error body too.
    frameworkErrors: (error, _req, reply) => {
      (reply as FastifyReply).status(400).send(errorBody(error.code === 'FST_ERR_BAD_URL' ? 'bad_url' : 'bad_request', 'The request’s address is not valid.'));
    },
  }).withTypeProvider<ZodTypeProvider>();

  // Before any plugin registers, so it sees every route, the plugins' own included.
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('config', deps.config);
  app.decorate('platform', platformOf(deps.config));
  app.decorate('database', deps.database);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(sensible);
  // SvelteKit sets its own Content-Security-Policy for pages (kit.csp); the API answers JSON.
  // Referrer policy "same-origin", not helmet's "no-referrer": under "no-referrer" a browser sends
  // `Origin: null` with a plain form POST, and SvelteKit's CSRF check then refuses every form
  // submitted without JavaScript. Other sites still get no referrer.
  await app.register(helmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false, referrerPolicy: { policy: 'same-origin' } });
  await app.register(errorsPlugin);
  await app.register(textGuardPlugin);
  await app.register(openapiPlugin);
  // Resolved once: outside embedded mode without AUTH_SECRET each resolution makes up another.
  const secret = deps.authSecret ?? resolveAuthSecret(deps.config);
  await app.register(authPlugin, {
    secret,
    signInsPerMinute: deps.config.SIGN_IN_RATE_LIMIT_PER_MINUTE,
    signInLinksPerAddressPerHour: deps.config.devMail ? null : deps.config.SIGN_IN_LINKS_PER_ADDRESS_PER_HOUR,
  });

  await app.register(healthRoutes);
  await app.register(signInLinkRoutes);
  await app.register(appealLivePlugin);
  await app.register(appealRoutes);
  await app.register(orgRoutes, { publicUrl: publicUrlOf(deps.config) });
  await app.register(appealManageRoutes, { publicUrl: publicUrlOf(deps.config) });
  await app.register(updateStopRoutes);
  await app.register(campaignRoutes);
  await app.register(ledgerRoutes);
  if (deps.config.devMail) await app.register(devMailRoutes);
  if (deps.stripe) {
    await app.register(stripeWebhookRoutes, { webhookSecret: deps.stripe.webhookSecret });
    await app.register(donorRoutes, { stripe: deps.stripe.client });
    await app.register(treasurerPaymentRoutes, { stripeMode: deps.config.stripeMode });
    await app.register(disputeRoutes, { stripeMode: deps.config.stripeMode });
    await app.register(paymentRoutes, {
      stripe: deps.stripe.client,
      donationsPerMinute: deps.config.DONATION_RATE_LIMIT_PER_MINUTE,
      resumeKeys: giftResumeKeys(secret),
      customerDefaults: deps.stripe.customerDefaults,
    });
  }
  app.all('/api/*', { schema: { hide: true } }, async (req, reply) =>
    reply.status(404).send(errorBody('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`)),
  );
  if (deps.config.SERVE_WEB) await app.register(webPlugin, { publicUrl: deps.config.PUBLIC_URL });
  return app;
}
