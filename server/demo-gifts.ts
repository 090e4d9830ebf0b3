import type { FastifyBaseLogger } from 'fastify';
import Stripe from 'stripe';
import { and, count, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appealUpdates, donations, organizations } from '../db/schema/index';
import { demoGifts, demoUpdate } from '../db/seed-data';
import { appealBySlug, moderateWallEntry, postUpdate } from './appeals/manage-service';
import { createDonation } from './payments/service';
import { AppError } from './errors';
import type { EmulatorControls } from './stripe-emulator/index';
import { safeError } from './safe-error';

const demoUpdateKey = 'demo-update-1';

interface Deps {
  db: Db;
  stripe: Stripe;
  emulator: Pick<EmulatorControls, 'payCheckoutSession'>;
  publicUrl: string;
  log: FastifyBaseLogger;
}

/**
 * Gives the demo's gifts on the demo's first start, the way a donor does: each is a Checkout
 * Session paid in the emulator with Stripe's test card, whose signed webhooks the poster books
 * into the ledger, the progress and the receipts. Nothing is written to the ledger here. Once the
 * poster has booked them, one update is posted, and mailed to the donors who asked for updates.
 * Every step is keyed, so a start that stopped part-way is finished by the next one, each gift
 * given once.
 */
export async function giveDemoGifts(deps: Deps): Promise<number> {
  const ids: string[] = [];
  for (const [i, gift] of demoGifts.entries()) {
    const start = (idempotencyKey: string) => createDonation({ db: deps.db, stripe: deps.stripe, publicUrl: deps.publicUrl }, gift.appeal, {
      amountMinor: gift.amountMinor.toString(),
      frequency: gift.frequency,
      coverFees: gift.coverFees ?? false,
      anonymous: gift.anonymous ?? false,
      updatesOptIn: gift.updatesOptIn ?? false,
      donorName: gift.donorName,
      donorEmail: gift.donorEmail,
      message: gift.message,
      locale: gift.locale,
      timeZone: gift.timeZone,
      idempotencyKey,
    });
    const key = `demo-gift-${i + 1}`;
    const started = await start(key).catch((err: unknown) => {
      // The emulator saves its state a moment after it changes: a start killed in that moment leaves
      // a gift whose checkout it never kept. That gift is started again, under a key of its own.
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') return start(`${key}-again`);
      throw err;
    }).catch((err: unknown) => {
      // Paid on a start that stopped before the rest: booked by the poster from its webhooks.
      if (err instanceof AppError && err.code === 'donation.checkout_completed') return { paid: (err.details as { donationId: string }).donationId };
      // Its checkout, opened on a start a day or more ago, expired unpaid: the demo goes without it.
      if (err instanceof AppError && err.code === 'donation.checkout_expired') return { expired: true };
      throw err;
    });
    if ('expired' in started) continue;
    if ('paid' in started) {
      ids.push(started.paid);
      continue;
    }
    const { donation, checkoutUrl } = started;
    if (gift.messageApproved) await moderateWallEntry(deps.db, { by: null, appeal: await appealBySlug(deps.db, gift.appeal), donationId: donation.id, messageStatus: 'approved' });
    deps.emulator.payCheckoutSession(new URL(checkoutUrl).pathname.split('/').at(-1)!, '4242 4242 4242 4242', { name: gift.donorName, email: gift.donorEmail });
    ids.push(donation.id);
  }
  // The update's mail goes to donors whose gifts are booked: it waits for the poster.
  await bookedWithin(deps.db, ids, 30_000);
  await postUpdate(deps.db, { by: null, appeal: await appealBySlug(deps.db, demoUpdate.appeal), title: demoUpdate.title, bodyMarkdown: demoUpdate.bodyMarkdown, translations: demoUpdate.translations, publicUrl: deps.publicUrl, idempotencyKey: demoUpdateKey });
  return ids.length;
}

async function bookedWithin(db: Db, ids: string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const [row] = await db.select({ n: count() }).from(donations).where(and(inArray(donations.id, ids), eq(donations.status, 'pending')));
    if ((row?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.n} demo gifts were not booked within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Whether the demo was seeded on an earlier start that stopped before its gifts were all given:
 * their last step posts the demo's update.
 */
export async function demoGiftsUnfinished(db: Db): Promise<boolean> {
  const [demo] = await db.select({ n: count() }).from(organizations).where(eq(organizations.isDemo, true));
  if ((demo?.n ?? 0) === 0) return false;
  const [update] = await db.select({ n: count() }).from(appealUpdates).where(eq(appealUpdates.idempotencyKey, demoUpdateKey));
  return (update?.n ?? 0) === 0;
}

/** The demo starts on its own: a failure here is logged, and the product runs without the demo's history. */
export function startDemoGifts(deps: Deps): Promise<void> {
  return giveDemoGifts(deps).then(
    (n) => deps.log.info({ gifts: n }, 'gave the demo gifts through the Stripe emulator (demo data)'),
    (err) => deps.log.warn({ err: safeError(err) }, 'the demo gifts were not all given; the demo runs without them'),
  );
}
