import { createHmac, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appeals, donations, outboxEmails, stripeEvents } from '../../db/schema/index';
import { AppError } from '../../server/errors';
import { verifyLedger } from '../../server/ledger/service';
import { refundDonation } from '../../server/payments/refunds';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { withoutDeadlines } from '../helpers/no-deadlines';
import { holdLock, meetingAt } from '../helpers/row-lock';
import { signIn } from '../helpers/sign-in';
import { testPlatform } from '../helpers/config';

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
  await withoutDeadlines(h.testDb.database.db);
});

afterAll(async () => {
  await h?.close();
});

async function progress(slug: string) {
  return (await h.app.inject(`/api/appeals/${slug}`)).json().progress;
}

/** The USD balances a dispute moves besides the appeal: Stripe's available balance, fees lost, money held. */
/** Where Buck-a-Brick's money stands: its appeal account, its progress, and Stripe's USD dispute accounts. */
async function books() {
  return { appeal: await h.appealBalance('buck-a-brick'), raised: BigInt((await progress('buck-a-brick')).raisedGrossMinor), ...(await stripeAccounts()) };
}

async function stripeAccounts() {
  const rows = await queryRows<{ code: string; balance: string }>(
    h.testDb.database.db,
    sql`SELECT code, balance_minor::text AS balance FROM ledger_accounts WHERE currency = 'USD' AND code IN ('stripe:available', 'disputes:lost', 'disputes:open')`,
  );
  const of = (code: string) => BigInt(rows.find((r) => r.code === code)?.balance ?? '0');
  return { available: of('stripe:available'), lost: of('disputes:lost'), open: of('disputes:open') };
}

async function donation(id: string) {
  const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, id));
  return row!;
}

/** A gift's refund asks as the database keeps them, oldest first. */
async function asksOf(donationId: string) {
  return h.testDb.database.rows<{ status: string; refund_id: string | null; amount_minor: string }>(
    sql`SELECT status::text, refund_id, amount_minor::text FROM refund_asks WHERE donation_id = ${donationId} ORDER BY asked_at, id`,
  );
}

/** The amounts Stripe itself has refunded of a gift's charge, oldest first. */
async function refundsAtStripe(donationId: string): Promise<number[]> {
  const stripe = new Stripe('sk_test_emulator', h.emulator.clientOptions);
  const listed = await stripe.refunds.list({ charge: (await donation(donationId)).chargeId!, limit: 100 });
  return listed.data.map((r) => r.amount).reverse();
}

/**
 * A paid ¥3,000 monthly gift to the Osaka fund whose Stripe customer runs on a test clock of its
 * own, which `run` advances; `before` is the appeal's balance before the gift.
 */
async function monthlyGiftOnClock(
  run: (g: { donationId: string; stripe: Stripe; clock: string; start: number; before: bigint }) => Promise<void>,
  opts: { start?: number; gift?: Record<string, unknown> } = {},
) {
  const stripe = h.emulator.client();
  const start = opts.start ?? Math.floor(Date.now() / 1000);
  const clock = await stripe.testHelpers.testClocks.create({ frozen_time: start });
  h.customerDefaults.test_clock = clock.id;
  const before = await h.appealBalance('osaka-care-strike-fund');
  try {
    const { donationId, sessionId } = await h.donate('osaka-care-strike-fund', { amountMinor: '3000', frequency: 'monthly', ...opts.gift });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    await run({ donationId, stripe, clock: clock.id, start, before });
  } finally {
    delete h.customerDefaults.test_clock;
  }
}

