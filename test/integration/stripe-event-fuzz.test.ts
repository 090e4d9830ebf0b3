import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { donations } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { handlers } from '../../server/payments/handlers/index';
import { drainOnce } from '../../server/payments/poster';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { testPlatform } from '../helpers/config';

// Stripe (buggy, or a release to come) may send any field of any event we handle null, missing,
// of another type, out of range or naming another object. Each such event sits in a batch beside
// an ordinary paid gift: the drain must not throw, the gift must post, the odd event must end
// processed, ignored, waiting with back-off or parked, and the ledger must stay what Stripe says.

let h: PaymentsHarness;
let stripe: Stripe;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  h = await startPaymentsHarness();
  stripe = h.emulator.client();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

const db = () => h.testDb.database.db;
const DELETE = Symbol('delete');
type Value = unknown;

/** Marks the inbox's events about `objectId` handled, so only our own (mutated) events can post it. */
async function forgetEventsOf(objectId: string) {
  await h.emulator.controls.flush();
  await db().execute(sql`UPDATE stripe_events SET status = 'ignored' WHERE status = 'pending' AND payload::json->'data'->'object'->>'id' = ${objectId}`);
}

async function paidGift(slug: string, amountMinor: string, card = '4242424242424242') {
  const { donationId, sessionId } = await h.donate(slug, { amountMinor, donorEmail: `fuzz-${randomUUID().slice(0, 8)}@example.org` });
  h.emulator.controls.payCheckoutSession(sessionId, card);
  const session = await stripe.checkout.sessions.retrieve(sessionId, { expand: ['payment_intent'] });
  const pi = session.payment_intent as Stripe.PaymentIntent;
  return { donationId, sessionId, session, piId: pi.id, chargeId: pi.latest_charge as string };
}

type PaidGift = Awaited<ReturnType<typeof paidGift>>;

/**
 * A paid gift, a refund of `refunded` and a dispute of `disputed` whose own events are set aside:
 * only the test's (mutated) events can post them.
 */
async function unpostedObjects(refunded: PaidGift, disputed: PaidGift, giftMinor: string, refundMinor: number) {
  const unposted = await paidGift('buck-a-brick', giftMinor);
  await forgetEventsOf(unposted.sessionId);
  const refund = await stripe.refunds.create({ charge: refunded.chargeId, amount: refundMinor });
  await forgetEventsOf(refund.id);
  const dispute = h.emulator.controls.disputeCharge(disputed.chargeId);
  await forgetEventsOf(dispute.id);
  return { unposted, refund, dispute };
}

/** Sets (or deletes) the value at a dotted path of a deep copy of `base`. */
function mutate<T>(base: T, path: string, value: Value): T {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    if (at[k] === null || typeof at[k] !== 'object') at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === DELETE) delete at[last];
  else at[last] = value;
  return copy as T;
}

const generic: Value[] = [null, DELETE, '', 0, -1, 1.5, 1e13, true, [], {}, 'x'.repeat(5_000), 'ünï💸\u202ecode\u0301', 'zzz_not_an_object'];
const amounts: Value[] = [-100, 0.5, 2 ** 53 + 2, 1e20, 1_000_000_000, '100', Number.NaN];
const currencies: Value[] = ['xxx', 'USD', 'jpy', 'kwd', 'US', 'usdx'];
const times: Value[] = [0, -1, 1, 1e13, 253402300799, 1.5];

interface Base {
  type: string;
  object: Record<string, unknown>;
  /** Dotted paths into the object, with the values to try beyond `generic`. */
  fields: Record<string, Value[]>;
  previous?: Record<string, unknown>;
}

let apiVersion: string | null = null;
let seq = 0;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function eventOf(b: Base, object: unknown, over: Record<string, unknown> = {}) {
  return { id: `evt_fuzz_${String(++seq).padStart(6, '0')}`, object: 'event', type: b.type, api_version: apiVersion, created: nowSeconds(), livemode: false, data: { object, ...(b.previous ? { previous_attributes: b.previous } : {}) }, ...over };
}

