import { eq, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations, organizations, outboxEmails, users } from '../../db/schema/index';
import { recordOpenDisputes } from '../../server/payments/dispute-backfill';
import { remindOfDueDisputes } from '../../server/payments/dispute-reminders';
import { createStripeClient } from '../../server/payments/stripe-client';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';
import type { DisputeRow } from '../../web/src/lib/server/treasury';

// A dispute left unanswered past its due date is lost. Treasurers answer in Stripe's Dashboard,
// and Stripe mails only the account's owner: the app lists every chargeback and inquiry of its
// gifts, the ones awaiting an answer first, by how soon it is due.

let h: PaymentsHarness;
let stripe: Stripe;

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = createStripeClient({ secretKey: 'sk_test_emulator', host: h.emulator.clientOptions });
});

afterAll(async () => {
  await h?.close();
});


async function listed(state: 'open' | 'closed' | 'all' = 'open', cookie = h.treasurer): Promise<DisputeRow[]> {
  const res = await h.app.inject({ url: `/api/disputes?state=${state}`, headers: { cookie } });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { disputes: DisputeRow[] }).disputes;
}

/** The mails telling treasurers about a dispute, oldest first. */
const toldAbout = async (disputeId: string) =>
  (await h.testDb.database.db.select().from(outboxEmails).where(sql`${outboxEmails.dedupeKey} LIKE ${`dispute:${disputeId}:%`}`).orderBy(outboxEmails.createdAt)).map((m) => ({ to: m.toAddress, subject: m.subject, text: m.textBody }));

const one = async (id: string, state: 'open' | 'closed' | 'all' = 'all') => (await listed(state)).find((d) => d.id === id);
const org = async (slug: string) => (await h.testDb.database.db.select().from(organizations).where(eq(organizations.slug, slug)))[0]!.id;

