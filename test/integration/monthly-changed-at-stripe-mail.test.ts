import { and, eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donations, outboxEmails } from '../../db/schema/index';
import { coverFeesMinor } from '../../server/payments/charge-limits';
import { changeAmount, yenMonthlyOnClock } from '../helpers/yen-monthly';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { withoutDeadlines } from '../helpers/no-deadlines';

// A treasurer changes a member's monthly gift in Stripe's Dashboard (its price, its quantity, a
// pause, a resume): her card is charged another amount next month, or not at all. She is told,
// once per change, in her language and on her calendar, and not a second time for a change she
// made herself here (that change mails her itself), nor when Stripe ends a pause on the day its
// mail named.

let h: PaymentsHarness;
let stripe: Stripe;
const DAY = 86_400;
const HOUR = 3600;

beforeAll(async () => {
  h = await startPaymentsHarness();
  await withoutDeadlines(h.testDb.database.db);
  stripe = h.emulator.client();
});
afterAll(async () => h?.close());

const yenMonthly = (donorEmail: string, body: Record<string, unknown> = {}) => yenMonthlyOnClock(h, donorEmail, body);

/** The mails this donor got about her gift, oldest first (signing in and the receipt aside). */
const mailsTo = async (address: string) =>
  (await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.toAddress, address)).orderBy(outboxEmails.createdAt, outboxEmails.id)).filter((m) => m.kind !== 'sign_in' && m.kind !== 'receipt');
const kindsTo = async (address: string) => (await mailsTo(address)).map((m) => m.kind);
/** A day as the mails name it to a donor in Tokyo. */
const tokyoDay = (at: Date | number) => new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(at);
const rowOf = async (id: string) => (await h.testDb.database.db.select().from(donations).where(eq(donations.id, id)))[0]!;
const periodEnd = async (subId: string) => (await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
const post = (id: string, what: 'pause' | 'resume', cookie: string, payload: Record<string, unknown> = {}) =>
  h.app.inject({ method: 'POST', url: `/api/me/monthly/${id}/${what}`, headers: { cookie }, payload: { idempotencyKey: `k-${Math.random().toString(36).slice(2)}`, ...payload } });

/** The subscription's one item at a new price, as a treasurer sets it in Stripe's Dashboard. */
async function priceInDashboard(subId: string, unitAmount: number) {
  const [item] = (await stripe.subscriptions.retrieve(subId)).items.data;
  const price_data = { currency: item!.price.currency, product: String(item!.price.product), unit_amount: unitAmount, recurring: { interval: 'month' as const } };
  await stripe.subscriptions.update(subId, { items: [{ id: item!.id, price_data }], proration_behavior: 'none' });
}

/** The emulator's updates of this subscription, oldest first. */
async function updatesOf(subId: string): Promise<Stripe.Event[]> {
  await h.emulator.controls.flush();
  const events = await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 });
  return events.data.filter((e) => (e.data.object as Stripe.Subscription).id === subId).reverse();
}

/** Stripe delivers an event again (the same id), and a copy of it arrives under another id too. */
async function deliveredAgain(event: Stripe.Event) {
  await h.deliver(event);
  await h.deliver({ ...event, id: `${event.id}_again` });
  await h.settle();
}