/** Every mutation of a base event: each field with each value, and the event's own fields. */
function mutations(b: Base): { event: Record<string, unknown>; label: string }[] {
  const out: { event: Record<string, unknown>; label: string }[] = [];
  for (const [path, extra] of Object.entries(b.fields)) {
    for (const v of [...extra, ...generic]) out.push({ event: eventOf(b, mutate(b.object, path, v)), label: `${b.type} ${path}=${describeValue(v)}` });
  }
  for (const v of times) out.push({ event: eventOf(b, b.object, { created: v }), label: `${b.type} created=${describeValue(v)}` });
  for (const v of [null, '2017-05-25', 'garbage', '2099-01-01.future']) out.push({ event: eventOf(b, b.object, { api_version: v }), label: `${b.type} api_version=${describeValue(v)}` });
  if (b.previous) for (const v of [null, {}, { cancel_at: 'x' }, [], { items: null }, { items: { data: [{ id: 5 }] } }]) out.push({ event: { ...eventOf(b, b.object), data: { object: b.object, previous_attributes: v } }, label: `${b.type} previous_attributes=${describeValue(v)}` });
  return out;
}

function describeValue(v: Value): string {
  if (v === DELETE) return '<missing>';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s;
}

/** Delivers events as Stripe would; the webhook may refuse a malformed one (Stripe retries it). */
async function deliverAll(events: { event: Record<string, unknown>; label: string }[]): Promise<Map<string, string>> {
  const stored = new Map<string, string>();
  for (const { event, label } of events) {
    const body = JSON.stringify(event);
    const signature = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_test_harness_secret' });
    const res = await h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload: body });
    if (res.statusCode === 200) stored.set(event.id as string, label);
    else expect(res.statusCode, label).toBe(400);
  }
  return stored;
}

/** Every ledger posting made since `afterId` that Stripe's objects do not bear out. */
async function postingsStripeDoesNotBearOut(afterId: bigint): Promise<string[]> {
  const rows = await queryRows<{ id: string; kind: string; metadata: Record<string, string>; code: string; currency: string; amount: string }>(
    db(),
    sql`SELECT t.id::text, t.kind, t.metadata, a.code, e.currency, e.amount_minor::text AS amount
          FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
         WHERE t.id > ${afterId} ORDER BY t.id`,
  );
  const byTx = new Map<string, typeof rows>();
  for (const r of rows) byTx.set(r.id, [...(byTx.get(r.id) ?? []), r]);
  const problems: string[] = [];
  const entry = (tx: typeof rows, prefix: string) => tx.filter((r) => r.code.startsWith(prefix)).reduce((s, r) => s + BigInt(r.amount), 0n);
  const donationCharge = async (id: string) => (await db().select().from(donations).where(eq(donations.id, id)))[0]?.chargeId;
  for (const [id, tx] of byTx) {
    try {
      await bearsOut(id, tx);
    } catch (err) {
      problems.push(`tx ${id} ${tx[0]!.kind} ${JSON.stringify(tx[0]!.metadata)}: ${(err as Error).message}`);
    }
  }
  return problems;

  async function bearsOut(id: string, tx: typeof rows) {
    const { kind, metadata } = tx[0]!;
    if (kind === 'gift') {
      const charge = await stripe.charges.retrieve(metadata.chargeId!, { expand: ['payment_intent'] });
      const pi = charge.payment_intent as Stripe.PaymentIntent;
      if (-entry(tx, 'appeal:') !== BigInt(charge.amount)) problems.push(`tx ${id} gift of ${charge.id}: appeal credited ${-entry(tx, 'appeal:')}, Stripe charged ${charge.amount}`);
      if (pi.metadata?.donation_id && pi.metadata.donation_id !== metadata.donationId) problems.push(`tx ${id} gift of ${charge.id} posted to donation ${metadata.donationId}, Stripe says ${pi.metadata.donation_id}`);
    } else if (kind === 'refund') {
      const refund = await stripe.refunds.retrieve(metadata.refundId!);
      if (entry(tx, 'appeal:') !== BigInt(refund.amount)) problems.push(`tx ${id} refund ${refund.id}: appeal debited ${entry(tx, 'appeal:')}, Stripe refunded ${refund.amount}`);
      if ((await donationCharge(metadata.donationId!)) !== refund.charge) problems.push(`tx ${id} refund ${refund.id} of ${refund.charge} posted to donation ${metadata.donationId} of another charge`);
    } else if (kind === 'dispute_opened') {
      const dispute = await stripe.disputes.retrieve(metadata.disputeId!);
      if (entry(tx, 'disputes:open') !== BigInt(dispute.amount)) problems.push(`tx ${id} dispute ${dispute.id}: held ${entry(tx, 'disputes:open')}, Stripe withdrew ${dispute.amount}`);
      if ((await donationCharge(metadata.donationId!)) !== dispute.charge) problems.push(`tx ${id} dispute ${dispute.id} of ${String(dispute.charge)} posted to donation ${metadata.donationId} of another charge`);
    } else if (kind === 'dispute_won' || kind === 'dispute_lost') {
      const dispute = await stripe.disputes.retrieve(metadata.disputeId!);
      if (`dispute_${dispute.status}` !== kind) problems.push(`tx ${id} ${kind} of dispute ${dispute.id}, which Stripe says is ${dispute.status}`);
    } else if (kind === 'payout_paid') {
      const payout = await stripe.payouts.retrieve(metadata.payoutId!);
      if (entry(tx, 'bank:payouts') !== BigInt(payout.amount)) problems.push(`tx ${id} payout ${payout.id}: bank got ${entry(tx, 'bank:payouts')}, Stripe paid out ${payout.amount}`);
    } else if (kind === 'payout_failed') {
      const payout = await stripe.payouts.retrieve(metadata.payoutId!);
      if (payout.status !== 'failed') problems.push(`tx ${id} payout ${payout.id} reversed as failed, Stripe says ${payout.status}`);
    }
  }
}

