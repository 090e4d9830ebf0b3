import { createHash } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../db/client';
import { verifications } from '../../db/schema/index';

/** A sign-in link's token as better-auth makes them (32 letters), with room to spare; nothing else is looked up. */
export const signInTokenPattern = /^[A-Za-z0-9_-]{8,200}$/;

/*
 * better-auth's magic-link plugin (storeToken: 'hashed', no verification.storeIdentifier) keeps a
 * link as a `verifications` row whose identifier is `magic-link:` and the token's SHA-256 in
 * unpadded base64url, and whose value is JSON `{ type: 'magic-link', email, name? }`. Its verify
 * endpoint consumes the newest row of that identifier, refusing one past `expires_at`.
 */
const magicLinkIdentifier = (token: string) => `magic-link:${createHash('sha256').update(token).digest('base64url')}`;
const magicLinkValue = z.object({ type: z.literal('magic-link'), email: z.string() });

/**
 * The address a sign-in link would sign in as, or null if it would not sign anyone in (unknown,
 * used, expired). Only read: the token is neither spent nor given more time.
 */
export async function signInLinkAddress(db: DbOrTx, token: string): Promise<string | null> {
  const [row] = await db
    .select({ value: verifications.value, expiresAt: verifications.expiresAt })
    .from(verifications)
    .where(eq(verifications.identifier, magicLinkIdentifier(token)))
    .orderBy(desc(verifications.createdAt))
    .limit(1);
  if (!row || row.expiresAt.getTime() <= Date.now()) return null;
  let value: unknown;
  try {
    value = JSON.parse(row.value);
  } catch {
    return null;
  }
  const parsed = magicLinkValue.safeParse(value);
  return parsed.success ? parsed.data.email : null;
}