describe('donate → pay → webhook → ledger → progress', () => {
  // The exact amount must reach the ledger, the progress and the receipt in each exponent.
  it.each([
    ['buck-a-brick', '2500', 2500n, '$25.00'],
    ['osaka-care-strike-fund', '3000', 3000n, '¥3,000'],
    ['kuwait-relief', '1500', 1500n, 'KWD 1.500'],
  ])('%s: a gift of %s minor units posts exactly', async (slug, amountMinor, expected, shown) => {
    const before = await h.appealBalance(slug);
    const { donationId, checkoutUrl } = await h.donate(slug, { amountMinor });
    const page = await fetch(checkoutUrl);
    expect((await page.text()).replace(/\s/g, ' ')).toContain(shown);
    const paid = await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    expect(paid.status).toBe(303);
    await h.settle();
    expect(await h.appealBalance(slug)).toBe(before - expected);
    const d = await donation(donationId);
    expect(d.status).toBe('succeeded');
    expect(d.feeMinor).toBeGreaterThan(0n);
    const p = await progress(slug);
    expect(BigInt(p.raisedGrossMinor)).toBeGreaterThanOrEqual(expected);
    expect(BigInt(p.raisedNetMinor)).toBeLessThan(BigInt(p.raisedGrossMinor));
    const [receipt] = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.toAddress, 'member@example.org')).orderBy(sql`created_at desc`).limit(1);
    expect(receipt!.subject).toMatch(/Thank you/);
  });

  // Checkout is shown in the donor's language where Stripe has it. It has no Arabic, and a locale it
  // lacks refuses the whole session: an Arabic reader's gift starts, and Checkout picks ("auto").
  it('opens Checkout in the donor’s language, and in "auto" for one Checkout lacks', async () => {
    const localeOf = async (locale: string) => {
      const { donationId } = await h.donate('buck-a-brick', { amountMinor: '2500', locale });
      const [d] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
      return (await h.emulator.client().checkout.sessions.retrieve(d!.checkoutSessionId!)).locale;
    };
    expect([await localeOf('ja'), await localeOf('sv'), await localeOf('ar')]).toEqual(['ja', 'sv', 'auto']);
    await expect(h.emulator.client().checkout.sessions.create({ mode: 'payment', locale: 'ar' as 'auto', line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'x' } } }], success_url: 'https://example.org/ok' })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', param: 'locale' });
  });

  // A member in Osaka who gave in Japanese reads the receipt in Japanese; in Arabic the amount and
  // the appeal's title are isolated so that they keep their order inside the right-to-left sentence.
  it('writes the receipt in the language the donor gave in', async () => {
    const receiptOf = async (slug: string, body: Record<string, unknown>) => {
      const { donationId, checkoutUrl } = await h.donate(slug, body);
      expect((await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
      await h.settle();
      const [receipt] = await h.testDb.database.db.select().from(outboxEmails).where(sql`${outboxEmails.dedupeKey} LIKE ${`receipt:${donationId}:%`}`);
      return { donationId, receipt: receipt! };
    };
    const title = async (slug: string) => (await h.testDb.database.db.select().from(appeals).where(eq(appeals.slug, slug)))[0]!.title;
    // Given with no zone said: UTC's day, and the receipt says so.
    const day = (locale: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date());
    const ja = await receiptOf('osaka-care-strike-fund', { amountMinor: '3000', locale: 'ja', donorName: 'Kenji', donorEmail: 'kenji@example.jp' });
    expect(ja.receipt.subject).toBe('￥3,000のご寄付ありがとうございます');
    expect(ja.receipt.textBody).toBe(
      `Kenji 様\n\nこのたびは募金「${await title('osaka-care-strike-fund')}」に￥3,000をご寄付いただき、誠にありがとうございます。\n\n` +
        `寄付番号：${ja.donationId}\n日付：${day('ja')}（UTC）\n\n連帯を込めて\n`,
    );

    const ar = await receiptOf('buck-a-brick', { amountMinor: '2500', locale: 'ar', donorEmail: 'rosa@example.org', donorName: undefined });
    // As the pages show it: one right-to-left piece, "US$" isolated whole inside it. The date too is
    // one isolated piece, the zone's name another inside it.
    const amount = '\u2067\u200f25.00\u00a0\u2068US$\u2069\u2069';
    expect(ar.receipt.subject).toBe(`شكرًا على تبرّعك بمبلغ ${amount}`);
    expect(ar.receipt.textBody).toBe(
      `تحية طيبة،\n\nشكرًا على تبرّعك بمبلغ ${amount} لنداء «\u2068${await title('buck-a-brick')}\u2069».\n\n` +
        `مرجع التبرع: ${ar.donationId}\nالتاريخ: \u2068${day('ar')} (بتوقيت \u2068UTC\u2069)\u2069\n\nمع التحيات التضامنية\n`,
    );
  });

  // A declined card must post nothing at all.
  it('a declined card posts nothing', async () => {
    const before = await h.appealBalance('buck-a-brick');
    const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { amountMinor: '1000' });
    const declined = await submitCheckoutForm(checkoutUrl, { card_number: '4000 0000 0000 0002' });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    await h.settle();
    expect(await h.appealBalance('buck-a-brick')).toBe(before);
    expect((await donation(donationId)).status).toBe('pending');
  });

  // Refunds go to Stripe; the ledger and the progress move only when Stripe's event arrives.
  it('partial then full refund through the API moves the ledger and the progress down', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const raised = BigInt((await progress('buck-a-brick')).raisedGrossMinor);
    const balance = await h.appealBalance('buck-a-brick');
    const partial = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1500' } });
    expect(partial.statusCode).toBe(202);
    await h.settle();
    expect((await donation(donationId)).status).toBe('partially_refunded');
    expect(await h.appealBalance('buck-a-brick')).toBe(balance + 1500n);
    const full = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: {} });
    expect(full.json().amountMinor).toBe('2500');
    await h.settle();
    expect((await donation(donationId)).status).toBe('refunded');
    expect(BigInt((await progress('buck-a-brick')).raisedGrossMinor)).toBe(raised - 4000n);
    const again = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: {} });
    expect(again.statusCode).toBe(409);
  });

  // The treasurer's page marks the message with the language the donor gave in, the best guess
  // at the message's own, so an Arabic message is read as Arabic on an English page.
  it('a gift’s detail gives its message’s likely language', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '1000', message: 'تضامنا مع العمال', locale: 'ar' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const detail = (await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
    expect(detail).toMatchObject({ message: 'تضامنا مع العمال', messageLanguage: 'ar' });
  });

  // A refund is money on its way out from the moment Stripe is asked, though the ledger moves only
  // when Stripe's event arrives: meanwhile the gift shows it as asked and never offers the same
  // money again, a resent form is the same refund, and each refusal says exactly what is wrong.
  it('a refund asked of Stripe is awaiting until its event posts, and is not offered twice', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const refund = (payload: Record<string, string>) => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload });
    const detail = async () => (await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
    expect(await detail()).toMatchObject({ refundsAwaiting: [], refundableMinor: '4000', message: null, messageLanguage: null });
    const zero = await refund({ amountMinor: '0' });
    expect([zero.statusCode, zero.json().error.code]).toEqual([400, 'donation.refund_not_positive']);
    h.emulator.controls.pause();
    try {
      const first = await refund({ amountMinor: '1500', idempotencyKey: 'refund-key-first' });
      expect(first.statusCode).toBe(202);
      const asked = await detail();
      expect(asked).toMatchObject({ status: 'succeeded', refundedMinor: '0', refundableMinor: '2500', refundsAwaiting: [{ refundId: first.json().refundId, amountMinor: '1500' }] });
      const tooMuch = await refund({ amountMinor: '3000' });
      expect([tooMuch.statusCode, tooMuch.json().error.code, tooMuch.json().error.details.refundableMinor]).toEqual([400, 'donation.refund_too_large', '2500']);
      // The same form sent again: the same refund, not a second one.
      const resent = await refund({ amountMinor: '1500', idempotencyKey: 'refund-key-first' });
      expect([resent.statusCode, resent.json().refundId]).toEqual([202, first.json().refundId]);
      expect((await detail()).refundsAwaiting).toHaveLength(1);
      expect((await refund({ amountMinor: '2500', idempotencyKey: 'refund-key-second' })).statusCode).toBe(202);
      expect(await detail()).toMatchObject({ refundableMinor: '0', refundsAwaiting: [{ amountMinor: '1500' }, { amountMinor: '2500' }] });
      const nothing = await refund({});
      expect([nothing.statusCode, nothing.json().error.code]).toEqual([409, 'donation.nothing_to_refund']);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await detail()).toMatchObject({ status: 'refunded', refundedMinor: '4000', refundableMinor: '0', refundsAwaiting: [] });
    const after = await refund({ amountMinor: '100' });
    expect([after.statusCode, after.json().error.code]).toEqual([409, 'donation.nothing_to_refund']);
  });

  // Stripe keeps an idempotency key's answer for a day. A form sent again after that (a tab restored
  // from yesterday) must still be the refund already made, not a second refund of the same money.
  it('a refund asked again under its key after Stripe forgot the key is the same refund', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const refund = () => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1500', idempotencyKey: 'refund-yesterday' } });
    const first = await refund();
    expect(first.statusCode).toBe(202);
    await h.settle();
    h.emulator.controls.forgetIdempotencyKeys();
    const again = await refund();
    expect([again.statusCode, again.json().refundId, again.json().amountMinor]).toEqual([202, first.json().refundId, '1500']);
    await h.settle();
    const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
    const stripe = new Stripe('sk_test_emulator', h.emulator.clientOptions);
    const atStripe = await stripe.refunds.list({ charge: row!.chargeId!, limit: 10 });
    expect(atStripe.data.map((r) => r.id)).toEqual([first.json().refundId]);
    expect(row!.refundedMinor).toBe(1500n);
    // One ask on the record, not two.
    expect(await asksOf(donationId)).toMatchObject([{ status: 'asked', refund_id: first.json().refundId, amount_minor: '1500' }]);
    const audited = await h.testDb.database.rows(sql`SELECT 1 FROM audit_log WHERE action = 'donation.refund' AND subject_id = ${donationId}`);
    expect(audited).toHaveLength(1);
  });

  // The process asked Stripe and died before it wrote Stripe's answer down (or the answer timed
  // out). The ask still holds the money, and the same form sent again, a day later when Stripe has
  // forgotten the key, finds the refund Stripe made instead of making a second one.
  it('an ask whose answer was lost holds its money, and a resend finds the refund Stripe made', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const refund = (key: string, amountMinor: string) => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor, idempotencyKey: key } });
    h.emulator.controls.pause();
    try {
      const first = await refund('refund-answer-lost', '1500');
      expect(first.statusCode).toBe(202);
      await h.testDb.database.rows(sql`UPDATE refund_asks SET status = 'asking', refund_id = NULL, answered_at = NULL WHERE donation_id = ${donationId}`);
      h.emulator.controls.forgetIdempotencyKeys();
      const detail = (await h.app.inject({ method: 'GET', url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
      expect(detail).toMatchObject({ refundableMinor: '2500', refundsAwaiting: [{ refundId: null, amountMinor: '1500' }] });
      const again = await refund('refund-answer-lost', '1500');
      expect([again.statusCode, again.json().refundId]).toEqual([202, first.json().refundId]);
      expect(await asksOf(donationId)).toMatchObject([{ status: 'asked', refund_id: first.json().refundId }]);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await refundsAtStripe(donationId)).toEqual([1500]);
    expect((await donation(donationId)).refundedMinor).toBe(1500n);
  });

  // The same form sent twice at once after the answer was lost: both find Stripe's refund and both
  // learn it. The append-only audit log must still show one refund for the one ask.
  it('a refund learnt by two requests at once is audited once', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const refund = () => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1500', idempotencyKey: 'refund-learnt-twice' } });
    const refundAudits = () => h.testDb.database.rows<{ ask: string }>(sql`SELECT after->>'askId' AS ask FROM audit_log WHERE subject_id = ${donationId} AND action = 'donation.refund'`);
    h.emulator.controls.pause();
    try {
      const first = await refund();
      expect(first.statusCode).toBe(202);
      expect(await refundAudits()).toHaveLength(1);
      await h.testDb.database.rows(sql`UPDATE refund_asks SET status = 'asking', refund_id = NULL, answered_at = NULL WHERE donation_id = ${donationId}`);
      h.emulator.controls.forgetIdempotencyKeys();
      // Both resends find the refund at Stripe, then queue to record it (recordAnswer's UPDATE of
      // the ask): both have learnt it.
      const ask = await holdLock(h.testDb.url, 'SELECT 1 FROM refund_asks WHERE donation_id = $1 FOR UPDATE', [donationId]);
      const [a, b] = await meetingAt(ask, [refund, refund]);
      expect([a!.statusCode, b!.statusCode, a!.json().refundId, b!.json().refundId]).toEqual([202, 202, first.json().refundId, first.json().refundId]);
      expect(await refundAudits()).toHaveLength(1);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await refundsAtStripe(donationId)).toEqual([1500]);
  });

  // The answer was lost but Stripe made the refund: when its event posts, the ask learns its
  // refund, so the money is not held back twice (refunded, and still asked).
  it('an ask whose answer was lost is answered by the refund event that posts it', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    h.emulator.controls.pause();
    try {
      const first = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1500' } });
      expect(first.statusCode).toBe(202);
      await h.testDb.database.rows(sql`UPDATE refund_asks SET status = 'asking', refund_id = NULL, answered_at = NULL WHERE donation_id = ${donationId}`);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await asksOf(donationId)).toMatchObject([{ status: 'asked', refund_id: expect.stringMatching(/^re_/) }]);
    const detail = (await h.app.inject({ method: 'GET', url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
    expect(detail).toMatchObject({ refundedMinor: '1500', refundableMinor: '2500', refundsAwaiting: [] });
  });

  // An amount Stripe cannot move in the gift's currency (KWD goes in steps of 0.010) is refused
  // before anything is written, so it holds nothing back.
  it('a refund Stripe could not take is refused before it is asked', async () => {
    const { donationId, sessionId } = await h.donate('kuwait-relief', { amountMinor: '1500' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const odd = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '345' } });
    expect([odd.statusCode, odd.json().error.code, odd.json().error.details]).toEqual([400, 'donation.refund_not_payable', { stepMinor: '10', currency: 'KWD' }]);
    expect(await asksOf(donationId)).toEqual([]);
    expect((await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '340' } })).statusCode).toBe(202);
  });

  // An ask never answered, found by no one at Stripe, past the days it counted as spoken for:
  // other refunds may since have been checked without it, so it is not made any more.
  it('an ask that never reached Stripe is not made once it stopped counting', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    await h.testDb.database.rows(sql`INSERT INTO refund_asks (donation_id, idempotency_key, amount_minor, reason, asked_at) VALUES (${donationId}, 'refund-long-ago', 1000, 'requested_by_customer', now() - interval '4 days')`);
    const resent = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1000', idempotencyKey: 'refund-long-ago' } });
    expect([resent.statusCode, resent.json().error.code]).toEqual([409, 'donation.refund_ask_expired']);
    expect(await asksOf(donationId)).toMatchObject([{ status: 'refused', refund_id: null }]);
    expect(await refundsAtStripe(donationId)).toEqual([]);
  });

  // A crash after the ask was written but before Stripe was asked: Stripe has no such refund, so the
  // form sent again asks it now, once.
  it('an ask that never reached Stripe is asked when its form is sent again', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    await h.testDb.database.rows(sql`INSERT INTO refund_asks (donation_id, idempotency_key, amount_minor, reason) VALUES (${donationId}, 'refund-never-sent', 1000, 'requested_by_customer')`);
    const tooMuch = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '3500' } });
    expect([tooMuch.statusCode, tooMuch.json().error.details?.refundableMinor]).toEqual([400, '3000']);
    const resent = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1000', idempotencyKey: 'refund-never-sent' } });
    expect(resent.statusCode).toBe(202);
    await h.settle();
    expect(await refundsAtStripe(donationId)).toEqual([1000]);
    expect(await donation(donationId)).toMatchObject({ status: 'partially_refunded', refundedMinor: 1000n });
  });

  // A refund made in Stripe's Dashboard carries no ask id: it could be the unanswered ask itself,
  // so that ask is not made blindly until the Dashboard's refund is in the books.
  it('an unanswered ask is not made while Stripe shows a refund the books do not know', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    await h.testDb.database.rows(sql`INSERT INTO refund_asks (donation_id, idempotency_key, amount_minor, reason) VALUES (${donationId}, 'refund-beside-dashboard', 1000, 'requested_by_customer')`);
    const resend = () => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1000', idempotencyKey: 'refund-beside-dashboard' } });
    h.emulator.controls.pause();
    try {
      const dashboard = await new Stripe('sk_test_emulator', h.emulator.clientOptions).refunds.create({ charge: (await donation(donationId)).chargeId!, amount: 1000 });
      const held = await resend();
      expect([held.statusCode, held.json().error.code, held.json().error.details.refundId]).toEqual([409, 'donation.refund_unreconciled', dashboard.id]);
      expect(await refundsAtStripe(donationId)).toEqual([1000]);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    // The Dashboard's refund is posted: the ask is the treasurer's own again, and is made once.
    expect((await resend()).statusCode).toBe(202);
    await h.settle();
    expect(await refundsAtStripe(donationId)).toEqual([1000, 1000]);
  });

  // Two treasurers refund the same gift at the same moment: they are checked one after the other,
  // so the second is told what is left instead of reaching Stripe with more than the gift holds.
  it('two refunds asked at once are checked one after the other', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    // Called side by side on a pool whose connections are all open, so both start before either
    // has written its ask (a connection still opening would put one behind the other anyway).
    const deps = { db: h.testDb.database.db, stripe: new Stripe('sk_test_emulator', h.emulator.clientOptions) };
    await Promise.all([1, 2, 3, 4].map(() => h.testDb.database.rows(sql`SELECT pg_sleep(0.02)`)));
    const refund = () => refundDonation(deps, donationId, { amountMinor: 3000n, reason: 'requested_by_customer' }).then(
      () => 'refunded',
      (err: unknown) => (err instanceof AppError ? `${err.statusCode} ${err.code} ${(err.details as { refundableMinor?: string }).refundableMinor}` : String(err)),
    );
    const outcomes = (await Promise.all([refund(), refund()])).sort();
    expect(outcomes).toEqual(['400 donation.refund_too_large 1000', 'refunded']);
    await h.settle();
    expect(await refundsAtStripe(donationId)).toEqual([3000]);
  });

  // Stripe refuses a refund (here the charge was refunded at Stripe directly, and its event is not
  // in yet): nothing was made, so the ask frees its money, and the same form sent again is refused
  // the same way rather than asked again.
  it('a refund Stripe refuses holds nothing back and answers the same when sent again', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    h.emulator.controls.pause();
    try {
      await new Stripe('sk_test_emulator', h.emulator.clientOptions).refunds.create({ charge: (await donation(donationId)).chargeId! });
      const refund = () => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1000', idempotencyKey: 'refund-refused' } });
      const refused = await refund();
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'payment_provider.refused']);
      expect(await asksOf(donationId)).toMatchObject([{ status: 'refused', refund_id: null }]);
      const detail = (await h.app.inject({ method: 'GET', url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
      expect(detail).toMatchObject({ refundableMinor: '4000', refundsAwaiting: [] });
      const again = await refund();
      expect([again.statusCode, again.json().error.code, again.json().error.details.providerCode]).toEqual([400, 'payment_provider.refused', refused.json().error.details.providerCode]);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await refundsAtStripe(donationId)).toEqual([4000]);
  });

  // A disputed gift: money held at open; lost takes it off the appeal, won gives it back. Stripe's
  // balance and the dispute fees follow what the dispute's balance transactions say, whether a win
  // returns the dispute fee or not.
  it.each([
    ['lost', 'lost', true],
    ['won, fee returned', 'won', true],
    ['won, fee kept', 'won', false],
  ] as const)('a dispute that is %s leaves the ledger right', async (_, outcome, feeReturned) => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '2000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4000 0000 0000 0259');
    await h.settle();
    const balance = await h.appealBalance('buck-a-brick');
    const before = await stripeAccounts();
    const d = await donation(donationId);
    const dispute = h.emulator.controls.disputeCharge(d.chargeId!);
    await h.settle();
    expect((await donation(donationId)).status).toBe('disputed');
    h.emulator.controls.closeDispute(dispute.id, outcome, { feeReturned });
    await h.settle();
    expect(await h.appealBalance('buck-a-brick')).toBe(outcome === 'lost' ? balance + 2000n : balance);
    expect((await donation(donationId)).status).toBe(outcome === 'lost' ? 'disputed' : 'succeeded');
    const bts = (await h.emulator.client().disputes.retrieve(dispute.id)).balance_transactions;
    expect(bts).toHaveLength(outcome === 'won' ? 2 : 1);
    const sum = (f: (bt: (typeof bts)[number]) => number) => BigInt(bts.reduce((s, bt) => s + f(bt), 0));
    const after = await stripeAccounts();
    expect(after.available - before.available).toBe(sum((bt) => bt.net));
    expect(after.lost - before.lost).toBe(sum((bt) => bt.fee));
    expect(after.open).toBe(before.open);
    expect(after.lost - before.lost).toBe(outcome === 'won' && feeReturned ? 0n : 1500n);
  });

  // A won dispute gives the gift back, but not what was refunded before the dispute: the status
  // comes from the donation as it stands when the win is posted.
  it.each([
    ['partly', '1500', 'partially_refunded'],
    ['fully', '4000', 'refunded'],
  ])('a won dispute of a %s refunded gift leaves it %s', async (_how, refundedMinor, status) => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const refund = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: refundedMinor } });
    expect(refund.statusCode).toBe(202);
    await h.settle();
    const dispute = h.emulator.controls.disputeCharge((await donation(donationId)).chargeId!);
    await h.settle();
    expect((await donation(donationId)).status).toBe('disputed');
    h.emulator.controls.closeDispute(dispute.id, 'won');
    await h.settle();
    expect(await donation(donationId)).toMatchObject({ status, refundedMinor: BigInt(refundedMinor) });
  });

  // A bank charges back the whole gift after part of it was refunded: the donor got 1,500 back and
  // then 4,000. The appeal gives up only the 2,500 it still held of the gift; the other 1,500 is
  // the organization's loss. Stripe may deliver the refund after the dispute's end.
  it.each([
    ['in order', false],
    ['with the refund delivered after the loss', true],
  ])('a lost chargeback of a partly refunded gift takes from the appeal only what it still held, %s', async (_order, refundLate) => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '4000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const before = await books();
    if (refundLate) h.emulator.controls.pause();
    try {
      const refund = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '1500' } });
      expect(refund.statusCode).toBe(202);
      if (!refundLate) await h.settle();
      const dispute = h.emulator.controls.disputeCharge((await donation(donationId)).chargeId!);
      h.emulator.controls.closeDispute(dispute.id, 'lost');
      if (refundLate) {
        for (const type of ['charge.dispute.created', 'charge.dispute.closed']) await h.deliver(await h.emulatorEvent(type, dispute.id));
        await h.drain();
        await h.drain();
      }
    } finally {
      if (refundLate) h.emulator.controls.resume();
    }
    await h.settle();
    const fee = 1500n; // the emulator's USD dispute fee
    expect(await h.appealBalance('buck-a-brick')).toBe(before.appeal + 4000n);
    expect(BigInt((await progress('buck-a-brick')).raisedGrossMinor)).toBe(before.raised - 4000n);
    expect(await stripeAccounts()).toEqual({ available: before.available - 1500n - 4000n - fee, lost: before.lost + fee + 1500n, open: before.open });
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });

  // A lost chargeback can be appealed and won: the books end as if it had been won, and the appeal
  // gets its gift back, whichever of the loss and the win Stripe delivers first.
  it.each([
    ['in order', false],
    ['with the win delivered before the loss', true],
  ])('a chargeback lost, appealed and won ends as won, %s', async (_order, winFirst) => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '2600' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const before = await books();
    const dispute = h.emulator.controls.disputeCharge((await donation(donationId)).chargeId!);
    if (winFirst) h.emulator.controls.pause();
    try {
      h.emulator.controls.closeDispute(dispute.id, 'lost');
      if (!winFirst) {
        await h.settle();
        expect(await h.appealBalance('buck-a-brick')).toBe(before.appeal + 2600n);
        expect(BigInt((await progress('buck-a-brick')).raisedGrossMinor)).toBe(before.raised - 2600n);
      }
      expect(h.emulator.controls.appealDispute(dispute.id).status).toBe('appeal_needs_response');
      h.emulator.controls.closeDispute(dispute.id, 'won');
      if (winFirst) {
        const closed = (await h.emulator.client().events.list({ type: 'charge.dispute.closed', limit: 100 })).data.filter((e) => (e.data.object as Stripe.Dispute).id === dispute.id);
        const closedAs = (status: string) => closed.find((e) => (e.data.object as Stripe.Dispute).status === status)!;
        await h.deliver(await h.emulatorEvent('charge.dispute.created', dispute.id));
        await h.drain();
        await h.deliver(closedAs('won'));
        await h.drain();
        await h.deliver(closedAs('lost'));
        await h.drain();
      }
    } finally {
      if (winFirst) h.emulator.controls.resume();
    }
    await h.settle();
    // The amount and the dispute fee came back: every account is where it was before the dispute.
    expect(await h.appealBalance('buck-a-brick')).toBe(before.appeal);
    expect(BigInt((await progress('buck-a-brick')).raisedGrossMinor)).toBe(before.raised);
    expect(await stripeAccounts()).toEqual({ available: before.available, lost: before.lost, open: before.open });
    expect((await donation(donationId)).status).toBe('succeeded');
    const kinds = await h.testDb.database.rows<{ kind: string }>(sql`SELECT kind FROM ledger_transactions WHERE metadata->>'disputeId' = ${dispute.id} ORDER BY id`);
    expect(kinds.map((k) => k.kind)).toEqual(winFirst ? ['dispute_opened', 'dispute_won'] : ['dispute_opened', 'dispute_lost', 'dispute_lost_reversed', 'dispute_won']);
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });

  // The loss and the win in one poster batch (each planned before the other is posted), or the win
  // reported only by charge.dispute.updated: the books still end as won. Another chargeback stays
  // open meanwhile, so disputes:open has money in it and its floor cannot catch a double release.
  it.each([
    ['the loss and the win in one batch', 'closed'],
    ['the win reported only as an update', 'updated'],
  ])('a chargeback lost, appealed and won ends as won with %s', async (_case, winAs) => {
    const other = await h.donate('buck-a-brick', { amountMinor: '3000' });
    h.emulator.controls.payCheckoutSession(other.sessionId, '4242424242424242');
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '2600' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    h.emulator.controls.disputeCharge((await donation(other.donationId)).chargeId!);
    await h.settle();
    const before = await books();
    const dispute = h.emulator.controls.disputeCharge((await donation(donationId)).chargeId!);
    await h.settle();
    h.emulator.controls.pause();
    try {
      h.emulator.controls.closeDispute(dispute.id, 'lost');
      h.emulator.controls.appealDispute(dispute.id);
      h.emulator.controls.closeDispute(dispute.id, 'won');
      const ofDispute = async (type: string) =>
        (await h.emulator.client().events.list({ type, limit: 100 })).data.filter((e) => (e.data.object as Stripe.Dispute).id === dispute.id);
      const lost = (await ofDispute('charge.dispute.closed')).find((e) => (e.data.object as Stripe.Dispute).status === 'lost')!;
      const wonClosed = (await ofDispute('charge.dispute.closed')).find((e) => (e.data.object as Stripe.Dispute).status === 'won')!;
      const won = winAs === 'closed' ? wonClosed : { ...JSON.parse(JSON.stringify(wonClosed)), id: `${wonClosed.id}_as_update`, type: 'charge.dispute.updated' };
      await h.deliver(lost);
      await h.deliver(won);
      // One batch plans both; the first posted sends the other back to be planned again.
      await h.drain();
      await h.drain();
      await endsAsWon();
    } finally {
      h.emulator.controls.resume();
    }
    // Then everything else Stripe sent about it, late, changes nothing more.
    await h.settle();
    await endsAsWon();

    async function endsAsWon() {
      expect(await h.appealBalance('buck-a-brick')).toBe(before.appeal);
      expect(BigInt((await progress('buck-a-brick')).raisedGrossMinor)).toBe(before.raised);
      expect(await stripeAccounts()).toEqual({ available: before.available, lost: before.lost, open: before.open });
      expect((await donation(donationId)).status).toBe('succeeded');
      expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    }
  });

  // A refund Stripe books later (one waiting on the donor) reaches us as refund.updated, and
  // refund.created may never have posted it: the update posts it, once, whichever comes first.
  it('a refund reported only by refund.updated is posted, once', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '2200' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const before = await h.appealBalance('buck-a-brick');
    h.emulator.controls.pause();
    try {
      const refund = await h.emulator.client().refunds.create({ charge: (await donation(donationId)).chargeId!, amount: 700 });
      const created = JSON.parse(JSON.stringify(await h.emulatorEvent('refund.created', refund.id))) as Record<string, unknown>;
      await h.deliver({ ...created, id: `${String(created.id)}_as_update`, type: 'refund.updated' });
      await h.drain();
      expect(await h.appealBalance('buck-a-brick')).toBe(before + 700n);
      expect(await donation(donationId)).toMatchObject({ status: 'partially_refunded', refundedMinor: 700n });
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await h.appealBalance('buck-a-brick')).toBe(before + 700n);
  });

  // A member's monthly gift: the first charge and three renewals, each its own donation and posting.
  it('a monthly gift renews three times as the test clock advances', async () => {
    await monthlyGiftOnClock(async ({ donationId, stripe, clock, start, before }) => {
      for (let month = 1; month <= 3; month++) {
        await stripe.testHelpers.testClocks.advance(clock, { frozen_time: start + month * 31 * 86_400 });
        await h.settle();
      }
      expect(await h.appealBalance('osaka-care-strike-fund')).toBe(before - 4n * 3000n);
      const gifts = await h.testDb.database.db.select().from(donations).where(sql`${donations.id} = ${donationId} OR ${donations.parentDonationId} = ${donationId}`);
      expect(gifts.map((g) => [g.status, g.amountMinor, g.frequency])).toEqual(Array(4).fill(['succeeded', 3000n, 'monthly']));
      expect(new Set(gifts.map((g) => g.invoiceId)).size).toBe(4);
    });
  });

  // A monthly donor must learn from each receipt that the gift repeats, and where to end it; a
  // one-off gift's receipt says nothing of the kind (its exact text is checked above).
  it("a monthly gift's receipts, the first and each renewal's, say it repeats and link where to end it", async () => {
    const receiptsOf = async (donationId: string) =>
      (await h.testDb.database.db.select().from(donations).where(sql`${donations.id} = ${donationId} OR ${donations.parentDonationId} = ${donationId}`).orderBy(donations.succeededAt))
        .map(async (g) => (await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `receipt:${g.id}:${g.chargeId}`)))[0]!.textBody);
    await monthlyGiftOnClock(
      async ({ donationId, stripe, clock, start }) => {
        await stripe.testHelpers.testClocks.advance(clock, { frozen_time: start + 31 * 86_400 });
        await h.settle();
        const bodies = await Promise.all(await receiptsOf(donationId));
        expect(bodies).toHaveLength(2);
        for (const body of bodies) {
          expect(body).toContain('\n\nこのご寄付は、おやめになるまで毎月続きます。「わたしの寄付」のページからいつでもやめることができます（このメールアドレスでサインインしてください）：http://localhost:3000/account\n\n');
        }
        // The first line names the payment: the gift's first, then the renewal's.
        expect(bodies[0]).toContain('への毎月のご寄付の初回分として');
        expect(bodies[1]).toContain('への毎月のご寄付の今回分として');
      },
      { gift: { locale: 'ja', donorEmail: 'aiko@example.jp' } },
    );
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '1000', donorEmail: 'once@example.org' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const [oneOff] = await Promise.all(await receiptsOf(donationId));
    expect(oneOff).toContain('thank you for giving $10.00');
    expect(oneOff).not.toContain('/account');
    expect(oneOff).not.toContain('every month');
  });

  // A member in Osaka gives monthly at 07:00 her time, which is 22:00 the day before in UTC: her
  // receipts bear her day, the renewal's too (it keeps the zone of the gift it renews).
  it("dates a donor's receipts on their own calendar, in the zone their browser said", async () => {
    const day = 86_400;
    const now = Math.floor(Date.now() / 1000);
    const start = now - (now % day) + day + 22 * 3600; // 22:00 UTC tomorrow: 07:00 the day after in Tokyo
    const onDay = (zone: string, at: number) => new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: zone }).format(new Date(at * 1000));
    expect(onDay('Asia/Tokyo', start)).not.toBe(onDay('UTC', start));
    await monthlyGiftOnClock(
      async ({ donationId, stripe, clock }) => {
        await stripe.testHelpers.testClocks.advance(clock, { frozen_time: start + 31 * day });
        await h.settle();
        const gifts = await h.testDb.database.db.select().from(donations).where(sql`${donations.id} = ${donationId} OR ${donations.parentDonationId} = ${donationId}`).orderBy(donations.succeededAt);
        expect(gifts.map((g) => [g.timeZone, g.succeededAt!.getTime() / 1000])).toEqual([
          ['Asia/Tokyo', start],
          ['Asia/Tokyo', start + 31 * day],
        ]);
        for (const g of gifts) {
          const [receipt] = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `receipt:${g.id}:${g.chargeId}`));
          expect(receipt!.textBody).toContain(`日付：${onDay('Asia/Tokyo', g.succeededAt!.getTime() / 1000)}\n`);
        }
      },
      // Spelt as a browser might; kept as the zone's own name.
      { start, gift: { locale: 'ja', timeZone: 'asia/tokyo' } },
    );
  });

  // A monthly donor's receipts say when her card is charged next, as her giving page does, on her
  // calendar: the first payment's and each renewal's, read once the payment moved it, so never the
  // period the payment itself closed. A gift that ended before its renewal's receipt was written
  // names no next charge rather than one that will not come.
  it("a monthly gift's receipts name its next charge on the donor's calendar, and none once it ended", async () => {
    const day = 86_400;
    const now = Math.floor(Date.now() / 1000);
    const start = now - (now % day) + day + 22 * 3600; // 22:00 UTC tomorrow: 07:00 the day after in Tokyo
    const onDay = (zone: string, at: Date) => new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: zone }).format(at);
    const receiptOf = async (g: { id: string; chargeId: string | null }) => (await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `receipt:${g.id}:${g.chargeId}`)))[0]!.textBody;
    const renewals = async (id: string) => h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, id)).orderBy(donations.succeededAt);
    await monthlyGiftOnClock(
      async ({ donationId, stripe, clock }) => {
        const subId = (await donation(donationId)).subscriptionId!;
        /** Stripe's own word for when it charges next: the end of the subscription's current period. */
        const periodEnd = async () => new Date((await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end * 1000);
        const first = await periodEnd();
        expect(onDay('Asia/Tokyo', first)).not.toBe(onDay('UTC', first));
        expect(await receiptOf(await donation(donationId))).toContain(`\n日付：${onDay('Asia/Tokyo', new Date(start * 1000))}\n次回の請求日：${onDay('Asia/Tokyo', first)}\n\n`);

        await stripe.testHelpers.testClocks.advance(clock, { frozen_time: first.getTime() / 1000 + 60 });
        await h.settle();
        const second = await periodEnd();
        expect(second.getTime()).toBeGreaterThan(first.getTime());
        const [renewal] = await renewals(donationId);
        expect(renewal).toMatchObject({ status: 'succeeded' });
        expect(await receiptOf(renewal!)).toContain(`\n次回の請求日：${onDay('Asia/Tokyo', second)}\n\n`);
        expect((await donation(donationId)).nextChargeAt).toEqual(second);

        // Stripe charges the next month, then the gift is ended there; its end is posted first.
        h.emulator.controls.pause();
        try {
          await stripe.testHelpers.testClocks.advance(clock, { frozen_time: second.getTime() / 1000 + 60 });
          await stripe.subscriptions.cancel(subId);
          await h.deliver(await h.emulatorEvent('customer.subscription.deleted', subId));
          await h.drain();
          expect((await donation(donationId)).subscriptionCanceledAt).not.toBeNull();
        } finally {
          h.emulator.controls.resume();
        }
        await h.settle();
        const [, last] = await renewals(donationId);
        expect(last).toMatchObject({ status: 'succeeded' });
        const body = await receiptOf(last!);
        expect(body).toContain('\n日付：');
        expect(body).not.toContain('次回の請求日');
      },
      { start, gift: { locale: 'ja', timeZone: 'Asia/Tokyo' } },
    );
  });

  // The thank-you page's link is all it takes to read a gift's status. It names a monthly gift's next
  // charge while the page is read, just after the gift is paid, and not later: then it would tell
  // whoever holds the link, month after month, that the gift goes on, or that it ended.
  it("a gift's public status names a monthly gift's next charge for an hour after it is paid, and no more", async () => {
    const publicOf = async (id: string) => (await h.app.inject(`/api/donations/${id}`)).json();
    await monthlyGiftOnClock(async ({ donationId, stripe }) => {
      const paid = await donation(donationId);
      expect(paid.nextChargeAt).not.toBeNull();
      expect(await publicOf(donationId)).toMatchObject({ status: 'succeeded', frequency: 'monthly', nextChargeAt: paid.nextChargeAt!.toISOString() });
      const paidAt = (at: Date) => h.testDb.database.db.update(donations).set({ succeededAt: at }).where(eq(donations.id, donationId));
      await paidAt(new Date(Date.now() - 61 * 60_000));
      expect((await publicOf(donationId)).nextChargeAt).toBeNull();
      await paidAt(paid.succeededAt!);
      // Ended within the hour: no day that will not come.
      await stripe.subscriptions.cancel(paid.subscriptionId!);
      await h.settle();
      expect((await donation(donationId)).subscriptionCanceledAt).not.toBeNull();
      expect((await publicOf(donationId)).nextChargeAt).toBeNull();
    });
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '1000', donorEmail: 'once@example.org' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    expect(await publicOf(donationId)).toMatchObject({ status: 'succeeded', frequency: 'one_off', nextChargeAt: null });
  });

  // The zone comes from a browser: one the server does not know is refused, and nothing is made.
  it('refuses a time zone that is not one', async () => {
    const count = async () => (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM donations`))[0]!.n;
    const before = await count();
    for (const timeZone of ['Mars/Olympus_Mons', 'Asia/Tokyo; DROP', '', 'x'.repeat(65)]) {
      const res = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload: { amountMinor: '1000', donorEmail: 'tz@example.org', timeZone, idempotencyKey: `tz-${randomUUID()}` } });
      expect(res.statusCode, timeZone).toBe(400);
      expect(new Set(res.json().error.details.map((d: { path: string }) => d.path))).toEqual(new Set(['/timeZone']));
    }
    expect(await count()).toBe(before);
  });

  // The region comes from a page, but anyone can call the API: only a region of the gift's own
  // language, written as Intl writes it, is kept (for its mails); anything else is refused, nothing made.
  it('keeps a region of the gift’s language for its mails, and refuses any other', async () => {
    const count = async () => (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM donations`))[0]!.n;
    const before = await count();
    for (const formatLocale of ['en-US', 'es-mx', 'es-MX-u-nu-arab', '', 'x'.repeat(65)]) {
      const res = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload: { amountMinor: '1000', donorEmail: 'mx@example.org', locale: 'es', formatLocale, idempotencyKey: `fl-${randomUUID()}` } });
      expect(res.statusCode, formatLocale).toBe(400);
      expect(new Set(res.json().error.details.map((d: { path: string }) => d.path))).toEqual(new Set(['/formatLocale']));
    }
    expect(await count()).toBe(before);
    const stored = async (formatLocale: string) => {
      const res = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload: { amountMinor: '1000', donorEmail: 'mx@example.org', locale: 'es', formatLocale, idempotencyKey: `fl-${randomUUID()}` } });
      expect(res.statusCode).toBe(201);
      return (await queryRows<{ format_locale: string | null }>(h.testDb.database.db, sql`SELECT format_locale FROM donations WHERE id = ${res.json().donationId}`))[0]!.format_locale;
    };
    expect(await stored('es-MX')).toBe('es-MX');
    // The language's own formats are what a gift without a region gets: nothing to keep.
    expect(await stored('es')).toBeNull();
  });

  // A treasurer reconciling against Stripe starts from the ids Stripe's Dashboard shows.
  it("finds a gift from any of its Stripe ids, for its treasurer only", async () => {
    const find = (stripeId: string, cookie = h.treasurer) => h.app.inject({ url: `/api/donations/by-stripe-id/${stripeId}`, headers: { cookie } });
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '2000' });
    h.emulator.controls.payCheckoutSession(sessionId, '4000 0000 0000 0259');
    await h.settle();
    const paid = await donation(donationId);
    const refund = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '500' } });
    expect(refund.statusCode).toBe(202);
    await h.settle();
    const refundId = (await h.emulator.client().refunds.list({ charge: paid.chargeId! })).data[0]!.id;
    // A refund made in Stripe's Dashboard has no ask of ours: it is found by its posting.
    const fromDashboard = await h.emulator.client().refunds.create({ charge: paid.chargeId!, amount: 300 });
    await h.settle();
    const dispute = h.emulator.controls.disputeCharge(paid.chargeId!);
    await h.settle();
    for (const stripeId of [sessionId, paid.paymentIntentId!, paid.chargeId!, refundId, fromDashboard.id, dispute.id]) {
      const res = await find(stripeId);
      expect(res.statusCode, stripeId).toBe(200);
      expect(res.json()).toEqual({ id: donationId });
    }
    await monthlyGiftOnClock(async ({ donationId: monthlyId, stripe, clock, start }) => {
      await stripe.testHelpers.testClocks.advance(clock, { frozen_time: start + 31 * 86_400 });
      await h.settle();
      const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, monthlyId));
      expect((await find((await donation(monthlyId)).subscriptionId!)).json()).toEqual({ id: monthlyId });
      expect((await find(renewal!.invoiceId!)).json()).toEqual({ id: renewal!.id });
    });
    // Nothing of ours, or not this person's to see: the same answer, so a lookup tells no one which ids are ours.
    expect((await find('ch_not_one_of_ours')).statusCode).toBe(404);
    const member = await signIn(h.app, 'member@ue222.demo');
    expect((await find(paid.chargeId!, member)).statusCode).toBe(404);
    expect((await find('evt_123')).statusCode).toBe(400);
    expect((await h.app.inject({ url: `/api/donations/by-stripe-id/${paid.chargeId}` })).statusCode).toBe(401);
  });

  // A treasurer changes a monthly gift in Stripe's Dashboard (here: twice the quantity): the renewal
  // is a gift of what Stripe charged, so the refund limit and the refunded status follow it.
  it('a renewal after its subscription was changed at Stripe is a gift of what was charged', async () => {
    await monthlyGiftOnClock(async ({ donationId, stripe, clock, start, before }) => {
      const sub = await stripe.subscriptions.retrieve((await donation(donationId)).subscriptionId!);
      await stripe.subscriptions.update(sub.id, { items: [{ id: sub.items.data[0]!.id, quantity: 2 }], proration_behavior: 'none' });
      await stripe.testHelpers.testClocks.advance(clock, { frozen_time: start + 31 * 86_400 });
      await h.settle();
      const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, donationId));
      expect(renewal).toMatchObject({ status: 'succeeded', amountMinor: 6000n, coverFeesMinor: 0n });
      // It and its receipt bear the day Stripe charged it (the clock's), not the day it was posted.
      expect(renewal!.succeededAt!.getTime()).toBe((start + 31 * 86_400) * 1000);
      const [receipt] = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `receipt:${renewal!.id}:${renewal!.chargeId}`));
      expect(receipt!.textBody).toContain(`Date: ${new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date((start + 31 * 86_400) * 1000))} (UTC)\n`);
      expect(await h.appealBalance('osaka-care-strike-fund')).toBe(before - 9000n);
      const refund = await h.app.inject({ method: 'POST', url: `/api/donations/${renewal!.id}/refund`, headers: { cookie: h.treasurer }, payload: {} });
      expect(refund.statusCode).toBe(202);
      await h.settle();
      expect(await donation(renewal!.id)).toMatchObject({ status: 'refunded', refundedMinor: 6000n });
    });
  });

  // Stripe retries for days, repeats and reorders: the ledger must come out the same.
  it('every event delivered 3 times in shuffled order posts once', async () => {
    h.emulator.controls.setDelivery({ times: 3, shuffle: true });
    try {
      const before = await h.appealBalance('buck-a-brick');
      const gifts = await Promise.all([1, 2, 3].map(() => h.donate('buck-a-brick', { amountMinor: '700' })));
      h.emulator.controls.pause();
      for (const g of gifts) h.emulator.controls.payCheckoutSession(g.sessionId, '4242424242424242');
      const refundTarget = gifts[0]!;
      h.emulator.controls.resume();
      await h.settle();
      await h.app.inject({ method: 'POST', url: `/api/donations/${refundTarget.donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '200' } });
      await h.settle();
      expect(await h.appealBalance('buck-a-brick')).toBe(before - 2100n + 200n);
    } finally {
      h.emulator.controls.setDelivery({ times: 1, shuffle: false });
    }
  });

  // Funds becoming available and a payout move money between asset accounts, never twice.
  it('funds available and a payout post once each', async () => {
    h.emulator.controls.makeFundsAvailable();
    await h.settle();
    const balance = await h.emulator.client().balance.retrieve();
    const usd = balance.available.find((b) => b.currency === 'usd')!;
    await h.emulator.client().payouts.create({ amount: usd.amount, currency: 'usd' });
    h.emulator.controls.payPayouts();
    await h.settle();
    const [bank] = await queryRows<{ balance: string }>(h.testDb.database.db, sql`SELECT balance_minor::text AS balance FROM ledger_accounts WHERE code = 'bank:payouts' AND currency = 'USD'`);
    expect(BigInt(bank!.balance)).toBe(BigInt(usd.amount));
  });

  // A refund the bank sends back puts the money back in the appeal, by a reversal of the refund.
  it('a refund that fails after it was posted is reversed', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '900' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const balance = await h.appealBalance('buck-a-brick');
    const raised = BigInt((await progress('buck-a-brick')).raisedGrossMinor);
    const res = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '400' } });
    await h.settle();
    expect(await h.appealBalance('buck-a-brick')).toBe(balance + 400n);
    const refund = await h.emulator.client().refunds.retrieve(res.json().refundId);
    const failed = JSON.stringify({ id: 'evt_refund_failed_1', object: 'event', type: 'refund.failed', created: Math.floor(Date.now() / 1000), data: { object: { ...refund, status: 'failed', failure_reason: 'lost_or_stolen_card' } } });
    const signature = h.emulator.client().webhooks.generateTestHeaderString({ payload: failed, secret: 'whsec_test_harness_secret' });
    expect((await h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload: failed })).statusCode).toBe(200);
    await h.settle();
    expect(await h.appealBalance('buck-a-brick')).toBe(balance);
    expect(BigInt((await progress('buck-a-brick')).raisedGrossMinor)).toBe(raised);
    expect(await donation(donationId)).toMatchObject({ status: 'succeeded', refundedMinor: 0n });
  });

  // The reversal gives back what the refund took, to the gift it took it from: an event whose copy
  // of the refund names another gift's charge or another amount moves neither.
  it('a failed refund gives back what was refunded of its own gift, whatever charge and amount its event says', async () => {
    const gift = async (amountMinor: string) => {
      const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor });
      h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
      return donationId;
    };
    const refunded = await gift('900');
    const other = await gift('700');
    await h.settle();
    const balance = await h.appealBalance('buck-a-brick');
    const raised = BigInt((await progress('buck-a-brick')).raisedGrossMinor);
    const res = await h.app.inject({ method: 'POST', url: `/api/donations/${refunded}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '400' } });
    await h.settle();
    expect(await donation(refunded)).toMatchObject({ status: 'partially_refunded', refundedMinor: 400n });
    const refund = await h.emulator.client().refunds.retrieve(res.json().refundId);
    const otherCharge = (await donation(other)).chargeId!;
    const failed = JSON.stringify({
      id: `evt_refund_failed_${refund.id}`,
      object: 'event',
      type: 'refund.failed',
      created: Math.floor(Date.now() / 1000),
      data: { object: { ...refund, status: 'failed', failure_reason: 'lost_or_stolen_card', charge: otherCharge, amount: 900 } },
    });
    const signature = h.emulator.client().webhooks.generateTestHeaderString({ payload: failed, secret: 'whsec_test_harness_secret' });
    expect((await h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload: failed })).statusCode).toBe(200);
    await h.settle();
    const [event] = await queryRows<{ status: string; last_error: string | null }>(h.testDb.database.db, sql`SELECT status::text, last_error FROM stripe_events WHERE id = ${`evt_refund_failed_${refund.id}`}`);
    expect(event).toEqual({ status: 'processed', last_error: null });
    expect(await donation(refunded)).toMatchObject({ status: 'succeeded', refundedMinor: 0n });
    expect(await donation(other)).toMatchObject({ status: 'succeeded', refundedMinor: 0n });
    expect(await h.appealBalance('buck-a-brick')).toBe(balance);
    expect(BigInt((await progress('buck-a-brick')).raisedGrossMinor)).toBe(raised);
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });

  // Stripe's refusal is answered in our error body, never with Stripe's own status or text. The
  // treasurer's attempt is on the record once, like a refund: the same form sent again is a replay.
  it('a refund Stripe refuses is a 400 payment_provider.refused, audited once', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '600' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const d = await donation(donationId);
    h.emulator.controls.pause();
    try {
      await h.emulator.client().refunds.create({ charge: d.chargeId! });
      const refund = () => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { idempotencyKey: 'refused-once' } });
      for (const res of [await refund(), await refund()]) {
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toMatchObject({ code: 'payment_provider.refused', details: { providerCode: 'charge_already_refunded' } });
      }
      const audits = await h.testDb.database.rows<{ action: string; actor_user_id: string | null; after: Record<string, unknown> }>(sql`SELECT action, actor_user_id, after FROM audit_log WHERE subject_id = ${donationId}`);
      expect(audits).toEqual([{ action: 'donation.refund_refused', actor_user_id: expect.any(String), after: expect.objectContaining({ amountMinor: '600', refusedCode: 'charge_already_refunded', idempotencyKey: 'refused-once' }) }]);
    } finally {
      h.emulator.controls.resume();
      await h.settle();
    }
  });

  // After all of it, every invariant holds and no event is stuck.
  it('leaves a ledger that verifies and an empty inbox', async () => {
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    const stuck = await h.testDb.database.db.select().from(stripeEvents).where(eq(stripeEvents.status, 'parked'));
    expect(stuck).toEqual([]);
  });
});