describe('an event that names another gift, alone in its batch beside an ordinary gift', () => {
  // In the big run the first of many copies wins, in whatever order a batch commits: here each
  // misdirected event is the first and only one to post its object.
  it('never posts money to a gift Stripe did not take it for', async () => {
    const ledgerBefore = BigInt((await queryRows<{ n: string }>(db(), sql`SELECT coalesce(max(id), 0)::text AS n FROM ledger_transactions`))[0]!.n);
    const sibling = await paidGift('buck-a-brick', '2000');
    const refunded = await paidGift('buck-a-brick', '2600');
    const disputed = await paidGift('buck-a-brick', '1700');
    h.emulator.controls.makeFundsAvailable();
    await h.settle();
    const { unposted, refund, dispute } = await unpostedObjects(refunded, disputed, '4300', 400);
    apiVersion ??= (await h.emulatorEvent('checkout.session.completed', sibling.sessionId)).api_version;
    const session = await stripe.checkout.sessions.retrieve(unposted.sessionId);
    const misdirected = [
      { type: 'refund.created', object: { ...(await stripe.refunds.retrieve(refund.id)), charge: sibling.chargeId } },
      { type: 'charge.dispute.created', object: { ...(await stripe.disputes.retrieve(dispute.id)), charge: sibling.chargeId, payment_intent: sibling.piId } },
      { type: 'payout.paid', object: { ...(await stripe.payouts.create({ amount: 100, currency: 'usd' })), amount: 99_999, status: 'paid' } },
      { type: 'checkout.session.completed', object: { ...session, metadata: { donation_id: sibling.donationId } } },
    ];
    h.emulator.controls.payPayouts();
    await forgetEventsOf((misdirected[2]!.object as { id: string }).id);
    for (const m of misdirected) {
      const gift = await paidGift('buck-a-brick', '900');
      await h.emulator.controls.flush();
      await deliverAll([{ event: eventOf({ type: m.type, object: {}, fields: {} }, m.object), label: m.type }]);
      await expect(drainOnce({ db: db(), stripe, log: silent, platform: testPlatform }, { backoffBaseMs: 60_000 })).resolves.toBeDefined();
      const [row] = await db().select().from(donations).where(eq(donations.id, gift.donationId));
      expect(row!.status, `the ordinary gift beside ${m.type}`).toBe('succeeded');
    }
    expect(await postingsStripeDoesNotBearOut(ledgerBefore)).toEqual([]);
    const [siblingRow] = await db().select().from(donations).where(eq(donations.id, sibling.donationId));
    expect(siblingRow).toMatchObject({ chargeId: sibling.chargeId, refundedMinor: 0n, status: 'succeeded' });
    expect((await verifyLedger(db())).problems).toEqual([]);
  }, 60_000);
});