describe("a monthly gift changed in Stripe's Dashboard", () => {
  it('a new price: the donor is told once, in Japanese, from her next payment on her calendar, with a link to her page', async () => {
    const g = await yenMonthly('hotaru@example.jp');
    await priceInDashboard(g.subId, 4500);
    await h.settle();
    const mails = await mailsTo(g.email);
    expect(mails.map((m) => m.kind)).toEqual(['monthly_amount_changed']);
    const [mail] = mails;
    expect(mail).toMatchObject({ toAddress: 'hotaru@example.jp', subject: '毎月のご寄付が￥4,500になりました' });
    expect(mail!.textBody).toMatch(/の会計担当者が、決済代行会社Stripeで、毎月のご寄付を月￥3,000から月￥4,500に変更しました。/);
    expect(mail!.textBody).toContain(`新しい金額は、次回${tokyoDay((await periodEnd(g.subId)) * 1000)}のお支払いから引き落とされます。`);
    expect(mail!.textBody).toContain('http://localhost:3000/account');
    expect(mail!.textBody).not.toContain('手数料');

    const [update] = await updatesOf(g.subId);
    await deliveredAgain(update!);
    expect(await kindsTo(g.email)).toEqual(['monthly_amount_changed']);
  });

  it("a quantity of two, then one again: each is told, the second with the fees she chose to cover", async () => {
    const g = await yenMonthly('minori@example.jp', { coverFees: true });
    const fees = coverFeesMinor(3000n, 'JPY');
    const yen = (n: bigint) => `￥${n.toLocaleString('en')}`;
    const [item] = (await stripe.subscriptions.retrieve(g.subId)).items.data;
    await stripe.subscriptions.update(g.subId, { items: [{ id: item!.id, quantity: 2 }], proration_behavior: 'none' });
    await h.settle();
    await stripe.subscriptions.update(g.subId, { items: [{ id: item!.id, quantity: 1 }], proration_behavior: 'none' });
    await h.settle();
    const [doubled, back] = await mailsTo(g.email);
    expect(doubled!.subject).toBe(`毎月のご寄付が${yen(2n * (3000n + fees))}になりました`);
    expect(doubled!.textBody).not.toContain('手数料');
    expect(back!.subject).toBe(`毎月のご寄付が${yen(3000n + fees)}になりました`);
    expect(back!.textBody).toContain(`このうち${yen(fees)}は、ご希望どおりStripeの手数料に充てられ`);
    expect(await mailsTo(g.email)).toHaveLength(2);
  });

  it('a pause with an end: told once, with the day it charges again; Stripe ending it on that day mails nothing', async () => {
    const g = await yenMonthly('asahi@example.jp');
    const next = await periodEnd(g.subId);
    const chargesAgainAt = new Date(next * 1000);
    chargesAgainAt.setUTCMonth(chargesAgainAt.getUTCMonth() + 1);
    const resumesAt = chargesAgainAt.getTime() / 1000 - HOUR;
    await stripe.subscriptions.update(g.subId, { pause_collection: { behavior: 'void', resumes_at: resumesAt } });
    await h.settle();
    const [paused] = await mailsTo(g.email);
    expect(paused).toMatchObject({ kind: 'monthly_paused', subject: '毎月のご寄付を一時停止しました' });
    expect(paused!.textBody).toMatch(/の会計担当者が、決済代行会社Stripeで、毎月￥3,000のご寄付を一時停止しました。/);
    expect(paused!.textBody).toContain(`${tokyoDay(chargesAgainAt)}のお支払いから再開します。`);

    // The renewal in between is voided; Stripe clears the pause at resumes_at.
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: next + 60 });
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: resumesAt + 60 });
    await h.settle();
    expect(await rowOf(g.donationId)).toMatchObject({ collectionPaused: false });
    expect(await kindsTo(g.email)).toEqual(['monthly_paused']);
  });

  it('a pause with no end, then a resume: each told once, however often and in whatever order Stripe delivers them', async () => {
    const g = await yenMonthly('nagi@example.jp');
    await stripe.subscriptions.update(g.subId, { pause_collection: { behavior: 'void' } });
    await h.settle();
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + DAY });
    await stripe.subscriptions.update(g.subId, { pause_collection: '' });
    await h.settle();
    const [paused, resumed] = await mailsTo(g.email);
    expect(paused!.textBody).toContain('再開の操作をされるまで停止したままになります。');
    expect(resumed).toMatchObject({ kind: 'monthly_resumed', subject: '毎月￥3,000のご寄付を再開しました' });
    expect(resumed!.textBody).toMatch(/の会計担当者が、決済代行会社Stripeで、毎月￥3,000のご寄付を再開しました。/);
    expect(resumed!.textBody).toContain(`次回のお支払いは${tokyoDay((await periodEnd(g.subId)) * 1000)}です。`);

    const [pauseEvent, resumeEvent] = await updatesOf(g.subId);
    await deliveredAgain(resumeEvent!);
    await deliveredAgain(pauseEvent!);
    expect(await kindsTo(g.email)).toEqual(['monthly_paused', 'monthly_resumed']);
  });

  // Paused in the Dashboard with "keep invoices as drafts", the months of the pause stay owed: the
  // treasurer can still finalize and collect them after. "Nothing is charged" alone would read as
  // months skipped for good. (The emulator pauses only with void: Stripe's event is delivered as
  // Stripe would send it for keep_as_draft.)
  it('a pause that keeps the invoices as drafts says those payments may still be collected', async () => {
    const g = await yenMonthly('kaede@example.jp', { locale: 'en' });
    await h.emulator.controls.flush();
    h.emulator.controls.pause();
    try {
      await stripe.subscriptions.update(g.subId, { pause_collection: { behavior: 'void' } });
      const [update] = (await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 })).data.filter((e) => (e.data.object as Stripe.Subscription).id === g.subId);
      const sub = update!.data.object as Stripe.Subscription;
      await h.deliver({ ...update!, id: `${update!.id}_draft`, data: { ...update!.data, object: { ...sub, pause_collection: { behavior: 'keep_as_draft', resumes_at: null } } } });
      await h.drain();
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    const [paused, ...rest] = await mailsTo(g.email);
    expect(rest).toEqual([]);
    expect(paused).toMatchObject({ kind: 'monthly_paused' });
    expect(paused!.textBody).toContain('Nothing is charged while it is paused.');
    expect(paused!.textBody).toContain('Stripe keeps the payments of the paused months as unpaid bills: the treasurer can still collect them from your card later.');
  });

  it('the same update posted by two posters at once is told once', async () => {
    const g = await yenMonthly('iroha@example.jp');
    await h.emulator.controls.flush();
    h.emulator.controls.pause();
    try {
      await priceInDashboard(g.subId, 5000);
      const events = await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 });
      const update = events.data.find((e) => (e.data.object as Stripe.Subscription).id === g.subId)!;
      await h.deliver(update);
      await h.deliver({ ...update, id: `${update.id}_copy` });
      await Promise.all([h.drain({ batchSize: 1 }), h.drain({ batchSize: 1 })]);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await kindsTo(g.email)).toEqual(['monthly_amount_changed']);
  });

  it("the donor's own Change amount, Pause and Resume are told once each, by her own change", async () => {
    const g = await yenMonthly('shiori@example.jp');
    expect((await changeAmount(h, g.donationId, g.donor, { amountMinor: '5000' })).statusCode).toBe(200);
    await h.settle();
    expect((await post(g.donationId, 'pause', g.donor, { months: 2 })).statusCode).toBe(200);
    await h.settle();
    expect((await post(g.donationId, 'resume', g.donor)).statusCode).toBe(200);
    await h.settle();
    const mails = await mailsTo(g.email);
    expect(mails.map((m) => m.kind)).toEqual(['monthly_amount_changed', 'monthly_paused', 'monthly_resumed']);
    for (const mail of mails) expect(mail.textBody).not.toContain('会計担当者');
  });

  // Stripe took her new amount and our commit then failed: the poster finds it at Stripe, but it
  // is hers, not a treasurer's, and must not be mailed as one.
  it("the donor's own change whose write was lost is not told as a treasurer's", async () => {
    const g = await yenMonthly('tsumugi@example.jp');
    const db = h.testDb.database.db;
    await db.execute(sql`CREATE OR REPLACE FUNCTION test_lose_amount_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the write was lost'; END $$`);
    await db.execute(sql.raw(`CREATE TRIGGER test_lose_amount_write BEFORE UPDATE OF renewal_amount_minor ON donations FOR EACH ROW WHEN (NEW.id = '${g.donationId}') EXECUTE FUNCTION test_lose_amount_write()`));
    try {
      expect((await changeAmount(h, g.donationId, g.donor, { amountMinor: '5000' })).statusCode).toBe(500);
    } finally {
      await db.execute(sql`DROP TRIGGER test_lose_amount_write ON donations`);
    }
    await h.settle();
    expect(await rowOf(g.donationId)).toMatchObject({ renewalAmountMinor: 5000n });
    expect(await kindsTo(g.email)).toEqual([]);
  });

  it('a gift with no address, or set to end, is not told', async () => {
    const g = await yenMonthly('no-address@example.jp');
    await h.testDb.database.db.update(donations).set({ donorEmail: null }).where(eq(donations.id, g.donationId));
    await priceInDashboard(g.subId, 4500);
    const ending = await yenMonthly('ending@example.jp');
    await stripe.subscriptions.update(ending.subId, { cancel_at_period_end: true });
    await h.settle();
    await priceInDashboard(ending.subId, 4500);
    await stripe.subscriptions.update(ending.subId, { pause_collection: { behavior: 'void' } });
    await h.settle();
    expect(await rowOf(g.donationId)).toMatchObject({ renewalAmountMinor: 4500n });
    expect(await rowOf(ending.donationId)).toMatchObject({ renewalAmountMinor: 4500n, collectionPaused: true });
    const told = await h.testDb.database.db.select().from(outboxEmails).where(and(eq(outboxEmails.kind, 'monthly_amount_changed'), sql`${outboxEmails.dedupeKey} LIKE ${`%${g.donationId}%`}`));
    expect(told).toEqual([]);
    expect(await kindsTo(ending.email)).toEqual([]);
  });
});


// Her change's posting writes the amount as Stripe charges it when posted: a treasurer's new price
// made before then is written by her event, and the treasurer's own event finds nothing to change.
describe("a treasurer's price made before the donor's own change is posted", () => {
  it('is told, from the amount her own mail named', async () => {
    const g = await yenMonthly('before-hers-posted@example.jp');
    await h.emulator.controls.flush();
    h.emulator.controls.pause();
    try {
      expect((await changeAmount(h, g.donationId, g.donor, { amountMinor: '5000' })).statusCode).toBe(200);
      await priceInDashboard(g.subId, 7000);
      const [hers, treasurers] = (await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 })).data
        .filter((e) => (e.data.object as Stripe.Subscription).id === g.subId)
        .reverse();
      await h.deliver(hers!);
      await h.drain();
      await h.deliver(treasurers!);
      await h.drain();
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect((await rowOf(g.donationId)).renewalAmountMinor).toBe(7000n);
    const mails = await mailsTo(g.email);
    expect(mails.map((m) => m.kind)).toEqual(['monthly_amount_changed', 'monthly_amount_changed']);
    expect(mails[1]!.textBody).toContain('￥5,000');
    expect(mails[1]!.textBody).toContain('￥7,000');
  });
});
