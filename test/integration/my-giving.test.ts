import { randomUUID } from 'node:crypto';
import { eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donations, memberships, organizations, users } from '../../db/schema/index';
import { createStripeClient } from '../../server/payments/stripe-client';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { holdLock, meetingAt } from '../helpers/row-lock';
import { signIn } from '../helpers/sign-in';

let h: PaymentsHarness;
let ana: string;
let other: string;

beforeAll(async () => {
  h = await startPaymentsHarness();
  ana = await signIn(h.app, 'ana@example.org');
  other = await signIn(h.app, 'other@example.org');
});

afterAll(async () => {
  await h?.close();
});

async function give(body: Record<string, unknown>) {
  const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { donorEmail: 'Ana@Example.org', ...body });
  expect((await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
  await h.settle();
  return donationId;
}

/** The mails that tell a donor they ended a monthly gift. */
const endMails = (id: string) =>
  h.testDb.database.rows<{ to_address: string; subject: string; text_body: string }>(sql`SELECT to_address, subject, text_body FROM outbox_emails WHERE dedupe_key = ${`monthly_ended:${id}`} AND kind = 'monthly_canceled'`);

describe("a member's own giving", () => {
  // A donor signs in with the address they gave with and finds every gift, whatever its case.
  it('lists my gifts and only mine', async () => {
    const oneOff = await give({ amountMinor: '2500', donorName: 'Ana from the night shift' });
    const mine = (await h.app.inject({ url: '/api/me/donations', headers: { cookie: ana } })).json().donations;
    expect(mine.map((d: { id: string }) => d.id)).toContain(oneOff);
    // The receipt names the donor as the gift did, not as the account is called.
    expect(mine.find((d: { id: string }) => d.id === oneOff)).toMatchObject({
      amountMinor: '2500',
      currency: 'USD',
      status: 'succeeded',
      appeal: { slug: 'buck-a-brick' },
      donor: { name: 'Ana from the night shift', email: 'Ana@Example.org' },
    });
    const theirs = (await h.app.inject({ url: '/api/me/donations', headers: { cookie: other } })).json().donations;
    expect(theirs).toEqual([]);
    expect((await h.app.inject('/api/me/donations')).statusCode).toBe(401);
  });

  // A monthly donor of many years (or a treasurer testing) has more gifts than the list gives:
  // the receipt of the oldest still opens, by its id; it stays the donor's own.
  it('finds one of my gifts by its id behind 500 newer ones, and not another person\'s', async () => {
    const [oldest] = await h.testDb.database.rows<{ id: string }>(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, frequency, status, donor_email, donor_name, request_key, created_at, succeeded_at)
      SELECT id, 'USD', 700, 'one_off', 'succeeded', 'Years@Example.org', 'Years of giving', 'old-receipt-first', now() - interval '6 years', now() - interval '6 years'
      FROM appeals WHERE slug = 'buck-a-brick' RETURNING id`);
    await h.testDb.database.db.execute(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, frequency, status, donor_email, request_key, created_at, succeeded_at)
      SELECT a.id, 'USD', 1000, 'monthly', 'succeeded', 'years@example.org', 'old-receipt-' || n, now() - n * interval '1 day', now() - n * interval '1 day'
      FROM appeals a, generate_series(1, 500) AS n WHERE a.slug = 'buck-a-brick'`);
    const years = await signIn(h.app, 'years@example.org');
    const newest = (await h.app.inject({ url: '/api/me/donations?limit=500', headers: { cookie: years } })).json().donations;
    expect(newest.map((d: { id: string }) => d.id)).not.toContain(oldest!.id);

    const mine = await h.app.inject({ url: `/api/me/donations/${oldest!.id}?lang=en`, headers: { cookie: years } });
    expect(mine.statusCode).toBe(200);
    expect(mine.json().donation).toMatchObject({ id: oldest!.id, amountMinor: '700', appeal: { slug: 'buck-a-brick' }, donor: { name: 'Years of giving', email: 'Years@Example.org' } });
    // Another person's gift, and one that never was, answer alike.
    for (const [cookie, id] of [[other, oldest!.id], [years, randomUUID()]] as const) {
      const refused = await h.app.inject({ url: `/api/me/donations/${id}`, headers: { cookie } });
      expect([refused.statusCode, refused.json().error.code]).toEqual([404, 'donation_not_found']);
    }
    expect((await h.app.inject(`/api/me/donations/${oldest!.id}`)).statusCode).toBe(401);
  });

  // Cancelling ends the subscription at Stripe; nobody else can cancel it, and a repeat is harmless.
  it('cancels my monthly gift, once, and nobody else can', async () => {
    const monthly = await give({ amountMinor: '1000', frequency: 'monthly' });
    const list = (await h.app.inject({ url: '/api/me/monthly', headers: { cookie: ana } })).json().monthly;
    expect(list.find((m: { id: string }) => m.id === monthly)).toMatchObject({ amountMinor: '1000', canceledAt: null });

    const stranger = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${monthly}/cancel`, headers: { cookie: other } });
    expect(stranger.statusCode).toBe(404);

    const done = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${monthly}/cancel`, headers: { cookie: ana } });
    expect(done.statusCode).toBe(200);
    const again = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${monthly}/cancel`, headers: { cookie: ana } });
    expect(again.json().canceledAt).toBe(done.json().canceledAt);

    const [row] = await h.testDb.database.rows<{ subscription_id: string }>(sql`SELECT subscription_id FROM donations WHERE id = ${monthly}`);
    const stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: h.emulator.clientOptions });
    const sub = await stripe.subscriptions.retrieve(row!.subscription_id);
    expect(sub.status).toBe('canceled');
    const audit = await h.testDb.database.rows<{ action: string }>(sql`SELECT action FROM audit_log WHERE subject_id = ${monthly}`);
    expect(audit.map((a) => a.action)).toEqual(['donation.cancel_monthly']);
    // In writing, once: the donor's proof that the charges stop.
    const mails = await endMails(monthly);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to_address: 'Ana@Example.org', subject: 'You ended your monthly gift of $10.00' });
    expect(mails[0]!.text_body).toContain('http://localhost:3000/appeals/buck-a-brick');
    // Stripe's own word that the subscription ended arrives after: the donor's time stays.
    await h.settle();
    const ended = (await h.app.inject({ url: '/api/me/monthly', headers: { cookie: ana } })).json().monthly;
    expect(ended.find((m: { id: string }) => m.id === monthly).canceledAt).toBe(done.json().canceledAt);
    const [event] = await h.testDb.database.rows<{ status: string }>(sql`SELECT status FROM stripe_events WHERE type = 'customer.subscription.deleted' AND payload::json->'data'->'object'->>'id' = ${row!.subscription_id}`);
    expect(event!.status).toBe('ignored');
  });

  // Two clicks on "End" at once (a double tap on a phone): both reach Stripe and both record the
  // end; the gift ends once and the append-only audit log says so once.
  it('ends a monthly gift once when asked twice at once', async () => {
    const monthly = await give({ amountMinor: '1300', frequency: 'monthly' });
    const end = () => h.app.inject({ method: 'POST', url: `/api/me/monthly/${monthly}/cancel`, headers: { cookie: ana } });
    const gift = await holdLock(h.testDb.url, 'SELECT 1 FROM donations WHERE id = $1 FOR UPDATE', [monthly]);
    const [a, b] = await meetingAt(gift, [end, end]);
    expect([a!.statusCode, b!.statusCode]).toEqual([200, 200]);
    expect(b!.json().canceledAt).toBe(a!.json().canceledAt);
    const audit = await h.testDb.database.rows<{ action: string }>(sql`SELECT action FROM audit_log WHERE subject_id = ${monthly}`);
    expect(audit.map((x) => x.action)).toEqual(['donation.cancel_monthly']);
    expect(await endMails(monthly)).toHaveLength(1);
    await h.settle();
  });

  // Ended at Stripe (its dashboard, failed renewals) before that event was posted here: ending it
  // again answers when it ended, not Stripe's refusal to cancel it twice.
  it('ends a monthly gift Stripe had already ended, with the time it ended there', async () => {
    const monthly = await give({ amountMinor: '1200', frequency: 'monthly' });
    const [row] = await h.testDb.database.rows<{ subscription_id: string }>(sql`SELECT subscription_id FROM donations WHERE id = ${monthly}`);
    const stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: h.emulator.clientOptions });
    h.emulator.controls.pause();
    try {
      const ended = await stripe.subscriptions.cancel(row!.subscription_id);
      const done = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${monthly}/cancel`, headers: { cookie: ana } });
      expect([done.statusCode, done.json()]).toEqual([200, { canceledAt: new Date(ended.ended_at! * 1000).toISOString(), renewalUnderWay: false }]);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    // Not the donor's doing: no "you ended it" mail.
    expect(await endMails(monthly)).toEqual([]);
  });
});

