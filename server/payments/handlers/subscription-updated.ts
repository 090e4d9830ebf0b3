import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Tx } from '../../../db/client';
import { donations, outboxEmails } from '../../../db/schema/index';
import { monthlyGiftOf } from './ended';
import { changesEnd, endsAtPeriodEnd } from './ends-at-period-end';
import { amountAsStripeCharges, changesCharge } from './subscription-amount';
import { stripeChangeMails } from './subscription-change-mail';
import { changesPause, pauseAsStripeSaid } from './subscription-pause';
import { requireObjectId, type Handler } from './types';

/**
 * A monthly gift's subscription changed at Stripe: when it ends (ends-at-period-end.ts), what it
 * charges (subscription-amount.ts), whether its collection is paused (subscription-pause.ts), or
 * several in one update. Stripe also updates it on every renewal and new card, which change none
 * of them: those are ignored without asking Stripe anything. What the update changed of what the
 * row kept (its amount, its pause) is told to the donor (subscription-change-mail.ts).
 */
export const subscriptionUpdated: Handler = async (event, deps) => {
  requireObjectId(event, 'subscription');
  const previous = (event.data.previous_attributes ?? {}) as Record<string, unknown>;
  const sub = event.data.object as Stripe.Subscription;
  const end = changesEnd(previous);
  const charge = changesCharge(previous, sub);
  const pause = changesPause(previous);
  if (!end && !charge && !pause) return { ignore: 'subscription update that changes neither when it ends, what it charges nor its pause' };
  const donation = await monthlyGiftOf(sub, deps);
  if ('ignore' in donation) return donation;
  const writes = [
    end ? endsAtPeriodEnd(event, sub, donation) : null,
    charge ? await amountAsStripeCharges(event, deps, donation) : null,
    pause ? pauseAsStripeSaid(event, sub, donation) : null,
  ].filter((w) => w !== null);
  if (writes.length === 0) return { ignore: 'subscription has ended: its amount no longer renews' };
  const appeal = await deps.appealOf(donation.appealId);
  return {
    donationId: donation.id,
    postings: [],
    apply: async (tx) => {
      // The row is the batch's, locked: what it held before these writes is what they changed.
      const before = await giftRow(tx, donation.id);
      for (const write of writes) await write(tx);
      const mails = stripeChangeMails(event, before, await giftRow(tx, donation.id), { appeal, publicUrl: deps.publicUrl, now: new Date() });
      for (const mail of mails) await tx.insert(outboxEmails).values(mail).onConflictDoNothing();
    },
  };
};

const giftRow = async (tx: Tx, id: string) => (await tx.select().from(donations).where(eq(donations.id, id)))[0]!;