describe('stripe events of every handled type, mutated field by field', () => {
  it('never crash the poster, hold back a batch, lose a gift or post what Stripe did not', async () => {
    const started = Date.now();
    // Posted: a gift in another appeal (ids to misdirect to), a monthly gift, a gift to refund.
    const other = await paidGift('osaka-care-strike-fund', '3000');
    const refunded = await paidGift('buck-a-brick', '2500');
    // Another gift to the same appeal: a refund or dispute misdirected to it could post.
    const sibling = await paidGift('buck-a-brick', '2000');
    const disputed = await paidGift('buck-a-brick', '1800');
    const monthly = await h.monthlyGiftOnClock('fuzz-monthly@example.org', nowSeconds());
    h.emulator.controls.makeFundsAvailable();
    await h.settle();
    const paidOut = await stripe.payouts.create({ amount: 1000, currency: 'usd' });
    h.emulator.controls.payPayouts();
    await h.settle();
    // Not posted yet: only the mutated events below can post these.
    const { unposted, refund, dispute } = await unpostedObjects(refunded, disputed, '4200', 300);
    const payout = await stripe.payouts.create({ amount: 700, currency: 'usd' });
    h.emulator.controls.payPayouts();
    await forgetEventsOf(payout.id);
    h.emulator.controls.failPayout(paidOut.id, 'account_closed');
    await forgetEventsOf(paidOut.id);
    await h.settle();

    const monthlyRow = (await db().select().from(donations).where(eq(donations.id, monthly.donationId)))[0]!;
    const invoiceEvent = await h.emulatorEvent('invoice.paid', monthlyRow.invoiceId!);
    apiVersion = invoiceEvent.api_version;
    const invoice = invoiceEvent.data.object as unknown as Record<string, unknown>;
    const session = (await stripe.checkout.sessions.retrieve(unposted.sessionId)) as unknown as Record<string, unknown>;
    const sub = (await stripe.subscriptions.retrieve(monthly.subId)) as unknown as Record<string, unknown>;
    const refundObject = (await stripe.refunds.retrieve(refund.id)) as unknown as Record<string, unknown>;
    const disputeObject = (await stripe.disputes.retrieve(dispute.id)) as unknown as Record<string, unknown>;
    const payoutObject = (await stripe.payouts.retrieve(payout.id)) as unknown as Record<string, unknown>;
    const failedPayout = (await stripe.payouts.retrieve(paidOut.id)) as unknown as Record<string, unknown>;

    const ids: Value[] = ['ch_does_not_exist', other.chargeId, other.piId, sibling.chargeId, sibling.piId, monthly.subId, refunded.chargeId, { id: other.chargeId }, { id: 5 }];
    const donationIds: Value[] = [other.donationId, sibling.donationId, monthly.donationId, refunded.donationId, randomUUID(), 'not-a-uuid', '-'.repeat(36), 12345, 'x'.repeat(5_000)];
    const metadataField = { metadata: [null, [], 'text', { donation_id: null }] };
    const checkout = { 'metadata.donation_id': donationIds, payment_intent: ids, id: ['cs_other'], mode: ['subscription', 'setup'], payment_status: ['unpaid', 'no_payment_required'], subscription: ids, ...metadataField, status: ['open', 'expired'], amount_total: amounts, currency: currencies, customer: ids };
    const invoiceFields = { id: ['in_does_not_exist'], parent: [{ type: 'subscription_details' }], 'parent.subscription_details.metadata.donation_id': donationIds, 'parent.subscription_details.subscription': ids, 'parent.subscription_details': [[]], billing_reason: ['subscription_cycle', 'manual'], currency: currencies, amount_due: amounts, amount_paid: amounts, next_payment_attempt: times, lines: [{ data: null }], status: ['open', 'void'] };
    const subFields = { id: ['sub_does_not_exist', other.chargeId], 'metadata.donation_id': donationIds, ...metadataField, status: ['active'], cancel_at: times, canceled_at: times, ended_at: times, cancellation_details: [{ reason: 'payment_failed' }, { reason: 7 }], cancel_at_period_end: ['yes'] };
    const refundFields = { charge: ids, id: ['re_does_not_exist'], payment_intent: ids, amount: amounts, currency: currencies, status: ['pending', 'requires_action', 'weird'], 'metadata.donation_id': donationIds, ...metadataField, balance_transaction: ['txn_does_not_exist', { id: 'txn_x', amount: 1e9, net: 1e9, fee: 0, currency: 'usd' }], failure_reason: ['x'.repeat(10)] };
    const bt = (disputeObject.balance_transactions as unknown[])[0];
    const disputeFields = { charge: ids, id: ['dp_does_not_exist'], payment_intent: ids, amount: amounts, currency: currencies, balance_transactions: [[{ ...(bt as object), amount: -1e9 }], [{ ...(bt as object), currency: 'jpy' }], [null], ['txn_string']], 'balance_transactions.0.amount': amounts, 'balance_transactions.0.fee': amounts, 'balance_transactions.0.currency': currencies, reason: ['fraudulent'], 'evidence_details.due_by': times, 'evidence_details.submission_count': amounts, created: times, livemode: ['yes'] };
    const payoutFields = { id: ['po_does_not_exist'], amount: amounts, currency: currencies, status: ['in_transit'], failure_code: ['x'.repeat(10)], ...metadataField, arrival_date: times };
    const balance = { object: 'balance', available: [{ amount: 100, currency: 'usd' }], pending: [], livemode: false };

    const byType: Record<string, Omit<Base, 'type'>> = {
      'checkout.session.completed': { object: session, fields: checkout },
      'checkout.session.async_payment_succeeded': { object: session, fields: checkout },
      'checkout.session.async_payment_failed': { object: session, fields: checkout },
      'checkout.session.expired': { object: session, fields: checkout },
      'customer.subscription.deleted': { object: sub, fields: subFields },
      // Said to change when it ends and what it charges: each mutation reaches both (the latter reads Stripe).
      'customer.subscription.updated': { object: sub, fields: subFields, previous: { cancel_at: null, items: { data: [] } } },
      'invoice.paid': { object: invoice, fields: invoiceFields },
      'invoice.payment_failed': { object: { ...invoice, billing_reason: 'subscription_cycle' }, fields: invoiceFields },
      'refund.created': { object: refundObject, fields: refundFields },
      'refund.updated': { object: refundObject, fields: refundFields },
      'refund.failed': { object: { ...refundObject, status: 'failed' }, fields: refundFields },
      'charge.dispute.created': { object: disputeObject, fields: disputeFields },
      'charge.dispute.updated': { object: disputeObject, fields: disputeFields },
      'charge.dispute.funds_withdrawn': { object: disputeObject, fields: disputeFields },
      'charge.dispute.closed': { object: disputeObject, fields: disputeFields },
      'charge.dispute.funds_reinstated': { object: disputeObject, fields: disputeFields },
      'balance.available': { object: balance, fields: { available: [null, [{ amount: 1e9, currency: 'xxx' }]], pending: [null] } },
      'payout.paid': { object: payoutObject, fields: payoutFields },
      'payout.failed': { object: failedPayout, fields: payoutFields },
    };
    expect(Object.keys(byType).sort()).toEqual(Object.keys(handlers).sort());

    const all = Object.entries(byType).flatMap(([type, b]) => mutations({ type, ...b }));
    const ledgerBefore = BigInt((await queryRows<{ n: string }>(db(), sql`SELECT coalesce(max(id), 0)::text AS n FROM ledger_transactions`))[0]!.n);
    const labels = new Map<string, string>();
    const chunk = 600;
    for (let i = 0; i < all.length; i += chunk) {
      // One ordinary gift in the same batch as the mutated events.
      const gift = await paidGift('buck-a-brick', String(500 + i));
      await h.emulator.controls.flush();
      for (const [id, label] of await deliverAll(all.slice(i, i + chunk))) labels.set(id, label);
      const pending = (await queryRows<{ n: number }>(db(), sql`SELECT count(*)::int AS n FROM stripe_events WHERE status = 'pending' AND next_attempt_at <= now()`))[0]!.n;
      expect(pending).toBeLessThanOrEqual(1000);
      // Failures wait a minute before their next try: one drain, one batch.
      await expect(drainOnce({ db: db(), stripe, log: silent, platform: testPlatform }, { backoffBaseMs: 60_000 })).resolves.toBeDefined();
      const [row] = await db().select().from(donations).where(eq(donations.id, gift.donationId));
      expect(row!.status, `the ordinary gift beside mutations ${i}…`).toBe('succeeded');
    }

    const rows = await queryRows<{ id: string; status: string; last_error: string | null; attempts: number }>(db(), sql`SELECT id, status::text, last_error, attempts FROM stripe_events WHERE id LIKE 'evt_fuzz_%'`);
    if (process.env.FUZZ_DUMP) (await import('node:fs')).writeFileSync(process.env.FUZZ_DUMP, rows.map((r) => `${r.status}\t${labels.get(r.id)}\t${r.last_error ?? ''}`.slice(0, 400)).sort().join('\n'));
    // An odd event may wait only for what a retry can change: another event (a refund before its
    // gift). Anything else is its own content's
    // fault (wrong types, an unknown currency, an object Stripe does not have, an id Stripe cannot
    // take), which no retry helps: it is parked at the first attempt, saying why.
    const mayRetry = /not posted yet|has no balance transaction yet|closed before it was posted|was posted meanwhile/;
    const wrong = rows.filter((r) => !(['processed', 'ignored', 'parked'].includes(r.status) || (r.status === 'pending' && r.last_error !== null && mayRetry.test(r.last_error))) || r.attempts !== 1);
    expect(wrong.map((r) => `${labels.get(r.id)}: ${r.status} ${r.attempts} ${r.last_error}`)).toEqual([]);
    const parkedNoReason = rows.filter((r) => r.status === 'parked' && !r.last_error?.trim());
    expect(parkedNoReason).toEqual([]);
    // The cases that used to wait eight attempts for nothing, or park saying nothing.
    const outcome = (label: string) => rows.filter((r) => labels.get(r.id) === label).map((r) => ({ status: r.status, last_error: r.last_error }));
    const parkedSaying = (reason: RegExp) => expect.arrayContaining([{ status: 'parked', last_error: expect.stringMatching(reason) }]);
    expect(outcome('invoice.payment_failed amount_due="100"')).toEqual(parkedSaying(/Stripe amounts are integers/));
    expect(outcome('invoice.payment_failed currency=0')).toEqual(parkedSaying(/toUpperCase is not a function/));
    expect(outcome('invoice.payment_failed currency="xxx"')).toEqual(parkedSaying(/unknown or unsupported currency "XXX"/));
    expect(outcome('checkout.session.completed payment_intent="ch_does_not_exist"')).toEqual(parkedSaying(/No such payment_intent.*StripeInvalidRequestError, HTTP 404, resource_missing/));
    expect(outcome('payout.failed id="po_does_not_exist"')).toEqual(parkedSaying(/No such payout.*HTTP 404/));
    expect(outcome(`checkout.session.completed payment_intent=${describeValue('x'.repeat(5_000))}`)).toEqual(parkedSaying(/HTTP 414/));
    expect(outcome(`charge.dispute.created id=${describeValue('x'.repeat(5_000))}`)).toEqual(parkedSaying(/HTTP 414/));
    // A dispute's row takes what the event's copy cannot give (its reason, mode, opening time) from
    // Stripe's own copy, which it reads anyway: these used to fail at commit, eight times.
    for (const label of ['charge.dispute.created reason=null', 'charge.dispute.created livemode=null', `charge.dispute.created created=${describeValue(1e13)}`, `charge.dispute.updated evidence_details.due_by=${describeValue(1e13)}`]) {
      expect(outcome(label), label).toEqual(expect.arrayContaining([{ status: 'processed', last_error: null }]));
    }

    const unborne = await postingsStripeDoesNotBearOut(ledgerBefore);
    if (process.env.FUZZ_DUMP) (await import('node:fs')).writeFileSync(`${process.env.FUZZ_DUMP}.ledger`, unborne.join('\n'));
    expect(unborne).toEqual([]);
    expect((await verifyLedger(db())).problems).toEqual([]);
    // What must have posted from the untouched copies among the mutations.
    const posted = async (key: string) => (await queryRows(db(), sql`SELECT 1 FROM ledger_transactions WHERE idempotency_key = ${key}`)).length === 1;
    expect(await posted(`stripe:${unposted.chargeId}:gift`)).toBe(true);
    expect(await posted(`stripe:${refund.id}:refund`)).toBe(true);
    expect(await posted(`stripe:${dispute.id}:dispute_opened`)).toBe(true);
    expect(await posted(`stripe:${payout.id}:paid`)).toBe(true);
    expect(await posted(`stripe:${paidOut.id}:failed`)).toBe(true);

    const counts = rows.reduce<Record<string, number>>((c, r) => ({ ...c, [r.status]: (c[r.status] ?? 0) + 1 }), {});
    console.log(`stripe-event-fuzz: ${all.length} mutations, ${rows.length} stored, ${JSON.stringify(counts)}, ${Date.now() - started} ms`);
  }, 180_000);
});
