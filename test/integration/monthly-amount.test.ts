import { and, eq, like, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appeals, auditLog, donations, outboxEmails } from '../../db/schema/index';
import { coverFeesMinor } from '../../server/payments/charge-limits';
import { changeAmount, yenMonthlyOnClock } from '../helpers/yen-monthly';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { withoutDeadlines } from '../helpers/no-deadlines';
import { holdLock } from '../helpers/row-lock';
import { signIn } from '../helpers/sign-in';

// A member who gives ¥3,000 a month and can now give ¥5,000 (or less, after losing shifts) changes
// the amount instead of ending the gift and starting again. Nothing is charged then, and the
// ledger does not move: the next renewal charges the new amount, and that posts as every renewal does.

let h: PaymentsHarness;
let stripe: Stripe;
const DAY = 86_400;
const slug = 'osaka-care-strike-fund';

beforeAll(async () => {
  h = await startPaymentsHarness();
  await withoutDeadlines(h.testDb.database.db);
  stripe = h.emulator.client();
});
afterAll(async () => h?.close());

const yenMonthly = (donorEmail: string, body: Record<string, unknown> = {}) => yenMonthlyOnClock(h, donorEmail, body);

const change = (id: string, cookie: string, payload: Record<string, unknown>) => changeAmount(h, id, cookie, payload);