const DAY = 86_400;

/** A 10.00 USD monthly gift paid on a test clock of its own, frozen at `start` (renewals happen only on clocks). */
async function monthlyOnClock(donorEmail: string, start: number, body: Record<string, unknown> = {}) {
  const stripe = h.emulator.client();
  const { donationId, subId, clock } = await h.monthlyGiftOnClock(donorEmail, start, body);
  /** Stripe's own word for when it charges next: the end of the subscription's current period. */
  const periodEnd = async () => (await stripe.subscriptions.retrieve(subId)).items.data[0]!.current_period_end;
  const advance = async (to: number) => void (await stripe.testHelpers.testClocks.advance(clock, { frozen_time: to }));
  const renewalInvoices = async () => (await stripe.invoices.list({ subscription: subId })).data.filter((i) => i.billing_reason === 'subscription_cycle').reverse();
  return { donationId, stripe, periodEnd, advance, renewalInvoices };
}

/** Sets Buck-a-Brick's deadline; `seeded` is the one the demo data gave it (60 days after seeding), put back after. */
const deadlineAt = async (when: Date | string | null) => void (await h.testDb.database.db.execute(sql`UPDATE appeals SET deadline_at = ${when instanceof Date ? when.toISOString() : when} WHERE slug = 'buck-a-brick'`));
let seeded: string | null = null;
beforeAll(async () => {
  seeded = (await h.testDb.database.rows<{ deadline_at: string | null }>(sql`SELECT deadline_at::text FROM appeals WHERE slug = 'buck-a-brick'`))[0]!.deadline_at;
});

