import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations, outboxEmails, users } from '../../db/schema/index';
import { endMonthlyGiftsOfClosedAppeals } from '../../server/appeals/closed-appeal-gifts';
import { cancelMonthlyGift } from '../../server/donors/service';
import { mailText } from '../../server/mail/catalog';
import { inDraftHour, yenMonthlyOnClock } from '../helpers/yen-monthly';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// Stripe makes a renewal's invoice as a draft at the period's end and charges it about an hour
// later; canceling the subscription in that hour stops collection of finalized invoices only
// (docs.stripe.com/api/subscriptions/cancel), so the draft was still charged. A member who ended
// her ¥3,000 gift in that hour was charged once more, receipted, and counted, under a mail that
// said nothing more would be taken; a closed appeal's gifts, ended by its job in that hour, charged
// one more month the same way. The drafted renewal is now held and voided with the end: nothing
// charged, nothing posted, one mail. Should Stripe be charging it already, the gift still ends,
// and what she is told says that one payment is taken.

let h: PaymentsHarness;
let stripe: Stripe;
const HOUR = 3600;
const slug = 'osaka-care-strike-fund';

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
});
afterAll(async () => h?.close());
afterEach(() => h.emulator.controls.setRenewalDraftSeconds(0));

type Gift = Awaited<ReturnType<typeof yenMonthlyOnClock>>;
const endGift = (id: string, cookie: string) => h.app.inject({ method: 'POST', url: `/api/me/monthly/${id}/cancel`, headers: { cookie } });
const renewalsOf = (id: string) => h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, id));
const ledgerTransactions = async () => (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions`))[0]!.n;
const mailsTo = async (address: string) => (await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.toAddress, address))).filter((m) => m.kind !== 'sign_in');
const kindsTo = async (address: string) => (await mailsTo(address)).map((m) => m.kind).sort();
const chargesOf = async (subId: string) => (await stripe.charges.list({ customer: String((await stripe.subscriptions.retrieve(subId)).customer) })).data;
const advance = async (clock: string, to: number) => {
  await stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  await h.settle();
};
const bodyOf = (key: Parameters<typeof mailText>[1], locale: string) => mailText(locale, key, { amount: 'AMOUNT', appeal: 'APPEAL', url: 'URL' }).split('AMOUNT')[1]!.slice(0, 40);

/**
 * The client as it is when Stripe's hour runs out between our reading the draft and our holding
 * it: each invoice read answers what Stripe said, and then the clock passes the hour.
 */
function stripeLosingTheRace(clock: string, to: number): Stripe {
  const invoices = new Proxy(stripe.invoices, {
    get(target, prop, receiver) {
      if (prop !== 'retrieve') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<Stripe['invoices']['retrieve']>) => {
        const read = await target.retrieve(...args);
        await stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
        return read;
      };
    },
  });
  return new Proxy(stripe, { get: (target, prop, receiver) => (prop === 'invoices' ? invoices : Reflect.get(target, prop, receiver)) });
}

describe('a donor ending her monthly gift in the hour before its renewal is charged', () => {
  it('is not charged for it: voided, nothing posted, no receipt or failure mail, one end mail that says nothing more is taken', async () => {
    const g: Gift = await yenMonthlyOnClock(h, 'mio@example.jp');
    const { draft, followingAt } = await inDraftHour(h, g);
    const [transactionsBefore, balanceBefore, kindsBefore] = [await ledgerTransactions(), await h.appealBalance(slug), await kindsTo(g.email)];

    const res = await endGift(g.donationId, g.donor);
    expect(res.statusCode, res.body).toBe(200);
    expect((await stripe.subscriptions.retrieve(g.subId)).status).toBe('canceled');

    // Past the hour, and past the next period's end: nothing more is charged.
    await advance(g.clock, followingAt + 2 * HOUR);
    expect((await chargesOf(g.subId)).length, 'only the first payment was charged').toBe(1);
    expect(await stripe.invoices.retrieve(draft.id)).toMatchObject({ status: 'void', amount_paid: 0 });
    expect(res.json()).toMatchObject({ renewalUnderWay: false });
    expect(await renewalsOf(g.donationId)).toHaveLength(0);
    expect(await ledgerTransactions()).toBe(transactionsBefore);
    expect(await h.appealBalance(slug)).toBe(balanceBefore);
    // The voided renewal's event was stored and posted nothing.
    const voided = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE type = 'invoice.voided' AND status = 'ignored' AND payload::text LIKE ${`%${draft.id}%`}`);
    expect(voided[0]!.n).toBe(1);
    expect(await kindsTo(g.email)).toEqual([...kindsBefore, 'monthly_canceled'].sort());
    const [end] = (await mailsTo(g.email)).filter((m) => m.kind === 'monthly_canceled');
    expect(end!.textBody).toContain(bodyOf('monthly_canceled_body', 'ja'));

    // A second click changes nothing and mails nothing.
    expect((await endGift(g.donationId, g.donor)).statusCode).toBe(200);
    expect(await kindsTo(g.email)).toEqual([...kindsBefore, 'monthly_canceled'].sort());
  });

  it('ends all the same when Stripe is charging it already, and says that one payment is taken', async () => {
    const g: Gift = await yenMonthlyOnClock(h, 'hina@example.jp');
    const { renewsAt, draft } = await inDraftHour(h, g);
    const [user] = await h.testDb.database.db.select().from(users).where(eq(users.email, g.email));
    const viewer = { userId: user!.id, email: g.email, name: user!.name };
    const deps = { db: h.testDb.database.db, stripe: stripeLosingTheRace(g.clock, renewsAt + HOUR + 60), publicUrl: 'http://localhost:3000' };

    const answer = await cancelMonthlyGift(deps, viewer, g.donationId, 'req-race-1');
    expect(answer).toMatchObject({ renewalUnderWay: true });
    expect((await stripe.subscriptions.retrieve(g.subId)).status).toBe('canceled');
    expect(await stripe.invoices.retrieve(draft.id)).toMatchObject({ status: 'paid', amount_paid: 3000 });
    await h.settle();
    // The payment that was taken is posted and receipted as any; the end's mail says it was taken.
    expect(await renewalsOf(g.donationId)).toMatchObject([{ status: 'succeeded', amountMinor: 3000n }]);
    const [end] = (await mailsTo(g.email)).filter((m) => m.kind === 'monthly_canceled');
    expect(end!.textBody).toContain(bodyOf('monthly_canceled_under_way_body', 'ja'));
    expect(end!.textBody).not.toContain(bodyOf('monthly_canceled_body', 'ja'));
    expect((await kindsTo(g.email)).filter((k) => k === 'monthly_canceled')).toHaveLength(1);
  });
});

