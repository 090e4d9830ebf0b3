import { and, eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { auditLog, donations, outboxEmails } from '../../db/schema/index';
import { yenMonthlyOnClock } from '../helpers/yen-monthly';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { withoutDeadlines } from '../helpers/no-deadlines';
import { signIn } from '../helpers/sign-in';

// A member giving ¥3,000 a month to a strike fund goes on strike herself, or loses shifts: she
// pauses the gift for a month or three instead of ending it (and starting again through checkout).
// Stripe voids the renewals in between, charging nothing; the ledger does not move, no receipt and
// no "payment failed" goes out; then the gift charges again, on the day her page said.

let h: PaymentsHarness;
let stripe: Stripe;
const DAY = 86_400;
const HOUR = 3600;
const slug = 'osaka-care-strike-fund';

beforeAll(async () => {
  h = await startPaymentsHarness();
  await withoutDeadlines(h.testDb.database.db);
  stripe = h.emulator.client();
});
afterAll(async () => h?.close());

const yenMonthly = (donorEmail: string) => yenMonthlyOnClock(h, donorEmail);
type Gift = Awaited<ReturnType<typeof yenMonthly>>;

const post = (id: string, what: 'pause' | 'resume', cookie: string, payload: Record<string, unknown> = {}) =>
  h.app.inject({ method: 'POST', url: `/api/me/monthly/${id}/${what}`, headers: { cookie }, payload: { idempotencyKey: `k-${Math.random().toString(36).slice(2)}`, ...payload } });

const monthlyOf = async (cookie: string, id: string) => ((await h.app.inject({ url: '/api/me/monthly', headers: { cookie } })).json().monthly as Array<Record<string, unknown>>).find((g) => g.id === id)!;
const renewalsOf = (id: string) => h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, id));
const ledgerTransactions = async () => (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions`))[0]!.n;
const raised = async () => BigInt((await h.app.inject({ url: `/api/appeals/${slug}` })).json().progress.raisedGrossMinor);
/** The mails this donor got about her gift (signing in mails her too). */
const mailsTo = async (address: string) => (await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.toAddress, address))).map((m) => m.kind).filter((k) => k !== 'sign_in').sort();
const audits = (id: string, action: string) => h.testDb.database.db.select().from(auditLog).where(and(eq(auditLog.subjectId, id), eq(auditLog.action, action)));
const periodEnd = async (subId: string) => (await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Moves the gift's clock just past its next renewal, and posts what Stripe said. */
async function renewOnce(g: Gift) {
  await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: (await periodEnd(g.subId)) + 60 });
  await h.settle();
}

/** The emulator's updates of this subscription that changed its pause, oldest first. */
async function pauseUpdates(subId: string): Promise<Stripe.Event[]> {
  await h.emulator.controls.flush();
  const events = await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 });
  return events.data.filter((e) => (e.data.object as Stripe.Subscription).id === subId && 'pause_collection' in (e.data.previous_attributes ?? {})).reverse();
}

describe('pausing a monthly gift', () => {
  it('2 months: the next two renewals charge nothing and post nothing, the third charges and posts', async () => {
    const g = await yenMonthly('sakura@example.jp');
    const next = await periodEnd(g.subId);
    const sub = await stripe.subscriptions.retrieve(g.subId);
    // The third period end from now: the two renewals before it are the ones skipped.
    const third = new Date(next * 1000);
    third.setUTCMonth(third.getUTCMonth() + 2);
    const chargesAgainAt = Math.floor(third.getTime() / 1000);
    expect(sub.billing_cycle_anchor).toBe(g.start);

    const res = await post(g.donationId, 'pause', g.donor, { months: 2 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ pausedUntil: iso(chargesAgainAt - HOUR), nextChargeAt: iso(chargesAgainAt), changed: true });
    expect((await stripe.subscriptions.retrieve(g.subId)).pause_collection).toEqual({ behavior: 'void', resumes_at: chargesAgainAt - HOUR });
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, pausedUntil: iso(chargesAgainAt - HOUR), nextChargeAt: iso(chargesAgainAt) });
    expect(await audits(g.donationId, 'donation.pause_monthly')).toHaveLength(1);
    const [mail] = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.kind, 'monthly_paused'));
    expect(mail).toMatchObject({ toAddress: g.email, subject: '毎月のご寄付を一時停止しました' });
    expect(mail!.textBody).toContain('毎月￥3,000のご寄付を一時停止しました');
    expect(mail!.textBody).toMatch(/\d{4}年\d{1,2}月\d{1,2}日のお支払いから再開します/);
    await h.settle();
    const treasurers = (await h.app.inject({ url: `/api/donations/${g.donationId}/detail`, headers: { cookie: h.treasurer } })).json().monthly;
    expect(treasurers).toMatchObject({ paused: true, pausedUntil: iso(chargesAgainAt - HOUR), pausedNextChargeAt: iso(chargesAgainAt) });

    const [transactionsBefore, raisedBefore, balanceBefore, mailsBefore] = [await ledgerTransactions(), await raised(), await h.appealBalance(slug), await mailsTo(g.email)];
    for (let skipped = 0; skipped < 2; skipped++) {
      await renewOnce(g);
      expect(await renewalsOf(g.donationId)).toHaveLength(0);
      expect(await ledgerTransactions()).toBe(transactionsBefore);
      expect(await h.appealBalance(slug)).toBe(balanceBefore);
      expect(await raised()).toBe(raisedBefore);
      // No receipt, and no "your payment failed": a voided renewal is neither.
      expect(await mailsTo(g.email)).toEqual(mailsBefore);
      expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, renewalFailedAt: null, nextChargeAt: iso(chargesAgainAt) });
    }
    const voided = (await stripe.invoices.list({ subscription: g.subId })).data.filter((i) => i.billing_reason === 'subscription_cycle');
    expect(voided.map((i) => i.status)).toEqual(['void', 'void']);

    // Stripe ends the pause on its day; the page then names the charge an hour away.
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: chargesAgainAt - HOUR / 2 });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false, pausedUntil: null, nextChargeAt: iso(chargesAgainAt) });
    expect(await mailsTo(g.email)).toEqual(mailsBefore);

    await renewOnce(g);
    const [renewal] = await renewalsOf(g.donationId);
    expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 3000n });
    expect(await h.appealBalance(slug)).toBe(balanceBefore - 3000n);
    expect(await raised()).toBe(raisedBefore + 3000n);
    expect(await mailsTo(g.email)).toEqual([...mailsBefore, 'receipt'].sort());
  });

  // The appeal closes 40 days from now, and its gifts end with it: a two-month pause outlasts it.
  // Offered all the same (she may not give now, and the gift ends at the close as it would), but
  // nothing says it "stays paused until she resumes it", or names a payment after the close.
  it('a pause the appeal\'s deadline outlasts: no charge after it, and the donor is told the gift ends then', async () => {
    const g = await yenMonthly('kaede.deadline@example.jp');
    const closesAt = new Date(Date.now() + 40 * 86_400_000);
    await h.testDb.database.db.execute(sql`UPDATE appeals SET deadline_at = ${closesAt.toISOString()} WHERE slug = ${slug}`);
    try {
      const res = await post(g.donationId, 'pause', g.donor, { months: 2 });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ nextChargeAt: null, changed: true });
      expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, nextChargeAt: null, endsWithAppealFirst: true, appealDeadlineAt: closesAt.toISOString() });
      const [mail] = await h.testDb.database.db.select().from(outboxEmails).where(and(eq(outboxEmails.kind, 'monthly_paused'), eq(outboxEmails.toAddress, g.email)));
      const day = new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(closesAt);
      expect(mail!.textBody).toContain(`この募金は${day}に終了します。毎月のご寄付もその日に終わり、これ以上の引き落としはありません。`);
      expect(mail!.textBody).not.toMatch(/停止したまま|再開します/);
    } finally {
      await withoutDeadlines(h.testDb.database.db);
    }
  });

  it('resume now: the next renewal charges, and the donor is told', async () => {
    const g = await yenMonthly('hina@example.jp');
    const next = await periodEnd(g.subId);
    expect((await post(g.donationId, 'pause', g.donor, { months: 3 })).statusCode).toBe(200);
    const res = await post(g.donationId, 'resume', g.donor);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ nextChargeAt: iso(next), changed: true });
    expect((await stripe.subscriptions.retrieve(g.subId)).pause_collection).toBeNull();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false, pausedUntil: null, nextChargeAt: iso(next) });
    expect(await audits(g.donationId, 'donation.resume_monthly')).toHaveLength(1);
    const [mail] = await h.testDb.database.db.select().from(outboxEmails).where(and(eq(outboxEmails.kind, 'monthly_resumed'), eq(outboxEmails.toAddress, g.email)));
    expect(mail!.subject).toBe('毎月￥3,000のご寄付を再開しました');
    // Sent again (a resent form): nothing to ask Stripe, nothing to tell.
    expect((await post(g.donationId, 'resume', g.donor)).json()).toEqual({ nextChargeAt: iso(next), changed: false });

    await renewOnce(g);
    const [renewal] = await renewalsOf(g.donationId);
    expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 3000n });
    expect(await mailsTo(g.email)).toEqual(['monthly_paused', 'monthly_resumed', 'receipt', 'receipt']);
  });

  // A treasurer pauses a member's gift in Stripe's Dashboard (she asked them by phone): her page must say so.
  it("a pause made in Stripe's Dashboard shows on the donor's page and the treasurer's", async () => {
    const g = await yenMonthly('yuna@example.jp');
    await stripe.subscriptions.update(g.subId, { pause_collection: { behavior: 'void' } });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, pausedUntil: null, nextChargeAt: null });
    const treasurers = (await h.app.inject({ url: `/api/donations/${g.donationId}/detail`, headers: { cookie: h.treasurer } })).json().monthly;
    expect(treasurers).toMatchObject({ paused: true, pausedUntil: null, pausedNextChargeAt: null });
    // The donor resumes it herself.
    expect((await post(g.donationId, 'resume', g.donor)).json()).toMatchObject({ changed: true });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false, nextChargeAt: iso(await periodEnd(g.subId)) });
  });

  it("is the donor's own, for a running gift: someone else's answers 404, an ended one 409, a bad length 400", async () => {
    const g = await yenMonthly('rin@example.jp');
    const stranger = await signIn(h.app, 'stranger@example.jp');
    for (const what of ['pause', 'resume'] as const) {
      const theirs = await post(g.donationId, what, stranger, { ...(what === 'pause' ? { months: 1 } : {}) });
      expect([theirs.statusCode, theirs.json().error.code]).toEqual([404, 'monthly_gift_not_found']);
    }
    const signedOut = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/pause`, payload: { months: 1, idempotencyKey: 'signed-out-1' } });
    expect(signedOut.statusCode).toBe(401);
    for (const months of [0, 4, '2', 1.5]) expect((await post(g.donationId, 'pause', g.donor, { months })).statusCode, String(months)).toBe(400);
    expect((await post(g.donationId, 'pause', g.donor, { months: 1, extra: true })).statusCode).toBe(400);
    expect((await stripe.subscriptions.retrieve(g.subId)).pause_collection).toBeNull();

    expect((await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/cancel`, headers: { cookie: g.donor } })).statusCode).toBe(200);
    for (const what of ['pause', 'resume'] as const) {
      const ended = await post(g.donationId, what, g.donor, { ...(what === 'pause' ? { months: 1 } : {}) });
      expect([ended.statusCode, ended.json().error.code]).toEqual([409, 'monthly_gift_ended']);
    }
    expect(await audits(g.donationId, 'donation.pause_monthly')).toHaveLength(0);
  });

  // A double click, or a retry after a lost answer: the same request pauses once at Stripe, is
  // audited once and mailed once.
  // Only Stripe's update clears a pause here. If that update is parked (or never comes), the gift
  // charged and posted again each month while her page said "paused" with no next charge, for good;
  // and a paused gift that was set to end, or whose appeal closed, promised a charge after the pause.
  it('a pause whose end has passed is over, and one of a gift that will not charge again is not shown', async () => {
    const g = await yenMonthly('aoi@example.jp');
    expect((await post(g.donationId, 'pause', g.donor, { months: 1 })).statusCode).toBe(200);
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true });
    // Stripe's clearing of the pause is lost; its end passed a minute ago.
    const next = new Date(Date.now() + 20 * DAY * 1000);
    await h.testDb.database.db.update(donations).set({ pausedUntil: new Date(Date.now() - 60_000), nextChargeAt: next }).where(eq(donations.id, g.donationId));
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false, pausedUntil: null, nextChargeAt: next.toISOString() });
    const treasurers = (await h.app.inject({ url: `/api/donations/${g.donationId}/detail`, headers: { cookie: h.treasurer } })).json().monthly;
    expect(treasurers).toMatchObject({ paused: false });

    // Paused again, then set to end at Stripe: it ends; nothing is charged after the pause.
    await h.testDb.database.db.update(donations).set({ pausedUntil: new Date(Date.now() + 10 * DAY * 1000), subscriptionEndsAt: new Date(Date.now() + 5 * DAY * 1000) }).where(eq(donations.id, g.donationId));
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false, pausedUntil: null, nextChargeAt: null, endsAt: expect.any(String) });
  });

  it('the same request twice at once pauses once', async () => {
    const g = await yenMonthly('mao@example.jp');
    const same = { months: 2, idempotencyKey: 'same-pause-1' };
    const answers = await Promise.all([post(g.donationId, 'pause', g.donor, same), post(g.donationId, 'pause', g.donor, same)]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
    expect(answers.map((a) => a.json().changed).sort()).toEqual([false, true]);
    expect(answers[0]!.json().pausedUntil).toBe(answers[1]!.json().pausedUntil);
    expect(await pauseUpdates(g.subId)).toHaveLength(1);
    expect(await audits(g.donationId, 'donation.pause_monthly')).toHaveLength(1);
    expect(await mailsTo(g.email)).toEqual(['monthly_paused', 'receipt']);
    // The key names one pause: another length under it is refused, and nothing changes.
    const reused = await post(g.donationId, 'pause', g.donor, { months: 1, idempotencyKey: 'same-pause-1' });
    expect([reused.statusCode, reused.json().error?.code]).toEqual([409, 'monthly_gift_idempotency_conflict']);
    // Sent again after a resume: Stripe replays its old answer and collects; the page must say so.
    expect((await post(g.donationId, 'resume', g.donor)).statusCode).toBe(200);
    const again = await post(g.donationId, 'pause', g.donor, same);
    expect([again.statusCode, again.json().error?.code]).toEqual([409, 'monthly_gift_changed_since']);
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false });
  });

  // Stripe delivers an event more than once and in any order: the copy of the subscription an
  // event carries may be older than what was posted already.
  it('updates delivered twice, and an older one after a newer: the gift is as Stripe has it now', async () => {
    const g = await yenMonthly('tsubasa@example.jp');
    await stripe.subscriptions.update(g.subId, { pause_collection: { behavior: 'void' } });
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + DAY });
    await stripe.subscriptions.update(g.subId, { pause_collection: '' });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false });
    const [paused, resumed] = await pauseUpdates(g.subId);
    await h.deliver({ ...resumed!, id: `${resumed!.id}_again` });
    await h.deliver({ ...paused!, id: `${paused!.id}_late` });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: false, pausedUntil: null });

    // And the other way: paused at Stripe now, its resume of yesterday arriving late.
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + 2 * DAY });
    await stripe.subscriptions.update(g.subId, { pause_collection: { behavior: 'void' } });
    await h.settle();
    await h.deliver({ ...resumed!, id: `${resumed!.id}_late` });
    await h.settle();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, nextChargeAt: null });
  });

  // A treasurer's resume in Stripe's Dashboard, delivered again after the donor paused the gift
  // an hour later, and before Stripe's word of her pause: Stripe said it before her pause, so
  // her pause stays (as Stripe keeps it), not only once her own update is posted.
  it("the donor's pause outlives an older Dashboard update posted after it", async () => {
    const g = await yenMonthly('kaede@example.jp');
    await stripe.subscriptions.update(g.subId, { pause_collection: { behavior: 'void' } });
    await stripe.subscriptions.update(g.subId, { pause_collection: '' });
    await h.settle();
    const [, resumed] = await pauseUpdates(g.subId);
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + HOUR });
    await h.emulator.controls.flush();
    h.emulator.controls.pause();
    const res = await post(g.donationId, 'pause', g.donor, { months: 1 });
    expect(res.statusCode, res.body).toBe(200);
    try {
      await h.deliver({ ...resumed!, id: `${resumed!.id}_late` });
      await h.drain();
      expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, pausedUntil: res.json().pausedUntil });
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect((await stripe.subscriptions.retrieve(g.subId)).pause_collection).not.toBeNull();
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ paused: true, pausedUntil: res.json().pausedUntil });
  });
});