describe('donation requests', () => {
  // Bad input is a clear 4xx and creates nothing.
  it.each([
    [{ amountMinor: '10' }, 'donation.amount_too_small'],
    [{ amountMinor: '150' }, 'donation.amount_not_whole_units'],
    [{ amountMinor: '100000000' }, 'donation.amount_too_large'],
    [{ amountMinor: '-5' }, 'validation_failed'],
    [{ amountMinor: '1.50' }, 'validation_failed'],
    // Only bidi marks and zero-width spaces: a blank name or message on the donor wall.
    [{ amountMinor: '500', donorName: '\u200f\u200e\u2067' }, 'validation_failed'],
    [{ amountMinor: '500', message: '\u200b \u2066\u2069' }, 'validation_failed'],
    [{ amountMinor: '500', donorName: '\u3164\u115f \u2800' }, 'validation_failed'],
  ])('%j is refused with %s', async (body, code) => {
    const res = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload: { donorEmail: 'a@example.org', idempotencyKey: 'bad-input-1', ...body } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe(code);
  });

  // The most one charge holds is Stripe's in each currency (eight digits of its amount): ¥150,000
  // (about $1,000) is a gift, where a ceiling of 100,000 units of every currency refused it, and the
  // refusal says the ceiling. Fees covered count: the whole charge must fit.
  it('takes gifts up to what one Stripe charge holds in the appeal’s currency, and says that ceiling', async () => {
    const ask = (slug: string, amountMinor: string, coverFees = false) =>
      h.app.inject({ method: 'POST', url: `/api/appeals/${slug}/donations`, payload: { donorEmail: 'a@example.org', idempotencyKey: randomUUID(), amountMinor, coverFees } });
    expect((await ask('osaka-care-strike-fund', '150000')).statusCode).toBe(201);
    expect((await ask('osaka-care-strike-fund', '99999999')).statusCode).toBe(201);
    const over = await ask('osaka-care-strike-fund', '100000000');
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatchObject({ code: 'donation.amount_too_large', details: { maximumMinor: '99999999' } });
    expect((await ask('kuwait-relief', '99999990')).statusCode).toBe(201);
    expect((await ask('kuwait-relief', '99999990', true)).json().error).toMatchObject({ code: 'donation.amount_too_large', details: { maximumMinor: '99999990' } });
    // On an appeal with a unit, in whole units: $970,999 of $1 bricks, fees covered.
    expect((await ask('buck-a-brick', '99999900', true)).json().error).toMatchObject({ code: 'donation.amount_too_large', details: { maximumGiftMinor: '97099900' } });
    // With the fees covered, the refusal also names the largest gift whose charge fits: it is taken,
    // and one yen more is not.
    const { maximumGiftMinor } = (await ask('osaka-care-strike-fund', '99999999', true)).json().error.details;
    expect(BigInt(maximumGiftMinor)).toBeGreaterThan(95_000_000n);
    expect((await ask('osaka-care-strike-fund', maximumGiftMinor, true)).statusCode).toBe(201);
    expect((await ask('osaka-care-strike-fund', (BigInt(maximumGiftMinor) + 1n).toString(), true)).json().error.code).toBe('donation.amount_too_large');
  });

  // Where Stripe publishes no minimum (the Algerian dinar), its minimum is 0.50 USD's worth at the
  // day's rate, which only Stripe knows: our own check lets 1 DA through, and Stripe's refusal was
  // answered as payment_provider.refused, which the form tells as "the gift could not be started".
  // It is the donor's to fix: a code of its own, which the form tells as "give more".
  it("a gift under Stripe's minimum in a currency it publishes none for is a 400, not a 500", async () => {
    const [brick] = await h.testDb.database.db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    await h.testDb.database.db.insert(appeals).values({ slug: 'oran-dinar', organizationId: brick!.organizationId, title: 'Oran', beneficiary: 'Oran dockers', currency: 'DZD', goalMinor: 10_000_000n, status: 'live', publishedAt: new Date() });
    const ask = (amountMinor: string) => h.app.inject({ method: 'POST', url: '/api/appeals/oran-dinar/donations', payload: { donorEmail: 'a@example.org', idempotencyKey: randomUUID(), amountMinor } });
    const tiny = await ask('100');
    expect([tiny.statusCode, tiny.json().error.code]).toEqual([400, 'donation.amount_below_card_minimum']);
    // 200 DA is over the emulator's 0.50 USD (65 DA at its rate): a checkout.
    expect((await ask('20000')).statusCode).toBe(201);
  });

  // A donor gives while an organizer changes the appeal's currency (no gift yet, so the change is
  // allowed). The gift must be made on the terms the appeal has when it is stored: read apart from
  // its insert, it went ahead in dollars on an appeal that now raises euros, and its payment would
  // then be parked for a treasurer instead of posted. Now the gift waits for the change.
  it('a gift is made on the appeal’s terms as they stand while an organizer changes them', async () => {
    const db = h.testDb.database.db;
    const [brick] = await db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    await db.insert(appeals).values({ slug: 'terms-race', organizationId: brick!.organizationId, title: 'Terms race', beneficiary: 'Local 222', currency: 'USD', goalMinor: 100_000n, status: 'live', publishedAt: new Date() });
    const gift = () => h.app.inject({ method: 'POST', url: '/api/appeals/terms-race/donations', payload: { donorEmail: 'a@example.org', idempotencyKey: randomUUID(), amountMinor: '500' } });
    // The organizer's change, holding the appeal's row until it commits.
    const change = await holdLock(h.testDb.url, "UPDATE appeals SET currency = 'EUR' WHERE slug = 'terms-race'", []);
    let res: Awaited<ReturnType<typeof gift>>;
    try {
      const request = gift();
      // Waits on the change's lock (or, read apart from its insert as it was, answers at once).
      await Promise.race([change.waitedOn(), request]);
      await change.release();
      res = await request;
    } finally {
      await change.end();
    }
    expect(res.statusCode, res.body).toBe(201);
    const [stored] = await db.select().from(donations).where(eq(donations.id, res.json().donationId));
    expect(stored!.currency).toBe('EUR');
    const session = await h.emulator.client().checkout.sessions.retrieve(new URL(res.json().checkoutUrl).pathname.split('/').at(-1)!);
    expect(session.currency).toBe('eur');
    // And the other way round: with the gift stored, the change of terms is refused.
    const back = await db.update(appeals).set({ currency: 'USD' }).where(eq(appeals.slug, 'terms-race')).catch((err: unknown) => err);
    expect(String((back as { cause?: unknown }).cause ?? back)).toMatch(/appeals_terms_locked|gift/);
  });

  // A script must not be able to flood Stripe with Checkout Sessions from one address.
  it('is rate-limited per client with the one error body', async () => {
    const { buildApp } = await import('../../server/app');
    const { testConfig } = await import('../helpers/config');
    const limited = await buildApp({ config: testConfig({ DONATION_RATE_LIMIT_PER_MINUTE: '2' }), database: h.testDb.database, stripe: { client: h.emulator.client(), webhookSecret: 'whsec_x' } });
    try {
      const attempt = (n: number) => limited.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload: { amountMinor: '500', donorEmail: 'a@example.org', idempotencyKey: `rate-${n}-abcdef` } });
      expect((await attempt(1)).statusCode).toBe(201);
      expect((await attempt(2)).statusCode).toBe(201);
      const third = await attempt(3);
      expect(third.statusCode).toBe(429);
      expect(third.json().error.code).toBe('rate_limited');
    } finally {
      await limited.close();
    }
  });

  // Behind one proxy (Fly), a client cannot pick its own address with X-Forwarded-For.
  it('rate-limits by the address the proxy saw, whatever the client claims', async () => {
    const { buildApp } = await import('../../server/app');
    const { testConfig } = await import('../helpers/config');
    const limited = await buildApp({ config: testConfig({ DATABASE_URL: h.testDb.url, DONATION_RATE_LIMIT_PER_MINUTE: '2' }), database: h.testDb.database, stripe: { client: h.emulator.client(), webhookSecret: 'whsec_x' } });
    try {
      const attempt = (n: number) =>
        limited.inject({
          method: 'POST',
          url: '/api/appeals/buck-a-brick/donations',
          headers: { 'x-forwarded-for': `10.0.0.${n}, 203.0.113.7` },
          payload: { amountMinor: '500', donorEmail: 'a@example.org', idempotencyKey: `spoof-${n}-abcdef` },
        });
      expect((await attempt(1)).statusCode).toBe(201);
      expect((await attempt(2)).statusCode).toBe(201);
      expect((await attempt(3)).statusCode).toBe(429);
    } finally {
      await limited.close();
    }
  });

  // A retried request (network hiccup) must not create a second gift or session.
  it('the same idempotency key returns the same checkout', async () => {
    const payload = { amountMinor: '500', donorEmail: 'a@example.org', idempotencyKey: 'same-key-123' };
    const a = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload });
    const b = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload });
    expect(a.json().donationId).toBe(b.json().donationId);
    expect(a.json().checkoutUrl).toBe(b.json().checkoutUrl);
  });

  // Stripe's rule, and ours: a key names one request. The same key with other fields must neither
  // answer with the first gift's checkout nor start a second gift or session.
  describe('the same key with different fields', () => {
    const give = (slug: string, payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url: `/api/appeals/${slug}/donations`, payload });
    const newestSession = async () => (await h.emulator.client().checkout.sessions.list({ limit: 1 })).data[0]!.id;
    const withKey = (key: string) => h.testDb.database.db.select().from(donations).where(sql`${donations.requestKey} LIKE ${`%${key}`}`);
    const first = (key: string) => ({ amountMinor: '3000', donorEmail: 'a@example.org', donorName: 'Ana', message: 'In solidarity', idempotencyKey: key });

    it.each([
      ['another amount', 'buck-a-brick', { amountMinor: '4000' }],
      ['another appeal (and currency)', 'osaka-care-strike-fund', {}],
      ['monthly instead of one-off', 'buck-a-brick', { frequency: 'monthly' }],
      ['covering the fees', 'buck-a-brick', { coverFees: true }],
      ['another email', 'buck-a-brick', { donorEmail: 'b@example.org' }],
      ['another name', 'buck-a-brick', { donorName: 'Bea' }],
      ['no name', 'buck-a-brick', { donorName: undefined }],
      ['anonymous', 'buck-a-brick', { anonymous: true }],
      ['another message', 'buck-a-brick', { message: 'Hold the line' }],
      ['updates asked for', 'buck-a-brick', { updatesOptIn: true }],
      ['another locale', 'buck-a-brick', { locale: 'es' }],
    ])('%s is refused with 409 and changes nothing', async (_, slug, change) => {
      const key = `conflict-${randomUUID()}`;
      const a = await give('buck-a-brick', first(key));
      expect(a.statusCode).toBe(201);
      const [before] = await withKey(key);
      const session = await newestSession();

      const b = await give(slug, { ...first(key), ...change });
      expect(b.statusCode).toBe(409);
      expect(b.json().error.code).toBe('donation.idempotency_conflict');
      expect(await withKey(key)).toEqual([before]);
      expect(await newestSession()).toBe(session);
      // The first request still replays to its own checkout.
      const again = await give('buck-a-brick', first(key));
      expect(again.json()).toEqual(a.json());
    });

    // Two requests racing with one key: the insert decides, and the loser is compared too.
    it('refuses the loser of a race between two different requests', async () => {
      const key = `race-${randomUUID()}`;
      const answers = await Promise.all([give('buck-a-brick', first(key)), give('buck-a-brick', { ...first(key), amountMinor: '5000' })]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      const rows = await withKey(key);
      expect(rows).toHaveLength(1);
      expect(answers.find((r) => r.statusCode === 201)!.json().amountMinor).toBe(rows[0]!.amountMinor.toString());
    });

    // Gifts stored before keys spanned appeals (request key "<appeal id>:<key>") keep both answers.
    it('holds for a gift stored under the older appeal-scoped key', async () => {
      const key = `legacy-${randomUUID()}`;
      const a = await give('buck-a-brick', first(key));
      const [row] = await withKey(key);
      await h.testDb.database.db.update(donations).set({ requestKey: `${row!.appealId}:${key}` }).where(eq(donations.id, row!.id));
      expect((await give('buck-a-brick', first(key))).json()).toEqual(a.json());
      expect((await give('buck-a-brick', { ...first(key), amountMinor: '4000' })).json().error.code).toBe('donation.idempotency_conflict');
      expect(await withKey(key)).toHaveLength(1);
    });
  });
});

