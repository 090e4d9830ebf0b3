import { and, desc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { memberships, outboxEmails, users } from '../../db/schema/index';
import { publicUrlOf } from '../../server/config';

/** The link in the newest mail of `kind` to `to`, as the person would click it. */
export async function linkFromMail(app: FastifyInstance, to: string, kind: string): Promise<URL> {
  const [mail] = await app.database.db
    .select()
    .from(outboxEmails)
    .where(and(eq(outboxEmails.toAddress, to), eq(outboxEmails.kind, kind)))
    .orderBy(desc(outboxEmails.createdAt))
    .limit(1);
  const found = mail?.textBody.match(/https?:\/\/\S+/);
  if (!found) throw new Error(`no ${kind} mail with a link to ${to}`);
  return new URL(found[0]);
}

/**
 * Signs in the way a person does: asks for a link, opens the mail, confirms on the page (which
 * submits the token to the verify endpoint), from a browser sending `browser`'s headers (its
 * language, say). Returns the Cookie header the browser would send.
 */
export async function signIn(app: FastifyInstance, email: string, browser: Record<string, string> = {}): Promise<string> {
  // A browser that holds a cookie (its language, say) sends our page's Origin with the request, as
  // our sign-in form does: better-auth refuses a request with a cookie and no Origin.
  const asking = browser.cookie && !browser.origin ? { ...browser, origin: new URL(publicUrlOf(app.config)).origin } : browser;
  const asked = await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', headers: asking, payload: { email, callbackURL: '/' } });
  if (asked.statusCode !== 200) throw new Error(`sign-in request answered ${asked.statusCode}: ${asked.body}`);
  const confirm = await linkFromMail(app, email, 'sign_in');
  const verify = await app.inject({ method: 'GET', url: `/api/auth/magic-link/verify${confirm.search}`, headers: browser });
  if (verify.statusCode !== 302) throw new Error(`verify answered ${verify.statusCode}: ${verify.body}`);
  const setCookie = verify.headers['set-cookie'];
  const cookies = (Array.isArray(setCookie) ? setCookie : [setCookie ?? '']).map((c) => c.split(';')[0] ?? '').filter(Boolean);
  if (!cookies.some((c) => c.includes('session_token'))) throw new Error('verify set no session cookie');
  return cookies.join('; ');
}

/** Signs `email` in and gives them `role` on the organization (as an accepted invitation would). */
export async function signInAs(
  app: FastifyInstance,
  email: string,
  grant?: { organizationId: string; role: 'member' | 'organizer' | 'treasurer' | 'admin'; includesDescendants?: boolean },
): Promise<string> {
  const cookie = await signIn(app, email);
  if (grant) {
    const [user] = await app.database.db.select().from(users).where(eq(users.email, email));
    await app.database.db
      .insert(memberships)
      .values({ userId: user!.id, organizationId: grant.organizationId, role: grant.role, includesDescendants: grant.includesDescendants ?? false })
      .onConflictDoNothing();
  }
  return cookie;
}