const nextChargeOf = async (donationId: string) => (await h.testDb.database.db.select({ at: donations.nextChargeAt }).from(donations).where(eq(donations.id, donationId)))[0]!.at;
const at = (seconds: number) => new Date(seconds * 1000);

describe('when a monthly gift is charged next', () => {
  // The donor's page says the day their card is charged next; the poster keeps it from each paid
  // invoice, so a page view asks Stripe nothing.
  it('is the end of the period paid for, after the first payment and after each renewal', async () => {
    const start = Math.floor(Date.now() / 1000);
    const g = await monthlyOnClock('hana@example.org', start);
    const first = await g.periodEnd();
    expect(first - start).toBeGreaterThanOrEqual(28 * DAY);
    expect(await nextChargeOf(g.donationId)).toEqual(at(first));

    await g.advance(first + 60);
    await h.settle();
    const second = await g.periodEnd();
    expect(second).toBeGreaterThan(first);
    expect(await nextChargeOf(g.donationId)).toEqual(at(second));
    // The renewal is a payment of its own: the gift's next charge is not its to carry.
    const [renewal] = await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, g.donationId));
    expect(renewal).toMatchObject({ status: 'succeeded', nextChargeAt: null });

    // Two months at once (Stripe's limit), posted in one batch: the later month counts.
    h.emulator.controls.pause();
    try {
      await g.advance(second + 60);
      await g.advance((await g.periodEnd()) + 60);
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    const fourth = await g.periodEnd();
    expect((await g.renewalInvoices()).map((i) => i.status)).toEqual(['paid', 'paid', 'paid']);
    expect(await nextChargeOf(g.donationId)).toEqual(at(fourth));
  });

  // Stripe delivers in any order and more than once: an older month's payment posted after a newer
  // one must not bring back a day already past.
  it('does not move back when an older month is posted after a newer one, or delivered again', async () => {
    const g = await monthlyOnClock('kenji@example.org', Math.floor(Date.now() / 1000));
    h.emulator.controls.pause();
    let latest: number;
    try {
      await g.advance((await g.periodEnd()) + 60);
      await g.advance((await g.periodEnd()) + 60);
      latest = await g.periodEnd();
      const [older, newer] = await g.renewalInvoices();
      await h.deliver(await h.emulatorEvent('invoice.paid', newer!.id));
      await h.drain();
      expect(await nextChargeOf(g.donationId)).toEqual(at(latest));
      const late = await h.emulatorEvent('invoice.paid', older!.id);
      await h.deliver(late);
      await h.drain();
      expect(await nextChargeOf(g.donationId)).toEqual(at(latest));
      await h.deliver({ ...late, id: `${late.id}_again` });
      await h.drain();
    } finally {
      h.emulator.controls.resume();
    }
    // Then every event as Stripe sends it, the ones posted above a second time.
    await h.settle();
    expect(await nextChargeOf(g.donationId)).toEqual(at(latest));
    const renewals = await h.testDb.database.db.select().from(donations).where(eq(donations.parentDonationId, g.donationId));
    expect(renewals.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('the next charge on "My giving"', () => {
  const monthlyOf = async (cookie: string, donationId: string) => {
    const list = (await h.app.inject({ url: '/api/me/monthly', headers: { cookie } })).json().monthly as Array<Record<string, unknown>>;
    return list.find((g) => g.id === donationId)!;
  };

  // What the page shows: the day, with the zone the donor's browser said when they gave, so the
  // page can name the day it is for them; an ended gift is charged no more.
  it('says when an active gift is charged next, and nothing once it ended', async () => {
    const g = await monthlyOnClock('sachiko@example.org', Math.floor(Date.now() / 1000), { timeZone: 'Asia/Tokyo' });
    const donor = await signIn(h.app, 'sachiko@example.org');
    expect(await monthlyOf(donor, g.donationId)).toMatchObject({ nextChargeAt: at(await g.periodEnd()).toISOString(), timeZone: 'Asia/Tokyo', canceledAt: null });
    const ended = await h.app.inject({ method: 'POST', url: `/api/me/monthly/${g.donationId}/cancel`, headers: { cookie: donor } });
    expect(ended.statusCode).toBe(200);
    await h.settle();
    expect(await monthlyOf(donor, g.donationId)).toMatchObject({ nextChargeAt: null, canceledAt: ended.json().canceledAt });
  });

  // A treasurer set the gift to end at its period's end in Stripe's Dashboard (the donor asked by
  // mail), then took that back: the page names the day it ends instead of a charge that will not
  // come, then the next charge again. The first update arriving again, after the second, changes
  // nothing: Stripe made it earlier.
  it('says the day a gift set to end at its period end ends, and the next charge once it goes on again', async () => {
    const g = await monthlyOnClock('ayumi@example.org', Math.floor(Date.now() / 1000));
    const donor = await signIn(h.app, 'ayumi@example.org');
    const end = await g.periodEnd();
    const sub = (await g.stripe.subscriptions.list({ limit: 100 })).data.find((x) => x.metadata.donation_id === g.donationId)!;
    await g.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await h.settle();
    expect(await monthlyOf(donor, g.donationId)).toMatchObject({ endsAt: at(end).toISOString(), nextChargeAt: null, canceledAt: null });
    // A month later (on the clock), Stripe would undo nothing; here the treasurer undoes it first.
    const updates = async () => (await g.stripe.events.list({ type: 'customer.subscription.updated', limit: 100 })).data.filter((e) => (e.data.object as { id: string }).id === sub.id);
    const [setToEnd] = await updates();
    await g.advance(Math.floor(Date.now() / 1000) + 60);
    await g.stripe.subscriptions.update(sub.id, { cancel_at_period_end: false });
    await h.settle();
    expect(await monthlyOf(donor, g.donationId)).toMatchObject({ endsAt: null, nextChargeAt: at(end).toISOString() });
    await h.deliver({ ...setToEnd!, id: `${setToEnd!.id}_late` });
    await h.drain();
    expect(await monthlyOf(donor, g.donationId)).toMatchObject({ endsAt: null, nextChargeAt: at(end).toISOString() });
  });

  // An appeal with a deadline closes then, and its monthly gifts end with it (closed-appeal-gifts):
  // a period ending after the deadline is never charged, so the page names no charge for it but
  // the day the appeal closes; one ending before it is charged, and the page says both.
  it('names no charge the appeal\'s deadline forestalls, and the deadline for one it does not', async () => {
    const g = await monthlyOnClock('chiyo.deadline@example.org', Math.floor(Date.now() / 1000), { timeZone: 'Asia/Tokyo' });
    const donor = await signIn(h.app, 'chiyo.deadline@example.org');
    const end = at(await g.periodEnd());

    try {
      const before = new Date(end.getTime() - DAY * 1000);
      await deadlineAt(before);
      expect(await monthlyOf(donor, g.donationId)).toMatchObject({ nextChargeAt: null, appealDeadlineAt: before.toISOString(), endsWithAppealFirst: true, appealClosed: false, canceledAt: null });
      // The deadline at the very moment Stripe renews: the appeal closes then, and the renewal is not charged.
      await deadlineAt(end);
      expect(await monthlyOf(donor, g.donationId)).toMatchObject({ nextChargeAt: null, appealDeadlineAt: end.toISOString(), endsWithAppealFirst: true });
      const after = new Date(end.getTime() + DAY * 1000);
      await deadlineAt(after);
      expect(await monthlyOf(donor, g.donationId)).toMatchObject({ nextChargeAt: end.toISOString(), appealDeadlineAt: after.toISOString(), endsWithAppealFirst: false });
    } finally {
      await deadlineAt(seeded);
    }
    await deadlineAt(null);
    try {
      expect(await monthlyOf(donor, g.donationId)).toMatchObject({ nextChargeAt: end.toISOString(), appealDeadlineAt: null, endsWithAppealFirst: false });
    } finally {
      await deadlineAt(seeded);
    }
  });

  // The receipt of a gift to an appeal with a deadline, in the donor's language and on her
  // calendar: no "repeats every month until you end it", and no next charge the deadline forestalls.
  it('tells on the receipt that the gift ends when the appeal closes, with no charge after it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const receiptOf = async (id: string) => (await h.testDb.database.rows<{ text_body: string }>(sql`SELECT text_body FROM outbox_emails WHERE kind = 'receipt' AND dedupe_key LIKE ${`receipt:${id}:%`}`))[0]!.text_body;

    const day = (at: Date) => new Intl.DateTimeFormat('ja', { dateStyle: 'long', timeZone: 'Asia/Tokyo' }).format(at);
    try {
      // Closes before the month paid for ends: this payment is the last.
      const soon = new Date((now + 10 * DAY) * 1000);
      await deadlineAt(soon);
      const last = await monthlyOnClock('kazue.deadline@example.org', now, { locale: 'ja', timeZone: 'Asia/Tokyo' });
      const lastReceipt = await receiptOf(last.donationId);
      expect(lastReceipt).toContain(`この募金は${day(soon)}に終了します。毎月のご寄付もその日に終わり、これ以上の引き落としはありません。`);
      expect(lastReceipt).not.toContain('次回の請求日');
      expect(lastReceipt).not.toContain('おやめになるまで毎月続きます');
      // Closes after it: the next charge comes, and the gift ends at the deadline.
      const later = new Date((now + 45 * DAY) * 1000);
      await deadlineAt(later);
      const more = await monthlyOnClock('kazue.later@example.org', now, { locale: 'ja', timeZone: 'Asia/Tokyo' });
      const moreReceipt = await receiptOf(more.donationId);
      expect(moreReceipt).toContain(`募金が終了する${day(later)}まで毎月続き`);
      expect(moreReceipt).toContain(`次回の請求日：${day(at(await more.periodEnd()))}`);
    } finally {
      await deadlineAt(seeded);
    }
  });

  // A day already past is not a next charge: its renewal is not posted yet (or was paid outside
  // Stripe). No date rather than a wrong one.
  it('names no day already past', async () => {
    const g = await monthlyOnClock('ines.past@example.org', Math.floor(Date.now() / 1000) - 40 * DAY);
    expect((await nextChargeOf(g.donationId))!.getTime()).toBeLessThan(Date.now());
    const donor = await signIn(h.app, 'ines.past@example.org');
    expect(await monthlyOf(donor, g.donationId)).toMatchObject({ nextChargeAt: null, canceledAt: null, timeZone: null });
  });
});

describe('appeals named in the reader’s language', () => {
  // "My giving", its receipts and the monthly end-confirmation must name an appeal as the rest of
  // the site does for the same reader: translated where the organizer translated it, else as written,
  // with the language of the title given, so the page can mark it for a screen reader's voice.
  it('names each appeal translated into ?lang=, or else the account’s language, in one list as in the other', async () => {
    const translated = 'Un ladrillo a la vez';
    const [appeal] = await h.testDb.database.rows<{ id: string; title: string }>(sql`SELECT id, title FROM appeals WHERE slug = 'buck-a-brick'`);
    await h.testDb.database.db.execute(sql`INSERT INTO appeal_translations (appeal_id, language, title) VALUES (${appeal!.id}, 'es', ${translated})`);
    const oneOff = await give({ amountMinor: '700' });
    const monthly = await give({ amountMinor: '800', frequency: 'monthly' });
    type Named = { id: string; appeal: { title: string; language: string } };
    const titles = async (query: string, cookie = ana) => {
      const gifts = (await h.app.inject({ url: `/api/me/donations${query}`, headers: { cookie } })).json().donations as Named[];
      const monthlies = (await h.app.inject({ url: `/api/me/monthly${query}`, headers: { cookie } })).json().monthly as Named[];
      return [gifts.find((g) => g.id === oneOff)!.appeal, monthlies.find((g) => g.id === monthly)!.appeal].map(({ title, language }) => `${title} (${language})`);
    };
    const spanish = `${translated} (es)`;
    const original = `${appeal!.title} (en)`;
    expect(await titles('?lang=es')).toEqual([spanish, spanish]);
    // No translation in French, no language said, or a value that is not one of ours: as written.
    for (const query of ['?lang=fr', '', '?lang=toString', '?lang=__proto__', `?lang=${'x'.repeat(300)}`]) expect(await titles(query), query).toEqual([original, original]);
    // The page a donor reads the API through says its language; without it, the account's own.
    await h.testDb.database.db.execute(sql`UPDATE users SET locale = 'es' WHERE email = 'ana@example.org'`);
    const anaAgain = await signIn(h.app, 'ana@example.org');
    expect(await titles('', anaAgain)).toEqual([spanish, spanish]);
    expect(await titles('?lang=en', anaAgain)).toEqual([original, original]);
    // Written in Spanish now, the appeal's page shows Spanish readers the original, not the old translation.
    await h.testDb.database.db.execute(sql`UPDATE appeals SET language = 'es' WHERE id = ${appeal!.id}`);
    try {
      expect(await titles('?lang=es')).toEqual([`${appeal!.title} (es)`, `${appeal!.title} (es)`]);
    } finally {
      await h.testDb.database.db.execute(sql`UPDATE appeals SET language = 'en' WHERE id = ${appeal!.id}`);
    }
  });
});

describe("a treasurer's view of a gift", () => {
  // The treasurer must see every posting a gift caused, and nobody else may see the donor's details.
  it('shows the gift with its ledger postings to its treasurer only', async () => {
    const donationId = await give({ amountMinor: '3000' });
    const res = await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } });
    expect(res.statusCode).toBe(200);
    const detail = res.json();
    expect(detail).toMatchObject({ amountMinor: '3000', status: 'succeeded', donor: { email: 'Ana@Example.org' } });
    expect(detail.postings).toHaveLength(1);
    const entries = detail.postings[0].entries as { amountMinor: string }[];
    expect(entries.reduce((sum, e) => sum + BigInt(e.amountMinor), 0n)).toBe(0n);
    expect((await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: ana } })).statusCode).toBe(403);
  });
});