// A replay can come a day late (Back, a restored tab): Stripe has forgotten the key by then, and the
// session may have been paid or expired. The answer is the session as it is, never a second one.
describe('a late replay of a gift', () => {
  const give = (payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/donations', payload });
  const request = () => ({ amountMinor: '2000', donorEmail: 'late@example.org', idempotencyKey: `late-${randomUUID()}` });
  const newestSession = async () => (await h.emulator.client().checkout.sessions.list({ limit: 1 })).data[0]!.id;
  const withKey = (key: string) => h.testDb.database.db.select().from(donations).where(eq(donations.requestKey, `request:${key}`));
  const sessionOf = (checkoutUrl: string) => new URL(checkoutUrl).pathname.split('/').at(-1)!;

  // What Stripe would compare a second create call against changes under the gift.
  async function withAppealRenamed(run: () => Promise<void>) {
    const [before] = await h.testDb.database.db.select({ title: appeals.title }).from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    await h.testDb.database.db.update(appeals).set({ title: `${before!.title} (renamed)` }).where(eq(appeals.slug, 'buck-a-brick'));
    try {
      await run();
    } finally {
      await h.testDb.database.db.update(appeals).set({ title: before!.title }).where(eq(appeals.slug, 'buck-a-brick'));
    }
  }

  it('answers the open session again, without asking Stripe for a new one', async () => {
    const req = request();
    const a = await give(req);
    expect(a.statusCode).toBe(201);
    const session = await newestSession();
    await withAppealRenamed(async () => {
      const b = await give(req);
      expect(b.statusCode).toBe(201);
      expect(b.json()).toEqual(a.json());
    });
    expect(await newestSession()).toBe(session);
  });

  it.each([
    ['paid', 'donation.checkout_completed', (id: string) => h.emulator.controls.payCheckoutSession(id)],
    ['expired', 'donation.checkout_expired', (id: string) => h.emulator.client().checkout.sessions.expire(id)],
  ])('after the session was %s answers 409 %s and creates nothing', async (_, code, close) => {
    const req = request();
    const a = await give(req);
    await close(sessionOf(a.json().checkoutUrl));
    await h.settle();
    const [before] = await withKey(req.idempotencyKey);
    const session = await newestSession();

    const b = await give(req);
    expect(b.statusCode).toBe(409);
    expect(b.json().error).toMatchObject({ code, details: { donationId: a.json().donationId } });
    expect(await newestSession()).toBe(session);
    expect(await withKey(req.idempotencyKey)).toEqual([before]);
  });

  // The session was created but its id never reached the row (a crash in between): the create call
  // is made again under the same Stripe key.
  describe('when the session id was lost', () => {
    const forgetSession = (donationId: string) => h.testDb.database.db.update(donations).set({ checkoutSessionId: null }).where(eq(donations.id, donationId));

    it('finds the same session again and stores it', async () => {
      const req = request();
      const a = await give(req);
      await forgetSession(a.json().donationId);
      const b = await give(req);
      expect(b.json()).toEqual(a.json());
      expect((await withKey(req.idempotencyKey))[0]!.checkoutSessionId).toBe(sessionOf(a.json().checkoutUrl));
    });

    // Stripe replays the key's first answer, which still says "open".
    it('does not offer a session paid since', async () => {
      const req = request();
      const a = await give(req);
      h.emulator.controls.payCheckoutSession(sessionOf(a.json().checkoutUrl));
      await h.settle();
      await forgetSession(a.json().donationId);
      const b = await give(req);
      expect(b.statusCode).toBe(409);
      expect(b.json().error.code).toBe('donation.checkout_completed');
    });

    // Stripe refuses the changed request under the old key; a new key would open a second
    // checkout for one gift.
    it('answers 409 donation.checkout_not_resumable when the request changed since, and creates nothing', async () => {
      const req = request();
      const a = await give(req);
      await forgetSession(a.json().donationId);
      const session = await newestSession();
      await withAppealRenamed(async () => {
        const b = await give(req);
        expect(b.statusCode).toBe(409);
        expect(b.json().error).toMatchObject({ code: 'donation.checkout_not_resumable', details: { donationId: a.json().donationId } });
      });
      expect(await newestSession()).toBe(session);
      expect(await withKey(req.idempotencyKey)).toHaveLength(1);
    });
  });
});

describe('webhook intake', () => {
  const post = (body: string, signature?: string) =>
    h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) }, payload: body });
  const event = (id: string) => JSON.stringify({ id, object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), api_version: '2025-01-01', data: { object: { id: 'cus_1', object: 'customer', unknown_field_from_the_future: { x: 1 } } } });
  const sign = (body: string, timestamp?: number) =>
    h.emulator.client().webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_test_harness_secret', timestamp });
  const stored = async (id: string) => (await h.testDb.database.db.select().from(stripeEvents).where(eq(stripeEvents.id, id))).length;

  // Forged, stale, malformed or oversize bodies are 4xx and store nothing.
  it('refuses forged, stale, malformed and oversize bodies', async () => {
    const body = event('evt_forged_1');
    expect((await post(body, sign(body).replace(/v1=[0-9a-f]+/, 'v1=' + 'a'.repeat(64)))).json().error.code).toBe('webhook.signature_invalid');
    expect((await post(body)).json().error.code).toBe('webhook.signature_missing');
    expect((await post(body, sign(body, Math.floor(Date.now() / 1000) - 3600))).json().error.code).toBe('webhook.timestamp_stale');
    const notEvent = JSON.stringify({ hello: 'world' });
    expect((await post(notEvent, sign(notEvent))).json().error.code).toBe('webhook.malformed');
    const huge = JSON.stringify({ id: 'evt_huge', pad: 'x'.repeat(600_000) });
    expect((await post(huge, sign(huge))).statusCode).toBe(413);
    expect(await stored('evt_forged_1')).toBe(0);
  });

  // The inbox keeps the bytes Stripe signed: text in any script comes back byte for byte, and a body
  // that is not UTF-8 is refused (decoding it would store something Stripe never sent).
  it('stores the signed bytes as they came, and refuses a signed body that is not UTF-8', async () => {
    const body = JSON.stringify({ ...JSON.parse(event('evt_utf8_1')), note: 'Osaka 大阪 ¥3,000 · Oran وهران · 🧱' });
    expect((await post(body, sign(body))).statusCode).toBe(200);
    const [row] = await queryRows<{ payload: string }>(h.testDb.database.db, sql`SELECT payload::text AS payload FROM stripe_events WHERE id = 'evt_utf8_1'`);
    expect(row!.payload).toBe(body);
    const t = Math.floor(Date.now() / 1000);
    const bad = Buffer.concat([Buffer.from(`{"id":"evt_not_utf8","object":"event","type":"customer.created","created":${t},"data":{"object":{"name":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}}}')]);
    const v1 = createHmac('sha256', 'whsec_test_harness_secret').update(`${t}.`).update(bad).digest('hex');
    const res = await h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` }, payload: bad });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('webhook.malformed');
    expect(await stored('evt_not_utf8')).toBe(0);
  });

  // Signed, yet not an event the inbox can keep: its type and API version are copied into columns of
  // their own (Postgres refuses a NUL, and would keep a lone surrogate as U+FFFD), its time becomes a
  // timestamptz (which ends with year 9999). A 500 would have Stripe retry it for days.
  it('refuses a signed event whose type, API version or time the inbox cannot hold, and stores nothing', async () => {
    const cases: [string, object][] = [
      ['evt_nul_type', { type: 'a\u0000b' }],
      ['evt_surrogate_type', { type: 'a\ud800b' }],
      ['evt_nul_version', { api_version: '2025\u0000' }],
      ['evt_surrogate_version', { api_version: '2025-01-01\udc00' }],
      ['evt_created_1e13', { created: 1e13 }],
      ['evt_created_max_safe', { created: Number.MAX_SAFE_INTEGER }],
      ['evt_created_year_10000', { created: 253402300800 }],
      ['evt_created_zero', { created: 0 }],
    ];
    for (const [id, fields] of cases) {
      const body = JSON.stringify({ ...JSON.parse(event(id)), ...fields });
      const res = await post(body, sign(body));
      expect([res.statusCode, res.json().error?.code], id).toEqual([400, 'webhook.malformed']);
      expect(await stored(id), id).toBe(0);
    }
    // Text in any script, a pair of surrogates (one character) included, and the last second of 9999 are kept.
    const fine = JSON.stringify({ ...JSON.parse(event('evt_storable_edges')), type: 'customer.created.🧱', created: 253402300799 });
    expect((await post(fine, sign(fine))).statusCode).toBe(200);
    const [row] = await h.testDb.database.db.select().from(stripeEvents).where(eq(stripeEvents.id, 'evt_storable_edges'));
    expect([row!.type, row!.stripeCreatedAt.toISOString()]).toEqual(['customer.created.🧱', '9999-12-31T23:59:59.000Z']);
  });

  // The inbox joins a batch's bodies with U+001E; a signed body holding it raw is not JSON.
  it('refuses a signed body holding the inbox batch separator, and stores nothing', async () => {
    const body = event('evt_separator_1').replace('"object":"event"', '"object":"event","note":"a\x1eb"');
    expect(body).toContain('\x1e');
    const res = await post(body, sign(body));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('webhook.malformed');
    expect(await stored('evt_separator_1')).toBe(0);
  });

  // Several events in one insert: the bodies travel as one text split by Postgres, so each must
  // come back whole and in its own row, whatever script the bodies around it hold.
  it('stores every event of one batch byte for byte, whatever script the bodies before it hold', async () => {
    const { InboxWriter } = await import('../../server/payments/inbox-writer');
    const inbox = new InboxWriter(h.testDb.database.db);
    const notes = ['大阪の介護ストライキ基金 ¥3,000', 'Oran وهران', 'plain ascii', '🧱🧱 Buck-a-Brick — ¡solidaridad!'];
    const bodies = notes.map((note, i) => JSON.stringify({ ...JSON.parse(event(`evt_batch_utf8_${i}`)), note }));
    // Written in one tick: one batch, one INSERT.
    const results = await Promise.all(bodies.map((b, i) => inbox.write({ id: `evt_batch_utf8_${i}`, type: 'customer.created', apiVersion: null, createdSeconds: 1_700_000_000, body: b })));
    expect(results).toEqual([true, true, true, true]);
    const rows = await queryRows<{ id: string; payload: string }>(h.testDb.database.db, sql`SELECT id, payload::text AS payload FROM stripe_events WHERE id LIKE 'evt_batch_utf8_%' ORDER BY id`);
    expect(rows.map((r) => r.payload)).toEqual(bodies);
  });

  // A body the batch cannot carry fails its own request; the others of its batch are stored.
  it('fails only the request whose body holds the batch separator, and stores the rest of its batch', async () => {
    const { InboxWriter } = await import('../../server/payments/inbox-writer');
    const inbox = new InboxWriter(h.testDb.database.db);
    const good = event('evt_batch_sep_good');
    const write = (id: string, body: string) => inbox.write({ id, type: 'customer.created', apiVersion: null, createdSeconds: 1_700_000_000, body });
    const [bad, ok] = await Promise.allSettled([write('evt_batch_sep_bad', '{"a":"\x1e"}'), write('evt_batch_sep_good', good)]);
    expect(bad.status).toBe('rejected');
    expect(ok).toEqual({ status: 'fulfilled', value: true });
    expect(await stored('evt_batch_sep_bad')).toBe(0);
    expect(await stored('evt_batch_sep_good')).toBe(1);
  });

  // A full event (every field the SDK's types document) plus fields Stripe may add later is stored
  // and posted: we read what we need and keep the rest as it came.
  it('accepts a complete event with unknown fields and posts the gift', async () => {
    const { sessionId, donationId } = await h.donate('buck-a-brick', { amountMinor: '300' });
    h.emulator.controls.pause();
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    const stripe = h.emulator.client();
    const listed = (await stripe.events.list({ type: 'checkout.session.completed', limit: 10 })).data.find((e) => (e.data.object as { id: string }).id === sessionId)!;
    // Plain JSON from here: spreading the SDK's Event union would make the type checker crawl.
    type Json = Record<string, unknown>;
    const real = JSON.parse(JSON.stringify(listed)) as Json & { id: string; data: Json & { object: Json } };
    expect(Object.keys(real.data.object).length).toBeGreaterThan(40);
    const enriched = { ...real, id: `${real.id}_enriched`, brand_new_top_level: { nested: [1, 2] }, data: { ...real.data, object: { ...real.data.object, field_from_2031: 'x', customer_details: { ...(real.data.object.customer_details as Json), unheard_of: true } } } };
    const body = JSON.stringify(enriched);
    const res = await post(body, sign(body));
    expect(res.statusCode).toBe(200);
    const { drainOnce } = await import('../../server/payments/poster');
    const pino = (await import('pino')).default;
    await drainOnce({ db: h.testDb.database.db, stripe, log: pino({ level: 'silent' }), platform: testPlatform });
    expect((await donation(donationId)).status).toBe('succeeded');
    h.emulator.controls.resume();
    await h.settle();
  });

  // Unknown fields and event types Stripe adds later must be accepted, and a repeat is a no-op.
  it('accepts unknown fields once, and a repeat is a 200 no-op', async () => {
    const body = event('evt_future_1');
    const first = await post(body, sign(body));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false });
    expect((await post(body, sign(body))).json()).toEqual({ received: true, duplicate: true });
    expect(await stored('evt_future_1')).toBe(1);
  });
});

