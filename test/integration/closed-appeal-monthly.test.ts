import { and, eq, sql } from 'drizzle-orm';
import pino from 'pino';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { auditLog, donations, outboxEmails } from '../../db/schema/index';
import { endMonthlyGiftsOfClosedAppeals } from '../../server/appeals/closed-appeal-gifts';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// An appeal that closed (by hand, or at its deadline) says on its page that it takes no more gifts.
// Its monthly gifts went on charging their donors every month all the same (an audit saw a renewal
// charged, receipted and counted a month after closing), and nobody told the donors.

let h: PaymentsHarness;
let stripe: Stripe;
const DAY = 86_400;

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});

afterAll(async () => {
  await h?.close();
});

const endJob = () => endMonthlyGiftsOfClosedAppeals({ db: h.testDb.database.db, runAlone: h.testDb.database.runAlone, stripe, publicUrl: 'http://localhost:3000', log: pino({ level: 'silent' }) }, 50);

async function donation(id: string) {
  const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, id));
  return row!;
}

const renewalsOf = async (id: string) => (await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, id))).length;
const mailsOf = (id: string) => h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `monthly_ended:${id}`));

describe('closing an appeal ends its monthly gifts', () => {
  it('ends them at Stripe, charges no renewal after, and tells each donor once', async () => {
    const start = Math.floor(Date.now() / 1000);
    const gift = await h.monthlyGiftOnClock('ana@example.org', start, { locale: 'es', donorName: 'Ana' });
    const ended = await h.monthlyGiftOnClock('kei@example.org', start);
    // A monthly gift its donor had ended before: Stripe ended it, the donor knows, no mail.
    await stripe.subscriptions.cancel(ended.subId);
    await h.settle();
    // A monthly gift to an appeal that stays open goes on.
    const open = await h.donate('osaka-care-strike-fund', { amountMinor: '3000', frequency: 'monthly', donorEmail: 'yui@example.org' });
    h.emulator.controls.payCheckoutSession(open.sessionId, '4242424242424242');
    await h.settle();
    const openSub = (await donation(open.donationId)).subscriptionId!;

    // Renewing once while the appeal is open: the clock works, and the gift is a real monthly one.
    const firstEnd = (await stripe.subscriptions.retrieve(gift.subId)).items.data[0]!.current_period_end;
    await stripe.testHelpers.testClocks.advance(gift.clock, { frozen_time: firstEnd + 60 });
    await h.settle();
    expect(await renewalsOf(gift.donationId)).toBe(1);

    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const closed = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/close', headers: { cookie: organizer } });
    expect(closed.statusCode, closed.body).toBe(200);
    const raised = await h.appealBalance('buck-a-brick');

    expect(await endJob()).toEqual({ seen: 1, ended: 1 });
    expect((await stripe.subscriptions.retrieve(gift.subId)).status).toBe('canceled');
    expect((await donation(gift.donationId)).subscriptionCanceledAt).not.toBeNull();

    // A month on, and two: Stripe charges nothing more for the closed appeal.
    await stripe.testHelpers.testClocks.advance(gift.clock, { frozen_time: firstEnd + 32 * DAY });
    await stripe.testHelpers.testClocks.advance(gift.clock, { frozen_time: firstEnd + 64 * DAY });
    await h.settle();
    expect(await renewalsOf(gift.donationId)).toBe(1);
    expect(await h.appealBalance('buck-a-brick')).toBe(raised);

    // The donor is told, in the language she gave in, once; the one who had ended hers is not.
    expect(await endJob()).toEqual({ seen: 0, ended: 0 });
    const [mail, ...more] = await mailsOf(gift.donationId);
    expect(more).toEqual([]);
    expect(mail).toMatchObject({ toAddress: 'ana@example.org', kind: 'appeal_closed_ended' });
    expect(mail!.subject).toContain('10,00');
    expect(mail!.textBody).toContain('Buck-a-Brick');
    expect(mail!.textBody).toContain('http://localhost:3000/appeals/buck-a-brick');
    expect(await mailsOf(ended.donationId)).toEqual([]);

    // Her giving page says it has ended, and when; the audit log says who ended it: nobody, the closing.
    const monthly = (await h.app.inject({ url: '/api/me/monthly', headers: { cookie: await signIn(h.app, 'ana@example.org') } })).json().monthly;
    expect(monthly).toEqual([expect.objectContaining({ id: gift.donationId, canceledAt: expect.any(String), appealClosed: true, nextChargeAt: null })]);
    const audit = await h.testDb.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, gift.donationId), eq(auditLog.action, 'donation.end_monthly_appeal_closed')));
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorUserId).toBeNull();

    // The open appeal's monthly gift is untouched.
    expect((await stripe.subscriptions.retrieve(openSub)).status).toBe('active');
    expect((await donation(open.donationId)).subscriptionCanceledAt).toBeNull();
  });

  it('leaves a ledger that verifies and no event parked', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const [parked] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE status NOT IN ('processed', 'ignored')`);
    expect(parked!.n).toBe(0);
  });
});
