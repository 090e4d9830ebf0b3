import { createHash, randomBytes } from 'node:crypto';

/** A token for a link sent by mail (an invitation, a stop link): 24 random bytes, base64url. */
export const newToken = (): string => randomBytes(24).toString('base64url');

/** What the database keeps of a link's token: its SHA-256, so a leaked table opens nothing. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