describe('failing and waiting events', () => {
  const pinoSilent = async () => (await import('pino')).default({ level: 'silent' });
  const deliver = async (event: Record<string, unknown>) => {
    const body = JSON.stringify(event);
    const signature = h.emulator.client().webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_test_harness_secret' });
    await h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload: body });
  };
  const drain = async (attemptsMax: number) => {
    const { drainOnce } = await import('../../server/payments/poster');
    await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: await pinoSilent(), platform: testPlatform }, { attemptsMax, backoffBaseMs: 0 });
  };
  const now = () => Math.floor(Date.now() / 1000);

  // An event that fails must end where a treasurer sees it, with its error, not loop forever. One
  // naming a payment Stripe does not have fails alike on every attempt: it is parked at the first.
  // (One that keeps failing for a while, Stripe down, is parked after the attempt limit: below.)
  it('parks an event naming a payment Stripe does not have at once and lists it with its error', async () => {
    const { donationId } = await h.donate('buck-a-brick', { amountMinor: '500' });
    await deliver({ id: 'evt_broken_gift', object: 'event', type: 'checkout.session.completed', created: now(), data: { object: { id: 'cs_x', object: 'checkout.session', mode: 'payment', payment_status: 'paid', payment_intent: 'pi_does_not_exist', metadata: { donation_id: donationId } } } });
    for (let i = 0; i < 3; i++) await drain(3);
    const parked = (await h.app.inject({ url: '/api/stripe/events?status=parked', headers: { cookie: h.treasurer } })).json().events;
    expect(parked).toEqual([expect.objectContaining({ id: 'evt_broken_gift', attempts: 1, lastError: expect.stringContaining('pi_does_not_exist') })]);
  });

  // Stripe was down long enough for a gift's event to be parked. Once it is back, a treasurer puts
  // the event back in the queue and the gift posts; the retry is in the audit log.
  it('posts a parked gift once a treasurer puts it back in the queue', async () => {
    const db = h.testDb.database.db;
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '700' });
    h.emulator.controls.payCheckoutSession(sessionId);
    await h.emulator.controls.flush();
    const { drainOnce } = await import('../../server/payments/poster');
    const stripeDown = new Stripe('sk_test_emulator', { host: '127.0.0.1', port: 1, protocol: 'http', maxNetworkRetries: 0 });
    for (let i = 0; i < 3; i++) await drainOnce({ db, stripe: stripeDown, log: await pinoSilent(), platform: testPlatform }, { attemptsMax: 3, backoffBaseMs: 0 });
    const [event] = await queryRows<{ id: string }>(db, sql`SELECT id FROM stripe_events WHERE type = 'checkout.session.completed' AND payload::json->'data'->'object'->'metadata'->>'donation_id' = ${donationId}`);
    const row = async () => (await db.select().from(stripeEvents).where(eq(stripeEvents.id, event!.id)))[0]!;
    expect(await row()).toMatchObject({ status: 'parked', attempts: 3 });
    const lastError = (await row()).lastError;
    expect(lastError).toBeTruthy();

    const retry = () => h.app.inject({ method: 'POST', url: `/api/stripe/events/${event!.id}/retry`, headers: { cookie: h.treasurer } });
    const retried = await retry();
    expect([retried.statusCode, retried.json()]).toEqual([202, { id: event!.id, status: 'pending' }]);
    expect(await row()).toMatchObject({ status: 'pending', attempts: 0, lastError });
    const twice = await retry();
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, 'stripe_event.not_parked']);

    await h.settle();
    expect(await row()).toMatchObject({ status: 'processed', lastError: null });
    expect((await donation(donationId)).status).toBe('succeeded');
    const audit = await queryRows<{ action: string; before: { attempts: number } }>(db, sql`SELECT action, before FROM audit_log WHERE subject_type = 'stripe_event' AND subject_id = ${event!.id}`);
    expect(audit).toEqual([{ action: 'stripe_event.retry', before: { attempts: 3, lastError } }]);
  });

  it('answers 404 for an event it does not have and 400 for an id that is not an event id', async () => {
    const missing = await h.app.inject({ method: 'POST', url: '/api/stripe/events/evt_never_received/retry', headers: { cookie: h.treasurer } });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'stripe_event.not_found']);
    const malformed = await h.app.inject({ method: 'POST', url: '/api/stripe/events/ch_123/retry', headers: { cookie: h.treasurer } });
    expect(malformed.statusCode).toBe(400);
  });

  // An endpoint set up in another API release sends other shapes: before 2025-03-31 a monthly
  // gift's invoice has no `parent`, so read as it came it would be "not one of ours" and ignored for
  // good. Its object is read again from Stripe, in our version, and the gift posts. One whose object
  // Stripe does not have parks, saying what to do.
  it('reads an event of another Stripe API release again from Stripe, and parks one it cannot', async () => {
    const { donationId, sessionId } = await h.donate('osaka-care-strike-fund', { amountMinor: '3000', frequency: 'monthly' });
    h.emulator.controls.pause();
    let invoiceEventId: string;
    try {
      h.emulator.controls.payCheckoutSession(sessionId);
      const subscriptionId = (await h.emulator.client().checkout.sessions.retrieve(sessionId)).subscription as string;
      const invoiceId = (await h.emulator.client().subscriptions.retrieve(subscriptionId)).latest_invoice as string;
      await deliver(JSON.parse(JSON.stringify(await h.emulatorEvent('checkout.session.completed', sessionId))) as Record<string, unknown>);
      const paid = JSON.parse(JSON.stringify(await h.emulatorEvent('invoice.paid', invoiceId))) as { id: string; data: { object: Record<string, unknown> } };
      const { parent: _parent, ...oldShape } = paid.data.object;
      invoiceEventId = paid.id;
      await deliver({ ...paid, api_version: '2024-06-20', data: { object: { ...oldShape, subscription: subscriptionId } } });
      await drain(8);
    } finally {
      h.emulator.controls.resume();
    }
    const [row] = await h.testDb.database.db.select().from(stripeEvents).where(eq(stripeEvents.id, invoiceEventId));
    expect(row).toMatchObject({ status: 'processed', apiVersion: '2024-06-20' });
    expect((await donation(donationId)).status).toBe('succeeded');
    await h.settle();
    expect((await donation(donationId)).status).toBe('succeeded');

    await deliver({ id: 'evt_old_release_unknown_session', object: 'event', type: 'checkout.session.completed', api_version: '2024-06-20', created: now(), data: { object: { id: 'cs_never_made', object: 'checkout.session', metadata: {} } } });
    await drain(8);
    const [parked] = await h.testDb.database.db.select().from(stripeEvents).where(eq(stripeEvents.id, 'evt_old_release_unknown_session'));
    expect(parked).toMatchObject({ status: 'parked', lastError: expect.stringContaining('could not be read again from Stripe') });
    // A later version of our own release only adds: read as it came.
    const later = await h.donate('buck-a-brick', { amountMinor: '800' });
    h.emulator.controls.pause();
    try {
      h.emulator.controls.payCheckoutSession(later.sessionId);
      const real = JSON.parse(JSON.stringify(await h.emulatorEvent('checkout.session.completed', later.sessionId))) as Record<string, unknown>;
      await deliver({ ...real, id: `${String(real.id)}_later`, api_version: `2099-01-01.${Stripe.API_VERSION.split('.')[1]}` });
      await drain(8);
      expect((await donation(later.donationId)).status).toBe('succeeded');
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
  });

  // A refund that arrives before its gift waits (Stripe may deliver the gift hours later).
  // A gift refunded in Stripe's Dashboard (no metadata of ours) whose refund is delivered first: its
  // payment is one of our gifts at Stripe, so it waits (a payment Stripe does not have is parked, above).
  it('keeps a refund that arrives before its gift waiting, not parked', async () => {
    const { sessionId } = await h.donate('buck-a-brick', { amountMinor: '100' });
    h.emulator.controls.pause();
    try {
      const paid = h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
      const refund = await h.emulator.client().refunds.create({ payment_intent: String(paid.payment_intent) });
      await deliver({ ...JSON.parse(JSON.stringify(await h.emulatorEvent('refund.created', refund.id))), id: 'evt_early_refund' });
      for (let i = 0; i < 5; i++) await drain(3);
      const [row] = await h.testDb.database.db.select().from(stripeEvents).where(eq(stripeEvents.id, 'evt_early_refund'));
      expect(row).toMatchObject({ status: 'pending', attempts: 5, lastError: expect.stringContaining('not posted yet') });
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
  });
});
