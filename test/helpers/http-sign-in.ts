import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { outboxEmails } from '../../db/schema/index';

/**
 * Signs `email` in over HTTP against a running server at `url`, as the mail's link would: asks for
 * a magic link, reads it from the outbox, follows it. Answers the session's cookies as name=value.
 * `origin`: the pages' own, where they are served apart from the API.
 */
export async function sessionCookiesOverHttp(url: string, database: Database, email: string, origin = url): Promise<string[]> {
  const asked = await fetch(`${url}/api/auth/sign-in/magic-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email, callbackURL: '/' }),
  });
  if (!asked.ok) throw new Error(`sign-in for ${email} answered ${asked.status}: ${await asked.text()}`);
  const [mail] = await database.db
    .select()
    .from(outboxEmails)
    .where(and(eq(outboxEmails.toAddress, email), eq(outboxEmails.kind, 'sign_in')))
    .orderBy(desc(outboxEmails.createdAt))
    .limit(1);
  const link = new URL(mail!.textBody.match(/https?:\/\/\S+/)![0]);
  const verified = await fetch(`${url}/api/auth/magic-link/verify${link.search}`, { redirect: 'manual' });
  const cookies = verified.headers.getSetCookie().map((c) => c.split(';')[0]!);
  if (!cookies.some((c) => c.split('=')[0]!.includes('session_token'))) throw new Error(`verify for ${email} set no session (${verified.status})`);
  return cookies;
}
