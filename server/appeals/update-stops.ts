import { localeCookie } from '../../web/src/lib/locale';
import { hashToken, newToken } from '../auth/tokens';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client';
import { appeals, donations, updateStopTokens } from '../../db/schema/index';
import { updateStopPage, updateStopPath } from './update-stop-link';
import { appealTitleIn, appealTitlesColumn } from '../payments/donations-store';



/** A gift whose donor gets the appeal's update mail: they asked for it, and the gift went through. */
export const getsUpdates = and(eq(donations.updatesOptIn, true), inArray(donations.status, ['succeeded', 'partially_refunded']))!;

/**
 * A new stop token for each address (lower-cased, in the given order), kept as its hash. Written in
 * the transaction that writes the mails, so no mail carries a link that does not work. One
 * statement with one parameter, however many donors (bound one by one, tens of thousands of
 * addresses would pass Postgres's 65,535 parameters).
 */
export async function issueStopTokens(tx: DbOrTx, appealId: string, emails: string[]): Promise<string[]> {
  if (emails.length === 0) return [];
  const tokens = emails.map(() => newToken());
  const rows = JSON.stringify(emails.map((email, i) => ({ h: hashToken(tokens[i]!), e: email })));
  await tx.execute(sql`INSERT INTO ${updateStopTokens} (token_hash, appeal_id, email)
                       SELECT x.h, ${appealId}::uuid, x.e FROM json_to_recordset(${rows}::json) AS x(h text, e text)`);
  return tokens;
}

/**
 * Where to stop updates: from the mail's text (a page with a button, in the mail's language
 * whatever the browser's) and from its header (one click, RFC 8058).
 */
export function stopLinks(publicUrl: string, token: string, locale: string): { page: string; oneClick: string } {
  const page = new URL(updateStopPage, publicUrl);
  page.searchParams.set('token', token);
  page.searchParams.set(localeCookie, locale);
  const oneClick = new URL(updateStopPath, publicUrl);
  oneClick.searchParams.set('token', token);
  return { page: page.toString(), oneClick: oneClick.toString() };
}

export interface StopTarget {
  appeal: { slug: string; title: string };
  /** Whether the address still gets the appeal's updates. */
  subscribed: boolean;
}

/** What a token stops, the appeal named as a reader of `lang` saw it; null for a token we never issued. */
export async function findStopTarget(db: DbOrTx, token: string, lang?: string): Promise<StopTarget | null> {
  const [row] = await db
    .select({
      slug: appeals.slug,
      title: appeals.title,
      language: appeals.language,
      titles: appealTitlesColumn,
      subscribed: sql<boolean>`EXISTS (SELECT 1 FROM ${donations} WHERE ${donations.appealId} = ${updateStopTokens.appealId}
                                         AND lower(${donations.donorEmail}) = ${updateStopTokens.email} AND ${getsUpdates})`,
    })
    .from(updateStopTokens)
    .innerJoin(appeals, eq(appeals.id, updateStopTokens.appealId))
    .where(eq(updateStopTokens.tokenHash, hashToken(token)));
  return row ? { appeal: { slug: row.slug, title: appealTitleIn(row, lang ?? row.language) }, subscribed: row.subscribed } : null;
}

/**
 * Stops the appeal's update mail to the token's address: every gift from it withdraws its opt-in
 * (a later gift that asks again starts them again). Safe to repeat; null for an unknown token.
 */
export async function stopUpdates(db: Db, token: string, lang?: string): Promise<StopTarget | null> {
  await db
    .update(donations)
    .set({ updatesOptIn: false })
    .where(
      and(
        sql`(${donations.appealId}, lower(${donations.donorEmail})) IN (SELECT ${updateStopTokens.appealId}, ${updateStopTokens.email} FROM ${updateStopTokens} WHERE ${updateStopTokens.tokenHash} = ${hashToken(token)})`,
        eq(donations.updatesOptIn, true),
      ),
    );
  return findStopTarget(db, token, lang);
}