// A donor who gave the wrong amount, or twice, has no refund button: only a treasurer refunds. The
// request reaches the appeal's treasurers (each once, however often asked) with the donor's words
// and the gift's page; nobody else can ask for another's gift, and nothing is asked of a payment
// with nothing left to give back.
describe('asking for a refund', () => {
  const ask = (id: string, cookie: string | undefined, payload: unknown = {}) =>
    h.app.inject({ method: 'POST', url: `/api/me/donations/${id}/refund-request`, headers: cookie ? { cookie } : {}, payload: payload as object });
  const requests = (id: string) =>
    h.testDb.database.rows<{ to_address: string; subject: string; text_body: string }>(sql`SELECT to_address, subject, text_body FROM outbox_emails WHERE kind = 'refund_request' AND dedupe_key LIKE ${`refund_request:${id}:%`}`);

  it("reaches the appeal's treasurers once, with the donor's words, and only from the donor", async () => {
    const gift = await give({ amountMinor: '25000', donorName: 'Ana' });
    expect((await ask(gift, undefined)).statusCode).toBe(401);
    expect((await ask(gift, other)).statusCode).toBe(404);
    expect((await ask(gift, ana, { reason: 'x'.repeat(501) })).statusCode).toBe(400);
    expect((await ask(gift, ana, { reason: 'twice', amount: '1' })).statusCode).toBe(400);
    expect(await requests(gift)).toEqual([]);

    const asked = await ask(gift, ana, { reason: 'I meant $25, not $250.' });
    expect([asked.statusCode, asked.json()]).toEqual([200, { requested: true }]);
    const mails = await requests(gift);
    expect(mails.map((m) => m.to_address)).toContain('treasurer@federation.demo');
    const mail = mails.find((m) => m.to_address === 'treasurer@federation.demo')!;
    expect(mail.subject).toBe('A donor asks for a refund of $250.00');
    expect(mail.text_body).toContain('Ana@Example.org asks for their payment of $250.00');
    expect(mail.text_body).toContain('I meant $25, not $250.');
    expect(mail.text_body).toContain(`http://localhost:3000/treasury/donations/${gift}`);

    expect((await ask(gift, ana, { reason: 'Please?' })).statusCode).toBe(200);
    expect(await requests(gift)).toHaveLength(mails.length);
    const audit = await h.testDb.database.rows<{ action: string }>(sql`SELECT action FROM audit_log WHERE subject_id = ${gift} AND action = 'donation.refund_requested'`);
    expect(audit).toHaveLength(1);
  });

  // The platform's treasurer whose role stops at the top is told of disputes, but cannot refund a
  // local's gift: a request in their inbox would wait on someone who cannot act on it.
  it('reaches only treasurers who can refund it, and again once part of it is refunded', async () => {
    const [user] = await h.testDb.database.db.insert(users).values({ id: randomUUID(), email: 'top-only@federation.demo', name: 'Top only', emailVerified: true }).returning();
    const [federation] = await h.testDb.database.db.select().from(organizations).where(isNull(organizations.parentId));
    await h.testDb.database.db.insert(memberships).values({ userId: user!.id, organizationId: federation!.id, role: 'treasurer', includesDescendants: false });
    const gift = await give({ amountMinor: '4000' });
    expect((await ask(gift, ana, { reason: 'Twice by mistake.' })).statusCode).toBe(200);
    const first = (await requests(gift)).map((m) => m.to_address);
    expect(first).toContain('treasurer@federation.demo');
    expect(first).not.toContain('top-only@federation.demo');

    await h.testDb.database.db.update(donations).set({ status: 'partially_refunded', refundedMinor: 1000n }).where(eq(donations.id, gift));
    expect((await ask(gift, ana, { reason: 'The rest too, please.' })).statusCode).toBe(200);
    const mails = await requests(gift);
    expect(mails).toHaveLength(2 * first.length);
    expect(mails.filter((m) => m.text_body.includes('The rest too, please.')).map((m) => m.to_address).sort()).toEqual([...first].sort());
  });

  it('is refused for a payment already given back', async () => {
    const gift = await give({ amountMinor: '1500' });
    await h.testDb.database.db.update(donations).set({ status: 'refunded', refundedMinor: 1500n }).where(eq(donations.id, gift));
    const refused = await ask(gift, ana);
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'refund_request.not_refundable']);
    expect(await requests(gift)).toEqual([]);
  });
});