describe("a closed appeal's job ending a monthly gift in the hour before its renewal is charged", () => {
  it('charges no more month: voided, nothing posted, one end mail', async () => {
    const start = Math.floor(Date.now() / 1000);
    const g = await h.monthlyGiftOnClock('ines@example.org', start, { locale: 'es', donorName: 'Inés' });
    const { draft, followingAt } = await inDraftHour(h, g);
    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    expect((await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/close', headers: { cookie: organizer } })).statusCode).toBe(200);
    const [transactionsBefore, kindsBefore] = [await ledgerTransactions(), await kindsTo('ines@example.org')];

    const ran = await endMonthlyGiftsOfClosedAppeals({ db: h.testDb.database.db, runAlone: h.testDb.database.runAlone, stripe, publicUrl: 'http://localhost:3000', log: pino({ level: 'silent' }) }, 50);
    expect(ran.ended).toBeGreaterThanOrEqual(1);

    await advance(g.clock, followingAt + 2 * HOUR);
    expect((await chargesOf(g.subId)).length, 'only the first payment was charged').toBe(1);
    expect(await stripe.invoices.retrieve(draft.id)).toMatchObject({ status: 'void', amount_paid: 0 });
    expect(await renewalsOf(g.donationId)).toHaveLength(0);
    expect(await ledgerTransactions()).toBe(transactionsBefore);
    expect(await kindsTo('ines@example.org')).toEqual([...kindsBefore, 'appeal_closed_ended'].sort());
    const [end] = (await mailsTo('ines@example.org')).filter((m) => m.kind === 'appeal_closed_ended');
    expect(end!.textBody).toContain(bodyOf('appeal_closed_ended_body', 'es'));
  });
});
