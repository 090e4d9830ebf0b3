import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { donations } from '../../db/schema/index';
import { AppError } from '../errors';

/**
 * How long after a gift starts the browser that started it may have the donor's fields back: time
 * enough to look at Checkout and cancel, little enough that a shared computer soon forgets.
 */
export const resumeWindowMs = 3_600_000;

/** The one who holds the key is the one who started the gift; the gift's id alone is in links. */
export interface GiftResumeKeys {
  /** The key to this gift's fields, the same for every replay of its request. */
  keyOf(donationId: string): string;
  matches(donationId: string, key: string): boolean;
}

/**
 * Keys made from the app's secret rather than kept: nothing more is stored with the gift, a
 * request sent twice answers the same key (so a double press leaves the browser one that works),
 * and no key outlives the secret. Its own key, derived once, so that these can never be taken for
 * anything else the secret signs (sessions).
 */
export function giftResumeKeys(appSecret: string): GiftResumeKeys {
  const resumeSecret = createHmac('sha256', appSecret).update('solidarity-fund:gift-resume').digest();
  const keyOf = (donationId: string) => createHmac('sha256', resumeSecret).update(donationId).digest('base64url');
  return {
    keyOf,
    matches: (donationId, key) => {
      const expected = Buffer.from(keyOf(donationId));
      const given = Buffer.from(key);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** What the donor typed into the giving form, as the gift keeps it (the amount is public). */
export interface TypedFields {
  donorName: string | null;
  donorEmail: string | null;
  message: string | null;
  anonymous: boolean;
  updatesOptIn: boolean;
}

/**
 * The donor's own fields of a gift not paid, for the form she canceled Checkout from. Checked in
 * this order, so that only the key's holder learns more than the public status says: the gift, the
 * key, its hour, then whether there is still a gift to ask for.
 */
export async function typedFieldsOf(db: Db, keys: GiftResumeKeys, donationId: string, key: string): Promise<TypedFields> {
  const [d] = await db.select().from(donations).where(eq(donations.id, donationId));
  if (!d) throw new AppError(404, 'donation_not_found', 'No such donation.');
  if (!keys.matches(d.id, key)) throw new AppError(403, 'donation.resume_key_invalid', 'This key is not the one this gift was started with.');
  if (Date.now() - d.createdAt.getTime() > resumeWindowMs) throw new AppError(403, 'donation.resume_key_expired', 'This gift started over an hour ago: its fields are no longer given back.');
  if (d.status !== 'pending' && d.status !== 'canceled') throw new AppError(409, 'donation.resume_closed', 'This gift is no longer waiting to be paid: there is nothing to fill in again.');
  return { donorName: d.donorName, donorEmail: d.donorEmail, message: d.message, anonymous: d.anonymous, updatesOptIn: d.updatesOptIn };
}
