import { createHash } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { magicLink } from 'better-auth/plugins';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client';
import { mailText } from '../mail/catalog';
import { isLocale, localeCookie } from '../../web/src/lib/locale';
import { knownLocaleOfRequest, localeOfRequest } from '../locale';
import { linkOriginOf } from '../origins';
import { publicUrlOf, trustedOriginsOf, type Config } from '../config';
import { accounts, outboxEmails, sessions, users, verifications } from '../../db/schema/index';

export const authBasePath = '/api/auth';
/** Set by our own route from Fastify's proxy-aware address; a client's copy is overwritten. */
export const clientIpHeader = 'x-sf-client-ip';
const magicLinkMinutes = 15;

export interface AuthDeps {
  db: Db;
  /** Where we are reached (PUBLIC_URL, or the demo's two local names): links, cookies, trusted origins. */
  config: Config;
  secret: string;
  signInsPerMinute: number;
  log: FastifyBaseLogger;
}

/**
 * better-auth with its drizzle adapter: sessions in Postgres, sign-in by an emailed one-time link.
 * The link goes to our own confirm page (a button that submits to the verify endpoint), so a mail
 * scanner that follows links does not spend the one-time token.
 */
export function createAuth(deps: AuthDeps) {
  const publicUrl = publicUrlOf(deps.config);
  const secure = publicUrl.startsWith('https://');
  return betterAuth({
    appName: 'solidarity-fund',
    baseURL: publicUrl,
    basePath: authBasePath,
    secret: deps.secret,
    trustedOrigins: trustedOriginsOf(deps.config),
    database: drizzleAdapter(deps.db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications },
    }),
    emailAndPassword: { enabled: false },
    // The person's language, kept for their mails: the one their browser said when they first
    // signed in (if it said one we write in), later the switcher's. Not writable through
    // better-auth's own endpoints (input: false); PUT /api/me/language changes it.
    user: { additionalFields: { locale: { type: 'string', required: false, input: false } } },
    databaseHooks: {
      session: {
        create: {
          // Each sign-in's session, the first one (the account's) included: a person with no language
          // yet (a new account, one made before people kept a language, a browser that said none)
          // takes the one this browser says.
          after: async (session, ctx) => {
            const locale = knownLocaleOfRequest(requestHeaders(ctx));
            if (locale) await deps.db.update(users).set({ locale }).where(and(eq(users.id, session.userId), isNull(users.locale)));
          },
        },
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    advanced: {
      // better-auth checks a request's Origin against trustedOrigins (on asking for a sign-in link
      // even without a cookie: a page on another site cannot make us mail links to anyone), except
      // that it turns these checks off by default when NODE_ENV is "test" or TEST is set, which our
      // settings allow. Said here, so every process checks, and the tests see what production does.
      disableOriginCheck: false,
      useSecureCookies: secure,
      cookiePrefix: 'sf',
      defaultCookieAttributes: { sameSite: 'lax', httpOnly: true, secure },
      ipAddress: { ipAddressHeaders: [clientIpHeader] },
    },
    rateLimit: { enabled: true, window: 60, max: 60, storage: 'memory' },
    telemetry: { enabled: false },
    onAPIError: {
      // Anything but its own API errors (a database failure) is thrown to our route, whose error
      // handler logs it without its query's parameters (an email) and answers our error body:
      // left to better-call, it would go to the console whole, and the answer be an empty 500.
      throw: true,
    },
    logger: {
      log: (level, message) => {
        // better-auth's messages can quote request bodies; only the message text is kept.
        const text = String(message).slice(0, 300);
        if (level === 'error') deps.log.error({ component: 'auth' }, text);
        else if (level === 'warn') deps.log.warn({ component: 'auth' }, text);
        else deps.log.debug({ component: 'auth' }, text);
      },
    },
    plugins: [
      magicLink({
        expiresIn: magicLinkMinutes * 60,
        rateLimit: { window: 60, max: deps.signInsPerMinute },
        storeToken: 'hashed',
        sendMagicLink: async ({ email, url, metadata }, ctx) => {
          const verify = new URL(url);
          const confirm = new URL('/signin/confirm', linkOriginOf(deps.config, requestHeaders(ctx)?.get('origin')));
          for (const [k, v] of verify.searchParams) confirm.searchParams.set(k, v);
          // The language of the page the person asked from (the web sends it), else of the request;
          // the link's page opens in it too, on whatever device the mail is read.
          const locale = isLocale(metadata?.locale) ? metadata.locale : localeOfRequest(ctx?.request?.headers);
          confirm.searchParams.set(localeCookie, locale);
          await deps.db
            .insert(outboxEmails)
            .values({
              dedupeKey: `sign_in:${createHash('sha256').update(url).digest('hex')}`,
              toAddress: email,
              subject: mailText(locale, 'sign_in_subject'),
              textBody: [
                mailText(locale, 'sign_in_hello'),
                '',
                mailText(locale, 'sign_in_open', { minutes: String(magicLinkMinutes) }),
                confirm.toString(),
                '',
                mailText(locale, 'sign_in_ignore'),
              ].join('\n'),
              kind: 'sign_in',
            })
            .onConflictDoNothing();
        },
      }),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;

/** The browser's headers behind a better-auth call (its endpoints get the request; server-side calls only headers). */
function requestHeaders(ctx: { request?: Request; headers?: Headers } | null | undefined): Headers | undefined {
  return ctx?.request?.headers ?? ctx?.headers;
}