/** A gift paid with 4242 and posted, and its charge. */
async function paidGift(amountMinor: string) {
  const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { amountMinor });
  expect((await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
  await h.settle();
  const [d] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
  return { donationId, chargeId: d!.chargeId! };
}

describe('the disputes treasurers see', () => {
  it('lists a chargeback awaiting an answer with its due date, then under review once answered, then closed', async () => {
    const { donationId, chargeId } = await paidGift('4500');
    const dispute = h.emulator.controls.disputeCharge(chargeId);
    await h.settle();
    expect(await one(dispute.id, 'open')).toEqual({
      id: dispute.id,
      status: 'needs_response',
      inquiry: false,
      needsResponse: true,
      reason: 'fraudulent',
      currency: 'USD',
      amountMinor: '4500',
      evidenceDueBy: new Date(dispute.evidence_details.due_by! * 1000).toISOString(),
      evidenceSubmitted: false,
      openedAt: new Date(dispute.created * 1000).toISOString(),
      // The app runs on the emulator: Stripe's Dashboard would not know this dispute.
      dashboardUrl: null,
      donation: { id: donationId, appeal: { slug: 'buck-a-brick', title: expect.any(String), language: 'en' } },
    });
    // Stripe mails only the account's owner: the treasurers who reach the gift's local are told.
    const due = `${new Intl.DateTimeFormat('en', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(dispute.evidence_details.due_by! * 1000))} UTC`;
    expect(await toldAbout(dispute.id)).toEqual([
      {
        to: 'treasurer@federation.demo',
        subject: `A chargeback of $45.00 needs an answer by ${due}`,
        text: expect.stringContaining(`has charged back a gift of $45.00. If it is not answered in Stripe’s Dashboard by ${due}, the money is lost for good.\n\nThe gift and its dispute: http://localhost:3000/treasury/donations/${donationId}\n`),
      },
    ]);

    // What a treasurer does in the Dashboard: Stripe sends charge.dispute.updated.
    await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'The member confirms the gift.' } });
    await h.settle();
    expect(await one(dispute.id, 'open')).toMatchObject({ status: 'under_review', needsResponse: false, evidenceSubmitted: true });
    // The gift's own page lists it too.
    const detail = await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } });
    expect(detail.json().disputes).toEqual([expect.objectContaining({ id: dispute.id, status: 'under_review', evidenceSubmitted: true, dashboardUrl: null })]);

    h.emulator.controls.closeDispute(dispute.id, 'won');
    await h.settle();
    expect(await one(dispute.id, 'open')).toBeUndefined();
    expect(await one(dispute.id, 'closed')).toMatchObject({ status: 'won', needsResponse: false });
    // Answered, then won: nobody is told again.
    expect(await toldAbout(dispute.id)).toHaveLength(1);
  });

  it('lists an inquiry, which moves no money, and follows it when the bank escalates it', async () => {
    const { chargeId } = await paidGift('1200');
    const inquiry = h.emulator.controls.disputeCharge(chargeId, { inquiry: true });
    await h.settle();
    expect(await one(inquiry.id, 'open')).toMatchObject({ status: 'warning_needs_response', inquiry: true, needsResponse: true, amountMinor: '1200' });
    // Its opening event is handled now, not ignored: it keeps the dispute's row.
    const [created] = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status FROM stripe_events WHERE type = 'charge.dispute.created' AND payload LIKE ${`%${inquiry.id}%`}`);
    expect(created?.status).toBe('processed');

    h.emulator.controls.escalateInquiry(inquiry.id);
    await h.settle();
    expect(await one(inquiry.id, 'open')).toMatchObject({ status: 'needs_response', inquiry: false, needsResponse: true });
    // Told when the bank asked, and again when it charged the gift back.
    expect((await toldAbout(inquiry.id)).map((m) => m.subject)).toEqual([expect.stringMatching(/^A bank asks about a gift of \$12\.00: answer by /), expect.stringMatching(/^A chargeback of \$12\.00 needs an answer by /)]);
  });

  // An Osaka local's appeal is in Japanese: its treasurers are told in Japanese.
  it("tells the treasurers in the appeal's language", async () => {
    const { donationId, checkoutUrl } = await h.donate('osaka-care-strike-fund', { amountMinor: '3000' });
    expect((await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' })).status).toBe(303);
    await h.settle();
    const [d] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
    const dispute = h.emulator.controls.disputeCharge(d!.chargeId!);
    await h.settle();
    const [mail] = await toldAbout(dispute.id);
    expect(mail!.subject).toMatch(/^￥3,000 のチャージバックへの回答期限：\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2} UTC$/);
    expect(mail!.text).toContain(`ご寄付と異議申立ての詳細：http://localhost:3000/treasury/donations/${donationId}`);
  });

  // A treasurer who reads French gets French, whatever the appeal's language; the others get the appeal's.
  it('tells a treasurer who chose a language in that language', async () => {
    // The local's own treasurer signed up from a browser that said no language we write in.
    await signInAs(h.app, 'treasurer.local@ue222.test', { organizationId: await org('ue-local-222'), role: 'treasurer' });
    const chose = await h.app.inject({ method: 'PUT', url: '/api/me/language', headers: { cookie: h.treasurer }, payload: { locale: 'fr' } });
    expect(chose.statusCode).toBe(204);
    try {
      const { chargeId } = await paidGift('1500');
      const dispute = h.emulator.controls.disputeCharge(chargeId);
      await h.settle();
      const mails = await toldAbout(dispute.id);
      const french = mails.find((m) => m.to === 'treasurer@federation.demo')!;
      expect(french.subject).toMatch(/^Une rétrofacturation de 15,00\s\$US /);
      expect(french.text).toMatch(/^Bonjour/);
      // The other treasurers of the gift's organizations, who said no language, read the appeal's.
      const others = mails.filter((m) => m.to !== 'treasurer@federation.demo');
      expect(others.map((m) => m.to)).toContain('treasurer.local@ue222.test');
      for (const m of others) expect(m.subject).toMatch(/^A chargeback of \$15\.00 needs an answer by /);
    } finally {
      await h.testDb.database.db.update(users).set({ locale: null }).where(eq(users.email, 'treasurer@federation.demo'));
    }
  });

  // The platform's treasurers see every dispute on the list, so they are told of every one, even
  // one whose grant on the federation does not reach the locals.
  it("tells the platform's treasurers, whatever their grant reaches", async () => {
    await signInAs(h.app, 'books@federation.test', { organizationId: await org('demo-federation'), role: 'treasurer', includesDescendants: false });
    const { chargeId } = await paidGift('1900');
    const dispute = h.emulator.controls.disputeCharge(chargeId);
    await h.settle();
    const told = (await toldAbout(dispute.id)).map((m) => m.to);
    expect(told).toEqual(expect.arrayContaining(['books@federation.test', 'treasurer@federation.demo']));
    expect(new Set(told).size).toBe(told.length);
  });

  it('puts the disputes awaiting an answer first, the soonest due first', async () => {
    const later = h.emulator.controls.disputeCharge((await paidGift('700')).chargeId);
    const answered = h.emulator.controls.disputeCharge((await paidGift('800')).chargeId);
    await h.settle();
    await stripe.disputes.update(answered.id, { evidence: { uncategorized_text: 'Receipt attached.' } });
    await h.settle();
    // Stripe gives a bank's dispute its own deadline: this one is due sooner than the one before it.
    const sooner = h.emulator.controls.disputeCharge((await paidGift('900')).chargeId);
    await h.settle();
    await h.testDb.database.db.execute(sql`UPDATE disputes SET evidence_due_by = evidence_due_by - interval '3 days' WHERE id = ${sooner.id}`);
    const order = (await listed('open')).map((d) => d.id).filter((id) => [later.id, answered.id, sooner.id].includes(id));
    expect(order).toEqual([sooner.id, later.id, answered.id]);
  });

  // A card-testing attack can leave a treasurer hundreds of disputes: the list pages through all of
  // them, in the same order, and says how many there are.
  it('pages through every dispute in the list’s order, and counts them', async () => {
    const whole = await h.app.inject({ url: '/api/disputes?state=all&limit=200', headers: { cookie: h.treasurer } });
    const all = whole.json() as { disputes: DisputeRow[]; total: number };
    expect(all.total).toBe(all.disputes.length);
    expect(all.total).toBeGreaterThanOrEqual(4);
    const paged: string[] = [];
    for (let offset = 0; offset < all.total; offset += 3) {
      const page = (await h.app.inject({ url: `/api/disputes?state=all&limit=3&offset=${offset}`, headers: { cookie: h.treasurer } })).json() as { disputes: DisputeRow[]; total: number };
      expect(page.total).toBe(all.total);
      paged.push(...page.disputes.map((d) => d.id));
    }
    expect(paged).toEqual(all.disputes.map((d) => d.id));
    const open = (await h.app.inject({ url: '/api/disputes?state=open&limit=1', headers: { cookie: h.treasurer } })).json() as { disputes: DisputeRow[]; total: number };
    expect(open.disputes).toHaveLength(1);
    expect(open.total).toBe((await listed('open')).length);
    const bad = await h.app.inject({ url: '/api/disputes?offset=-1', headers: { cookie: h.treasurer } });
    expect(bad.statusCode).toBe(400);
  });

  it('keeps the latest state whatever order Stripe delivers the events in, and once each', async () => {
    const { chargeId } = await paidGift('3000');
    h.emulator.controls.pause();
    let id: string;
    try {
      const dispute = h.emulator.controls.disputeCharge(chargeId);
      id = dispute.id;
      await stripe.disputes.update(id, { evidence: { uncategorized_text: 'Signed pledge card.' } });
      h.emulator.controls.closeDispute(id, 'lost');
      const types = ['charge.dispute.closed', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn', 'charge.dispute.created'];
      const events = await Promise.all(types.map((t) => h.emulatorEvent(t, id)));
      // Newest first (the closing waits until the opening is posted), then again: a repeat is
      // dropped by the inbox. The poster runs between deliveries.
      for (const event of [...events, ...events]) {
        await h.deliver(event);
        await h.drain();
      }
      expect(await one(id, 'closed')).toMatchObject({ status: 'lost', evidenceSubmitted: true });
    } finally {
      h.emulator.controls.resume();
    }
    // The emulator's own deliveries, in order, come after: repeats, which change nothing.
    await h.settle();
    expect(await one(id!, 'closed')).toMatchObject({ status: 'lost', evidenceSubmitted: true });
    const [rows] = await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM disputes WHERE id = ${id!}`);
    expect(rows!.n).toBe(1);
  });

  // Stripe's events of one dispute come seconds, days or weeks apart, in any order: the newer
  // report wins even over a status that usually comes later (a lost dispute appealed is open again).
  it('keeps the newer report when an older one arrives after it, and lists an appeal as awaiting an answer', async () => {
    const { chargeId } = await paidGift('2100');
    const dispute = h.emulator.controls.disputeCharge(chargeId);
    h.emulator.controls.closeDispute(dispute.id, 'lost');
    await h.settle();
    const closed = await h.emulatorEvent('charge.dispute.closed', dispute.id);
    const lost = closed.data.object as Stripe.Dispute;
    const report = (id: string, created: number, status: string) => ({ ...closed, id, type: 'charge.dispute.updated', created, data: { object: { ...lost, status } } });
    await h.deliver(report(`evt_appeal_${dispute.id}`, closed.created + 60, 'appeal_needs_response'));
    await h.settle();
    expect(await one(dispute.id, 'open')).toMatchObject({ status: 'appeal_needs_response', needsResponse: true });
    // A report of the loss made before the appeal, delivered only now.
    await h.deliver(report(`evt_late_${dispute.id}`, closed.created + 30, 'lost'));
    await h.settle();
    expect(await one(dispute.id, 'open')).toMatchObject({ status: 'appeal_needs_response' });
  });

  it("shows a treasurer only their own organizations' disputes", async () => {
    const { chargeId } = await paidGift('600');
    const dispute = h.emulator.controls.disputeCharge(chargeId);
    await h.settle();
    const local = await signInAs(h.app, 'treasurer@ue222.test', { organizationId: await org('ue-local-222'), role: 'treasurer' });
    const osaka = await signInAs(h.app, 'treasurer@osaka.test', { organizationId: await org('osaka-care-workers'), role: 'treasurer' });
    expect((await listed('all', local)).map((d) => d.id)).toContain(dispute.id);
    const theirs = await listed('all', osaka);
    expect(theirs.map((d) => d.id)).not.toContain(dispute.id);
    expect(theirs.every((d) => d.donation.appeal.slug === 'osaka-care-strike-fund')).toBe(true);
  });

  // The Stripe account may also take payments that are not gifts (a shop, dues): their disputes
  // are ignored at once, where waiting for a gift that never comes would park them after 3 days.
  it('ignores the disputes of payments that are not gifts, and waits for a gift not posted yet', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 2000, product_data: { name: 'Union T-shirt' } }, quantity: 1 }],
      success_url: 'https://shop.example.org/thanks',
      cancel_url: 'https://shop.example.org/',
    });
    h.emulator.controls.pause();
    let eventIds: string[] = [];
    try {
      const paid = h.emulator.controls.payCheckoutSession(session.id, '4242424242424242');
      const charge = String((await stripe.paymentIntents.retrieve(String(paid.payment_intent))).latest_charge);
      const inquiry = h.emulator.controls.disputeCharge(charge, { inquiry: true });
      h.emulator.controls.escalateInquiry(inquiry.id);
      const types = ['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.funds_withdrawn'];
      const events = await Promise.all(types.map((t) => h.emulatorEvent(t, inquiry.id)));
      eventIds = events.map((e) => e.id);
      for (const e of events) await h.deliver(e);
      await h.drain();
    } finally {
      h.emulator.controls.resume();
    }
    const stored = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status::text FROM stripe_events WHERE id IN (${sql.join(eventIds.map((id) => sql`${id}`), sql`, `)})`);
    expect(stored.map((r) => r.status)).toEqual(['ignored', 'ignored', 'ignored']);

    // A gift's dispute delivered before the gift itself is posted waits for it.
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '1900' });
    h.emulator.controls.pause();
    try {
      const paid = h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
      const charge = String((await stripe.paymentIntents.retrieve(String(paid.payment_intent))).latest_charge);
      const early = h.emulator.controls.disputeCharge(charge);
      const created = await h.emulatorEvent('charge.dispute.created', early.id);
      await h.deliver(created);
      await h.drain();
      const [row] = await queryRows<{ status: string; last_error: string | null }>(h.testDb.database.db, sql`SELECT status::text, last_error FROM stripe_events WHERE id = ${created.id}`);
      expect(row).toEqual({ status: 'pending', last_error: expect.stringContaining('not posted yet') });
    } finally {
      h.emulator.controls.resume();
    }
    await h.settle();
    expect((await listed('open')).find((d) => d.donation.id === donationId)).toMatchObject({ status: 'needs_response', amountMinor: '1900' });
  });

  // Stripe reminds only the account's owner: two days before an answer is due, the treasurers are
  // reminded of each dispute still awaiting it, once; an answered one is left alone.
  it('reminds the treasurers once when an answer is due within two days', async () => {
    const waiting = h.emulator.controls.disputeCharge((await paidGift('2300')).chargeId);
    const answered = h.emulator.controls.disputeCharge((await paidGift('2400')).chargeId);
    await h.settle();
    await stripe.disputes.update(answered.id, { evidence: { uncategorized_text: 'Signed pledge card.' } });
    await h.settle();
    const dueAt = waiting.evidence_details.due_by! * 1000;
    const reminders = async (id: string) => (await toldAbout(id)).filter((m) => m.subject.startsWith('Reminder:'));
    await remindOfDueDisputes(h.testDb.database.db, h.app.platform, 'http://localhost:3000', new Date(dueAt - 3 * 86_400_000));
    expect(await reminders(waiting.id)).toEqual([]);
    const dayBefore = new Date(dueAt - 86_400_000);
    expect(await remindOfDueDisputes(h.testDb.database.db, h.app.platform, 'http://localhost:3000', dayBefore)).toBeGreaterThanOrEqual(1);
    // Marked as reminded: the next round finds nothing (the job would otherwise go round again).
    expect(await remindOfDueDisputes(h.testDb.database.db, h.app.platform, 'http://localhost:3000', dayBefore)).toBe(0);
    const [marked] = await queryRows<{ reminded_status: string | null }>(h.testDb.database.db, sql`SELECT reminded_status FROM disputes WHERE id = ${waiting.id}`);
    expect(marked!.reminded_status).toBe('needs_response');
    // Past its due date, nobody is reminded of it.
    await h.testDb.database.db.execute(sql`UPDATE disputes SET reminded_status = NULL WHERE id = ${waiting.id}`);
    expect(await remindOfDueDisputes(h.testDb.database.db, h.app.platform, 'http://localhost:3000', new Date(dueAt + 60_000))).toBe(0);
    // One each, to every treasurer who reaches the local (the federation's, and any the local has).
    const sent = await reminders(waiting.id);
    expect(sent.map((m) => m.to)).toContain('treasurer@federation.demo');
    expect(new Set(sent.map((m) => m.to)).size).toBe(sent.length);
    for (const m of sent) expect(m).toMatchObject({ subject: expect.stringMatching(/^Reminder: a dispute of \$23\.00 must be answered by /), text: expect.stringContaining('has charged back a gift of $23.00') });
    expect(await reminders(answered.id)).toEqual([]);
  });

  // A dispute opened before the app kept them (or whose events were not sent) is listed by
  // `npm run stripe:disputes`, which asks Stripe for the open ones and tells their treasurers;
  // closed ones are left alone.
  it('lists the disputes Stripe has open that no event recorded, once however often it runs', async () => {
    const open = h.emulator.controls.disputeCharge((await paidGift('1700')).chargeId);
    const closed = h.emulator.controls.disputeCharge((await paidGift('1800')).chargeId, { inquiry: true });
    h.emulator.controls.closeDispute(closed.id, 'warning_closed');
    await h.settle();
    // As if their events had never come: no row, and nobody told.
    await h.testDb.database.db.execute(sql`DELETE FROM disputes WHERE id IN (${open.id}, ${closed.id})`);
    await h.testDb.database.db.execute(sql`DELETE FROM outbox_emails WHERE dedupe_key LIKE ${`dispute:${open.id}:%`}`);
    for (let run = 0; run < 2; run++) {
      const { recorded } = await recordOpenDisputes(h.testDb.database.db, h.app.platform, stripe, 'http://localhost:3000');
      expect(recorded).toBeGreaterThanOrEqual(1);
      expect(await one(open.id, 'open')).toMatchObject({ status: 'needs_response', amountMinor: '1700', needsResponse: true });
      expect(await one(closed.id)).toBeUndefined();
      // Its treasurers are told once, however often the command runs.
      const told = await toldAbout(open.id);
      expect(told.filter((m) => m.to === 'treasurer@federation.demo')).toHaveLength(1);
      expect(told[0]!.subject).toMatch(/^A chargeback of \$17\.00 needs an answer by /);
    }
  });
});
