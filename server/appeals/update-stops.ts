import { createHash, randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client';
import { appeals, donations, updateStopTokens } from '../../db/schema/index';

/** 24 random bytes in base64url: what a stop link carries. */
export const stopTokenPattern = /^[A-Za-z0-9_-]{32}$/;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * A new stop token for each address (lower-cased, in the given order), kept as its hash. Written in
 * the transaction that writes the mails, so no mail carries a link that does not work.
 */
export async function issueStopTokens(tx: DbOrTx, appealId: string, emails: string[]): Promise<string[]> {
  if (emails.length === 0) return [];
  const tokens = emails.map(() => randomBytes(24).toString('base64url'));
  await tx.insert(updateStopTokens).values(emails.map((email, i) => ({ tokenHash: hashOf(tokens[i]!), appealId, email })));
  return tokens;
}

/** Where to stop updates: from the mail's text (a page with a button) and from its header (one click, RFC 8058). */
export function stopLinks(publicUrl: string, token: string): { page: string; oneClick: string } {
  const page = new URL('/updates/stop', publicUrl);
  page.searchParams.set('token', token);
  const oneClick = new URL('/api/appeal-updates/stop', publicUrl);
  oneClick.searchParams.set('token', token);
  return { page: page.toString(), oneClick: oneClick.toString() };
}

export interface StopTarget {
  appeal: { slug: string; title: string };
  /** Whether any gift from the address to the appeal still asks for updates. */
  subscribed: boolean;
}

/** What a token stops, or null for a token we never issued. */
export async function findStopTarget(db: DbOrTx, token: string): Promise<StopTarget | null> {
  const [row] = await db
    .select({
      slug: appeals.slug,
      title: appeals.title,
      subscribed: sql<boolean>`EXISTS (SELECT 1 FROM ${donations} WHERE ${donations.appealId} = ${updateStopTokens.appealId}
                                         AND lower(${donations.donorEmail}) = ${updateStopTokens.email} AND ${donations.updatesOptIn})`,
    })
    .from(updateStopTokens)
    .innerJoin(appeals, eq(appeals.id, updateStopTokens.appealId))
    .where(eq(updateStopTokens.tokenHash, hashOf(token)));
  return row ? { appeal: { slug: row.slug, title: row.title }, subscribed: row.subscribed } : null;
}

/**
 * Stops the appeal's update mail to the token's address: every gift from it withdraws its opt-in
 * (a later gift that asks again starts them again). Safe to repeat; null for an unknown token.
 */
export async function stopUpdates(db: Db, token: string): Promise<StopTarget | null> {
  return db.transaction(async (tx) => {
    const [found] = await tx.select().from(updateStopTokens).where(eq(updateStopTokens.tokenHash, hashOf(token)));
    if (!found) return null;
    await tx
      .update(donations)
      .set({ updatesOptIn: false })
      .where(and(eq(donations.appealId, found.appealId), sql`lower(${donations.donorEmail}) = ${found.email}`, eq(donations.updatesOptIn, true)));
    return findStopTarget(tx, token);
  });
}