const monthlyOf = async (cookie: string, id: string) => ((await h.app.inject({ url: '/api/me/monthly', headers: { cookie } })).json().monthly as Array<Record<string, unknown>>).find((g) => g.id === id)!;
const priceAtStripe = async (subId: string) => (await stripe.subscriptions.retrieve(subId)).items.data[0]!.price.unit_amount;
const ledgerTransactions = async () => (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM ledger_transactions`))[0]!.n;
const raised = async () => BigInt((await h.app.inject({ url: `/api/appeals/${slug}` })).json().progress.raisedGrossMinor);
const audits = (id: string) => h.testDb.database.db.select().from(auditLog).where(and(eq(auditLog.subjectId, id), eq(auditLog.action, 'donation.change_monthly_amount')));
const amountMails = (id: string) => h.testDb.database.db.select().from(outboxEmails).where(like(outboxEmails.dedupeKey, `monthly_amount:${id}:%`));
/** The emulator's updates of this subscription that changed its item. */
async function itemUpdates(subId: string) {
  await h.emulator.controls.flush();
  const events = await stripe.events.list({ type: 'customer.subscription.updated', limit: 100 });
  return events.data.filter((e) => (e.data.object as Stripe.Subscription).id === subId && 'items' in (e.data.previous_attributes ?? {}));
}

describe("changing a monthly gift's amount", () => {
  it('¥3,000 → ¥5,000: nothing now, then the next renewal posts ¥5,000 to the ledger and the progress', async () => {
    const g = await yenMonthly('kenji@example.jp');
    const [transactionsBefore, raisedBefore, balanceBefore] = [await ledgerTransactions(), await raised(), await h.appealBalance(slug)];

    const res = await change(g.donationId, g.donor, { amountMinor: '5000' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ amountMinor: '5000', giftAmountMinor: '5000', coversFees: false, changed: true });
    expect(await priceAtStripe(g.subId)).toBe(5000);
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '5000', giftAmountMinor: '5000', coversFees: false });
    // The first payment stays what it was: its refunds and receipt are of that charge.
    const [first] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, g.donationId));
    expect(first).toMatchObject({ amountMinor: 3000n, renewalAmountMinor: 5000n, renewalCoverFeesMinor: 0n });
    await h.settle();
    // Stripe's word of the new price: the poster finds the amount already so, and moves nothing.
    const [update] = await itemUpdates(g.subId);
    const [stored] = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status FROM stripe_events WHERE id = ${update!.id}`);
    expect(stored!.status).toBe('processed');
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '5000', giftAmountMinor: '5000', coversFees: false });
    expect(await ledgerTransactions()).toBe(transactionsBefore);
    expect(await h.appealBalance(slug)).toBe(balanceBefore);

    const [audit] = await audits(g.donationId);
    expect(audit).toMatchObject({ before: { amountMinor: '3000', coverFeesMinor: '0' }, after: { amountMinor: '5000', coverFeesMinor: '0', subscriptionId: g.subId } });
    const [mail] = await amountMails(g.donationId);
    expect(mail).toMatchObject({ toAddress: 'kenji@example.jp', kind: 'monthly_amount_changed', subject: '毎月のご寄付が￥5,000になりました' });
    expect(mail!.textBody).toContain('月￥3,000から月￥5,000に変更しました');
    expect(mail!.textBody).toMatch(/次回\d{4}年\d{1,2}月\d{1,2}日のお支払いから/);

    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + 31 * DAY });
    await h.settle();
    const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, g.donationId));
    expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 5000n, coverFeesMinor: 0n, renewalAmountMinor: null });
    expect(await h.appealBalance(slug)).toBe(balanceBefore - 5000n);
    expect(await raised()).toBe(raisedBefore + 5000n);
    // Ending it afterwards tells the donor the amount it gave by then.
    const ended = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/cancel`, headers: { cookie: g.donor } });
    expect(ended.statusCode).toBe(200);
    const [endMail] = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `monthly_ended:${g.donationId}`));
    expect(endMail!.subject).toContain('￥5,000');
  });

  // With the fees covered, each renewal keeps the split: the appeal's gift and what covers Stripe's fee.
  it('keeps covering the fees when asked, and the renewal splits as the donor chose', async () => {
    const g = await yenMonthly('yui@example.jp', { coverFees: true });
    const fees = coverFeesMinor(5000n, 'JPY');
    const res = await change(g.donationId, g.donor, { amountMinor: '5000', coverFees: true });
    expect(res.json()).toEqual({ amountMinor: String(5000n + fees), giftAmountMinor: '5000', coversFees: true, changed: true });
    expect(await priceAtStripe(g.subId)).toBe(Number(5000n + fees));
    await stripe.testHelpers.testClocks.advance(g.clock, { frozen_time: g.start + 31 * DAY });
    await h.settle();
    const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, g.donationId));
    expect(renewal).toMatchObject({ amountMinor: 5000n, coverFeesMinor: fees });
  });

  it("is the donor's own: someone else's gift answers as a missing one, and no one signed out may ask", async () => {
    const g = await yenMonthly('aiko@example.jp');
    const stranger = await signIn(h.app, 'stranger@example.jp');
    const theirs = await change(g.donationId, stranger, { amountMinor: '5000' });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.code).toBe('monthly_gift_not_found');
    const signedOut = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/amount`, payload: { amountMinor: '5000', coverFees: false, idempotencyKey: 'signed-out-1' } });
    expect(signedOut.statusCode).toBe(401);
    expect(await priceAtStripe(g.subId)).toBe(3000);
  });

  it('refuses an ended gift, one whose renewal is failing, and one whose appeal closed, with 409 and a code', async () => {
    const g = await yenMonthly('haruto@example.jp');
    expect((await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/cancel`, headers: { cookie: g.donor } })).statusCode).toBe(200);
    const ended = await change(g.donationId, g.donor, { amountMinor: '5000' });
    expect(ended.statusCode).toBe(409);
    expect(ended.json().error.code).toBe('monthly_gift_ended');

    const f = await yenMonthly('sora@example.jp');
    h.emulator.controls.declineSubscriptionPayments(f.subId, 'expired_card');
    await stripe.testHelpers.testClocks.advance(f.clock, { frozen_time: f.start + 31 * DAY });
    await h.settle();
    const failing = await change(f.donationId, f.donor, { amountMinor: '5000' });
    expect(failing.statusCode).toBe(409);
    expect(failing.json().error.code).toBe('monthly_gift_failing');
    expect(await priceAtStripe(f.subId)).toBe(3000);

    // Its appeal closed (before the closing's job has ended its gifts at Stripe): its gifts end with it.
    const c = await yenMonthly('mio@example.jp');
    await h.testDb.database.db.update(appeals).set({ status: 'closed', closedAt: new Date() }).where(eq(appeals.slug, slug));
    try {
      const closed = await change(c.donationId, c.donor, { amountMinor: '5000' });
      expect(closed.statusCode).toBe(409);
      expect(closed.json().error.code).toBe('monthly_gift_appeal_closed');
      expect(await priceAtStripe(c.subId)).toBe(3000);
    } finally {
      await h.testDb.database.db.update(appeals).set({ status: 'live', closedAt: null }).where(eq(appeals.slug, slug));
    }
  });

  it("refuses what the giving form refuses (below Stripe's minimum, above its maximum, not digits), with 400 and the donation's code", async () => {
    const g = await yenMonthly('mei@example.jp');
    const small = await change(g.donationId, g.donor, { amountMinor: '10' });
    expect(small.statusCode).toBe(400);
    expect(small.json().error.code).toBe('donation.amount_too_small');
    const big = await change(g.donationId, g.donor, { amountMinor: '100000000' });
    expect(big.statusCode).toBe(400);
    expect(big.json().error.code).toBe('donation.amount_too_large');
    expect((await change(g.donationId, g.donor, { amountMinor: '5,000' })).statusCode).toBe(400);
    expect((await change(g.donationId, g.donor, { amountMinor: '5000', coverFees: 'yes' })).statusCode).toBe(400);
    expect(await priceAtStripe(g.subId)).toBe(3000);
    expect(await audits(g.donationId)).toHaveLength(0);
  });

  // ¥3,000 → ¥30,000 is as often an extra zero as a wish, and it would be charged every month:
  // asked to be confirmed first, with nothing changed meanwhile (Stripe, the row, an audit, a mail).
  it('asks a change to five times the amount, above about 100 USD, to be confirmed first; confirmed, it is made', async () => {
    const g = await yenMonthly('riku@example.jp');
    const asked = await change(g.donationId, g.donor, { amountMinor: '30000', idempotencyKey: 'big-change-1' });
    expect([asked.statusCode, asked.json().error?.code]).toEqual([409, 'monthly_amount_needs_confirm']);
    expect((await change(g.donationId, g.donor, { amountMinor: '30000', confirm: false })).statusCode).toBe(409);
    expect((await change(g.donationId, g.donor, { amountMinor: '30000', confirm: 'yes' })).statusCode).toBe(400);
    expect(await priceAtStripe(g.subId)).toBe(3000);
    expect(await itemUpdates(g.subId)).toHaveLength(0);
    expect(await audits(g.donationId)).toHaveLength(0);
    expect(await amountMails(g.donationId)).toHaveLength(0);
    const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, g.donationId));
    expect(row!.renewalAmountMinor).toBeNull();

    // Confirmed, under the same key (the page sends it again): made as any change.
    const confirmed = await change(g.donationId, g.donor, { amountMinor: '30000', idempotencyKey: 'big-change-1', confirm: true });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toEqual({ amountMinor: '30000', giftAmountMinor: '30000', coversFees: false, changed: true });
    expect(await priceAtStripe(g.subId)).toBe(30000);
    expect(await audits(g.donationId)).toHaveLength(1);
    expect(await amountMails(g.donationId)).toHaveLength(1);
    // Back down, or up by less than five times: not asked.
    expect((await change(g.donationId, g.donor, { amountMinor: '3000' })).statusCode).toBe(200);
    expect((await change(g.donationId, g.donor, { amountMinor: '9000' })).statusCode).toBe(200);
  });

  // The step says "from ¥3,000 to ¥30,000"; meanwhile another tab (or Stripe's Dashboard, posted)
  // changes the gift to ¥4,000. Confirm rests on the ¥3,000 it showed: asked again, from ¥4,000,
  // with nothing changed at Stripe or in the database.
  it('a confirmation of a change from an amount the gift no longer has is asked again, from the current one', async () => {
    const g = await yenMonthly('hina@example.jp');
    const asked = await change(g.donationId, g.donor, { amountMinor: '30000', idempotencyKey: 'stale-confirm-1' });
    expect([asked.statusCode, asked.json().error?.code, asked.json().error?.details]).toEqual([409, 'monthly_amount_needs_confirm', { giftAmountMinor: '3000' }]);
    // The other tab.
    expect((await change(g.donationId, g.donor, { amountMinor: '4000' })).statusCode).toBe(200);
    const stale = await change(g.donationId, g.donor, { amountMinor: '30000', idempotencyKey: 'stale-confirm-1', confirm: true, confirmFromMinor: '3000' });
    expect([stale.statusCode, stale.json().error?.code, stale.json().error?.details]).toEqual([409, 'monthly_amount_needs_confirm', { giftAmountMinor: '4000' }]);
    expect(await priceAtStripe(g.subId)).toBe(4000);
    expect(await itemUpdates(g.subId)).toHaveLength(1);
    expect(await audits(g.donationId)).toHaveLength(1);
    expect(await amountMails(g.donationId)).toHaveLength(1);
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ giftAmountMinor: '4000' });

    // Checked as an amount: digits only, and only beside confirm: true.
    expect((await change(g.donationId, g.donor, { amountMinor: '30000', confirm: true, confirmFromMinor: '4,000' })).statusCode).toBe(400);
    expect((await change(g.donationId, g.donor, { amountMinor: '30000', confirm: true, confirmFromMinor: 4000 })).statusCode).toBe(400);
    expect((await change(g.donationId, g.donor, { amountMinor: '30000', confirmFromMinor: '4000' })).statusCode).toBe(400);

    // Confirmed from what the gift is: made, under the same key.
    const confirmed = await change(g.donationId, g.donor, { amountMinor: '30000', idempotencyKey: 'stale-confirm-1', confirm: true, confirmFromMinor: '4000' });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ giftAmountMinor: '30000', changed: true });
    expect(await priceAtStripe(g.subId)).toBe(30000);
    expect(await audits(g.donationId)).toHaveLength(2);

    // A stale confirmation of a change that would no longer be asked about (¥10,000 → ¥30,000 is
    // three times) is asked again too: what the donor confirmed was another change.
    expect((await change(g.donationId, g.donor, { amountMinor: '10000' })).statusCode).toBe(200);
    const other = await change(g.donationId, g.donor, { amountMinor: '30000', confirm: true, confirmFromMinor: '4000' });
    expect([other.statusCode, other.json().error?.code, other.json().error?.details]).toEqual([409, 'monthly_amount_needs_confirm', { giftAmountMinor: '10000' }]);
    expect(await priceAtStripe(g.subId)).toBe(10000);
  });

  // A double click, or a retry after a lost answer: the same request changes once at Stripe, is
  // audited once and mailed once.
  it('the same request twice changes once', async () => {
    const g = await yenMonthly('ren@example.jp');
    const same = { amountMinor: '5000', idempotencyKey: 'same-change-1' };
    const answers = await Promise.all([change(g.donationId, g.donor, same), change(g.donationId, g.donor, same)]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
    expect(answers.map((a) => a.json().changed).sort()).toEqual([false, true]);
    expect(await priceAtStripe(g.subId)).toBe(5000);
    expect(await itemUpdates(g.subId)).toHaveLength(1);
    expect(await audits(g.donationId)).toHaveLength(1);
    expect(await amountMails(g.donationId)).toHaveLength(1);
    // The key names one change: another amount under it is refused, and nothing changes.
    const reused = await change(g.donationId, g.donor, { amountMinor: '4000', idempotencyKey: 'same-change-1' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().error.code).toBe('monthly_gift_idempotency_conflict');
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '5000' });
  });
  // A treasurer may set a quantity in Stripe's Dashboard: the new price alone, times that
  // quantity, charged the donor twice what she chose, while her page and mail said the amount.
  it("charges what the donor chose, even where Stripe's Dashboard set a quantity", async () => {
    const g = await yenMonthly('kaito@example.jp');
    const sub = await stripe.subscriptions.retrieve(g.subId);
    await stripe.subscriptions.update(g.subId, { items: [{ id: sub.items.data[0]!.id, quantity: 2 }], proration_behavior: 'none' });
    const res = await change(g.donationId, g.donor, { amountMinor: '5000' });
    expect(res.statusCode, res.body).toBe(200);
    const item = (await stripe.subscriptions.retrieve(g.subId)).items.data[0]!;
    expect([item.price.unit_amount, item.quantity]).toEqual([5000, 1]);
  });

  // Stripe answers a key it has seen with its first answer and changes nothing: an old change sent
  // again (a page brought back with its key, a late retry) set our row to its amount while Stripe
  // kept charging the later one.
  it('refuses an old change sent again after a later one, so that the page says what Stripe charges', async () => {
    const g = await yenMonthly('aoi@example.jp');
    expect((await change(g.donationId, g.donor, { amountMinor: '5000', idempotencyKey: 'change-key-1' })).statusCode).toBe(200);
    expect((await change(g.donationId, g.donor, { amountMinor: '3000', idempotencyKey: 'change-key-2' })).statusCode).toBe(200);
    const again = await change(g.donationId, g.donor, { amountMinor: '5000', idempotencyKey: 'change-key-1' });
    expect([again.statusCode, again.json().error?.code]).toEqual([409, 'monthly_gift_changed_since']);
    expect(await priceAtStripe(g.subId)).toBe(3000);
    expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '3000' });
  });

  // The poster's batch locks the gift's row to move its next charge, and holds the appeal's hot
  // rows meanwhile: a change that locked the row while Stripe answered (up to a minute with
  // retries) held up every gift to that appeal.
  it("asks Stripe without holding the gift's row, which a poster batch may be writing", async () => {
    const g = await yenMonthly('sora@example.jp');
    const held = await holdLock(h.testDb.url, 'SELECT 1 FROM donations WHERE id = $1 FOR UPDATE', [g.donationId]);
    try {
      const answer = change(g.donationId, g.donor, { amountMinor: '4000' });
      await held.waitedOn();
      // Stripe was asked while the row was held elsewhere: only writing the row waits for it.
      expect(await priceAtStripe(g.subId)).toBe(4000);
      await held.release();
      expect((await answer).statusCode).toBe(200);
      expect(await monthlyOf(g.donor, g.donationId)).toMatchObject({ amountMinor: '4000' });
    } finally {
      await held.end();
    }
  });
});
