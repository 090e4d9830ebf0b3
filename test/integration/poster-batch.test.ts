import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import Stripe from 'stripe';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { queryRows } from '../../db/client';
import { donations, outboxEmails } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { drainConcurrently, drainOnce, drainPipelined } from '../../server/payments/poster';
import { eventPending } from '../../server/payments/handlers/posted';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { holdLock } from '../helpers/row-lock';
import { testPlatform } from '../helpers/config';

// The poster reads a batch's gift amounts from Stripe's charge list (one request per 100 gifts)
// instead of one PaymentIntent fetch each; what the list does not cover is fetched alone. Both
// paths must post the same gift: the real fee, the donation, the receipt.
let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

const silent = pino({ level: 'silent' });

async function paidGifts(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: String(100 * (i + 1)), donorEmail: `batch${i}@example.org` });
    h.emulator.controls.payCheckoutSession(sessionId);
    ids.push(donationId);
  }
  await h.emulator.controls.flush(); // every webhook is in the inbox, none is posted yet
  return ids;
}

function spiedStripe() {
  const stripe = h.emulator.client();
  return { stripe, list: vi.spyOn(stripe.charges, 'list'), retrieve: vi.spyOn(stripe.paymentIntents, 'retrieve') };
}

async function expectPosted(ids: string[]) {
  const rows = await h.testDb.database.db.select().from(donations).where(inArray(donations.id, ids));
  expect(rows).toHaveLength(ids.length);
  for (const d of rows) {
    const pi = await h.emulator.client().paymentIntents.retrieve(d.paymentIntentId!, { expand: ['latest_charge.balance_transaction'] });
    const bt = (pi.latest_charge as { balance_transaction: { fee: number } }).balance_transaction;
    expect(d).toMatchObject({ status: 'succeeded', feeMinor: BigInt(bt.fee) });
    expect(d.chargeId).toBe((pi.latest_charge as { id: string }).id);
    const receipts = await h.testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.dedupeKey, `receipt:${d.id}:${d.chargeId}`));
    expect(receipts).toHaveLength(1);
  }
  expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
}

/** How many inbox events match `where`. */
async function countEvents(where: SQL): Promise<number> {
  return (await queryRows<{ n: number }>(h.testDb.database.db, sql`SELECT count(*)::int AS n FROM stripe_events WHERE ${where}`))[0]!.n;
}

/** A donation row held locked from another connection, as another poster's batch holds it while it commits. */
const holdDonation = (id: string) => holdLock(h.testDb.url, 'SELECT 1 FROM donations WHERE id = $1 FOR UPDATE', [id]);

/**
 * Runs `fn` while the database refuses at commit, with `errcode`, every donation turned succeeded
 * for which `when` (SQL on NEW) holds: as Postgres refuses a batch only at commit (an overdraft).
 */
async function refusedAtCommit(when: string, errcode: string, fn: () => Promise<void>): Promise<void> {
  const db = h.testDb.database.db;
  await db.execute(sql.raw(`CREATE FUNCTION test_refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${when} AND NEW.status = 'succeeded' THEN RAISE EXCEPTION 'test: donation % refused at commit', NEW.id USING ERRCODE = '${errcode}'; END IF;
      RETURN NULL;
    END $$`));
  await db.execute(sql`CREATE CONSTRAINT TRIGGER test_refuse_at_commit AFTER UPDATE ON donations DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse_at_commit()`);
  try {
    await fn();
  } finally {
    await db.execute(sql`DROP TRIGGER test_refuse_at_commit ON donations`);
    await db.execute(sql`DROP FUNCTION test_refuse_at_commit()`);
  }
}

describe('poster batch reads', () => {
  it('reads a batch of gifts with one charge listing and no fetch per gift', async () => {
    const ids = await paidGifts(5);
    const { stripe, list, retrieve } = spiedStripe();
    const r = await drainOnce({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform });
    expect(r).toMatchObject({ processed: r.claimed, failed: 0 });
    expect(list).toHaveBeenCalledTimes(1);
    expect(retrieve).not.toHaveBeenCalled();
    await expectPosted(ids);
  });

  // An event Stripe made long after its charge (outside the listing window) still posts exactly.
  it('fetches alone what the listing window does not cover', async () => {
    const [id] = await paidGifts(1);
    // The window comes from the event's own `created`, as Stripe sent it: move that a day on.
    await h.testDb.database.db.execute(
      sql`UPDATE stripe_events SET payload = jsonb_set(payload::jsonb, '{created}', to_jsonb((payload::jsonb->>'created')::bigint + 86400))::text
           WHERE status = 'pending' AND payload::json->'data'->'object'->'metadata'->>'donation_id' = ${id!}`,
    );
    const { stripe, retrieve } = spiedStripe();
    await drainOnce({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform });
    expect(retrieve).toHaveBeenCalledTimes(1);
    await expectPosted([id!]);
  });

  // Stripe not answering the listing: the gifts wait and retry, none is posted without its fee,
  // and none is fetched one by one against a Stripe that is down.
  it('retries the gifts later when the listing fails', async () => {
    const ids = await paidGifts(2);
    const { stripe, list, retrieve } = spiedStripe();
    list.mockRejectedValueOnce(new Error('Stripe is not answering'));
    const r = await drainOnce({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform }, { backoffBaseMs: 0 });
    expect(r.failed).toBe(2); // the two gifts; the other events of the payments are ignored types
    expect(retrieve).not.toHaveBeenCalled();
    const waiting = await h.testDb.database.db.select().from(donations).where(inArray(donations.id, ids));
    expect(waiting.map((d) => d.status)).toEqual(['pending', 'pending']);
    await drainOnce({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform });
    await expectPosted(ids);
  });

  // The app's loop claims batch N+1 while batch N commits; every event still posts once, and a
  // poster told to stop posts what it already claimed and claims nothing more.
  it('drains batch after batch with the next claim under way, and stops claiming when told', async () => {
    const ids = await paidGifts(7);
    const before = await countEvents(sql`status = 'pending'`);
    const { stripe } = spiedStripe();
    const stopped = await drainPipelined({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform }, { batchSize: 3 }, (claimedSoFar) => claimedSoFar >= 3);
    expect(stopped).toMatchObject({ claimed: 3, failed: 0 });
    expect(await countEvents(sql`status = 'pending'`)).toBe(before - 3);
    const rest = await drainPipelined({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform }, { batchSize: 3 });
    expect(rest).toMatchObject({ claimed: before - 3, failed: 0 });
    expect(await countEvents(sql`status = 'pending'`)).toBe(0);
    await expectPosted(ids);
  });
});

describe('poster batches side by side', () => {
  // The app runs two pipelined loops at once: each claims batches of its own, every event posts
  // once, and told to stop, both post what they claimed and claim no more.
  it('drains with two loops side by side, each event once, and stops claiming when told', async () => {
    const ids = await paidGifts(9);
    const before = await countEvents(sql`status = 'pending'`);
    const deps = { db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform };
    const stopped = await drainConcurrently(deps, { batchSize: 2, loops: 2 }, (claimedSoFar) => claimedSoFar >= 4);
    expect(stopped.failed).toBe(0);
    expect(stopped.claimed).toBeGreaterThanOrEqual(4);
    expect(stopped.claimed).toBeLessThan(before);
    expect(await countEvents(sql`status = 'pending'`)).toBe(before - stopped.claimed);
    const rest = await drainConcurrently(deps, { batchSize: 2, loops: 2 });
    expect(rest).toMatchObject({ claimed: before - stopped.claimed, failed: 0 });
    expect(await countEvents(sql`status = 'pending'`)).toBe(0);
    await expectPosted(ids);
  });

  // One loop failing must not leave the other draining behind the caller's back (a shutdown
  // closes the pool right after): the other claims no more, and the failure is thrown once both
  // have stopped.
  it('when one loop fails, the other claims no more and the failure comes once both have stopped', async () => {
    const ids = await paidGifts(9);
    const db = h.testDb.database.db;
    const deps = { db, stripe: h.emulator.client(), log: silent, platform: testPlatform };
    const boom = new Error('the first stopping check fails');
    let calls = 0;
    const failing = drainConcurrently(deps, { batchSize: 2, loops: 2, leaseSeconds: 0 }, () => {
      if (++calls === 1) throw boom;
      return false;
    });
    await expect(failing).rejects.toBe(boom);
    const processed = await countEvents(sql`status <> 'pending'`);
    await new Promise((r) => setTimeout(r, 300));
    expect(await countEvents(sql`status <> 'pending'`)).toBe(processed);
    expect(await countEvents(sql`status = 'pending' AND attempts = 0`)).toBeGreaterThan(0);
    // The failed loop's claimed batch was leased for 0 s: the next drain posts everything.
    expect((await drainConcurrently(deps, { batchSize: 2, loops: 2 })).failed).toBe(0);
    await expectPosted(ids);
  });

  /**
   * An event whose batch fails to post: the database refuses its failure record (after `delaySeconds`,
   * a window for the test to act in), so `postBatch` throws while the next batch is claimed.
   */
  let unrecordable = 0;
  async function withUnrecordableEvent(delaySeconds: number, run: () => Promise<void>) {
    const db = h.testDb.database.db;
    const id = `evt_unrecordable_${++unrecordable}`;
    await db.execute(sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload) VALUES (${id}, 'checkout.session.completed', now() - interval '1 day', 'not json')`);
    await db.execute(sql.raw(`CREATE FUNCTION refuse_unrecordable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${delaySeconds}); RAISE EXCEPTION 'failure record refused'; END $$`));
    await db.execute(sql.raw(`CREATE TRIGGER refuse_unrecordable BEFORE UPDATE OF last_error ON stripe_events FOR EACH ROW WHEN (NEW.id = '${id}' AND NEW.last_error IS NOT NULL) EXECUTE FUNCTION refuse_unrecordable()`));
    try {
      await run();
    } finally {
      await db.execute(sql`DROP TRIGGER refuse_unrecordable ON stripe_events`);
      await db.execute(sql`DROP FUNCTION refuse_unrecordable()`);
      await db.execute(sql`UPDATE stripe_events SET status = 'ignored' WHERE id = ${id}`);
    }
    expect((await drainConcurrently({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { batchSize: 2, loops: 2 })).failed).toBe(0);
  }

  const refused = { cause: expect.objectContaining({ message: 'failure record refused' }) };
  const leasedElsewhere = sql`status = 'pending' AND id NOT LIKE 'evt_unrecordable%' AND (next_attempt_at > now() OR attempts > 0)`;

  // A loop whose batch fails to post has the next batch already claimed: that batch goes back to
  // the inbox at once, not when its lease runs out.
  it('hands the next claimed batch back when posting a batch throws', async () => {
    const db = h.testDb.database.db;
    await paidGifts(2);
    await withUnrecordableEvent(0, async () => {
      await expect(drainPipelined({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { batchSize: 1 })).rejects.toMatchObject(refused);
      expect(await countEvents(sql`status = 'pending' AND id NOT LIKE 'evt_unrecordable%'`)).toBeGreaterThan(0);
      expect(await queryRows(db, sql`SELECT id FROM stripe_events WHERE ${leasedElsewhere}`)).toEqual([]);
    });
  });

  // When the failing batch took longer than the lease, another poster may have claimed the next
  // batch's events since (and even handed them back): they are that poster's, not to release.
  it('leaves alone a claimed event whose lease is no longer its claim', async () => {
    const db = h.testDb.database.db;
    await paidGifts(2);
    await withUnrecordableEvent(1, async () => {
      const failing = drainPipelined({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { batchSize: 1 });
      failing.catch(() => {});
      let next: { id: string }[] = [];
      await vi.waitFor(async () => {
        next = await queryRows<{ id: string }>(db, sql`SELECT id FROM stripe_events WHERE ${leasedElsewhere}`);
        expect(next).toHaveLength(1);
      }, { timeout: 5_000, interval: 20 });
      // Another poster's claim of it after the lease ran out, then its own release: the attempts
      // are as this loop's claim left them, the lease is not.
      await db.execute(sql`UPDATE stripe_events SET next_attempt_at = now() + interval '1 hour' WHERE id = ${next[0]!.id}`);
      await expect(failing).rejects.toMatchObject(refused);
      const [row] = await queryRows<{ attempts: number; later: boolean }>(db, sql`SELECT attempts, next_attempt_at > now() + interval '30 minutes' AS later FROM stripe_events WHERE id = ${next[0]!.id}`);
      expect(row).toEqual({ attempts: 1, later: true });
      await db.execute(sql`UPDATE stripe_events SET next_attempt_at = now() WHERE id = ${next[0]!.id}`);
    });
  });

  // A refund.failed planned while another poster's batch is committing that refund's
  // refund.created must wait for it, not be ignored as "never posted" (the refund would then stay
  // posted and never be reversed).
  it('a refund.failed waits for a refund.created still being posted elsewhere, then reverses it', async () => {
    const [donationId] = await paidGifts(1);
    await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
    const before = await h.appealBalance('buck-a-brick');
    const res = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '50' } });
    expect(res.statusCode).toBe(202);
    await h.emulator.controls.flush(); // refund.created is in the inbox, not posted
    const lock = await holdDonation(donationId!);
    try {
      // This poster plans refund.created (Stripe: succeeded) and waits to commit it.
      const first = drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
      await lock.waitedOn();
      // Meanwhile the bank returns the refund, and a second poster gets that event.
      const refund = await h.emulator.client().refunds.retrieve(res.json().refundId);
      const body = JSON.stringify({ id: 'evt_refund_failed_race', object: 'event', type: 'refund.failed', created: Math.floor(Date.now() / 1000), data: { object: { ...refund, status: 'failed', failure_reason: 'lost_or_stolen_card' } } });
      const signature = h.emulator.client().webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_test_harness_secret' });
      expect((await h.app.inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, payload: body })).statusCode).toBe(200);
      const second = await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { backoffBaseMs: 0 });
      expect(second).toMatchObject({ claimed: 1, failed: 1 });
      await lock.release();
      expect((await first).failed).toBe(0);
      expect(await h.appealBalance('buck-a-brick')).toBe(before + 50n);
      await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
      const [event] = await queryRows<{ status: string }>(h.testDb.database.db, sql`SELECT status::text FROM stripe_events WHERE id = 'evt_refund_failed_race'`);
      expect(event!.status).toBe('processed');
      expect(await h.appealBalance('buck-a-brick')).toBe(before);
      const [d] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId!));
      expect(d).toMatchObject({ status: 'succeeded', refundedMinor: 0n });
      expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
    } finally {
      await lock.end();
    }
  });

  // The same race when the refund is posted by a refund.updated (its refund.created not here yet):
  // the failure must wait for that one too, not only for a refund.created.
  it('a refund.failed waits for a refund.updated that is posting the refund elsewhere, then reverses it', async () => {
    const [donationId] = await paidGifts(1);
    await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
    const before = await h.appealBalance('buck-a-brick');
    h.emulator.controls.pause();
    // Asked before the lock: an ask waits for a gift's row lock, as it must read what is refunded.
    const res = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '60' } });
    expect(res.statusCode).toBe(202);
    const lock = await holdDonation(donationId!);
    try {
      const created = JSON.parse(JSON.stringify(await h.emulatorEvent('refund.created', res.json().refundId))) as Record<string, unknown>;
      await h.deliver({ ...created, id: 'evt_refund_updated_race', type: 'refund.updated' });
      const first = drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
      await lock.waitedOn();
      const refund = await h.emulator.client().refunds.retrieve(res.json().refundId);
      await h.deliver({ id: 'evt_refund_failed_race_2', object: 'event', type: 'refund.failed', created: Math.floor(Date.now() / 1000), data: { object: { ...refund, status: 'failed', failure_reason: 'lost_or_stolen_card' } } });
      const second = await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { backoffBaseMs: 0 });
      expect(second).toMatchObject({ claimed: 1, failed: 1 });
      await lock.release();
      expect((await first).failed).toBe(0);
      expect(await h.appealBalance('buck-a-brick')).toBe(before + 60n);
      await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
      expect(await h.appealBalance('buck-a-brick')).toBe(before);
    } finally {
      await lock.end();
      h.emulator.controls.resume();
    }
    await h.settle();
    expect(await h.appealBalance('buck-a-brick')).toBe(before);
    expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
  });

  // A batch held up past its lease (here: waiting on a donation row another batch holds) may find
  // one of its failed events parked by another poster and put back in the queue by a treasurer
  // meanwhile. Its late failure record must not park the event again, undoing the retry.
  it("a claim that outlived its lease leaves a failed event's newer state alone", async () => {
    const db = h.testDb.database.db;
    const [donationId] = await paidGifts(1);
    await db.execute(sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload) VALUES ('evt_stale_claim', 'checkout.session.completed', now() - interval '1 day', 'not json')`);
    const lock = await holdDonation(donationId!);
    try {
      // Its gift waits on the donation lock, with the bad event's failure not yet recorded.
      const stale = drainOnce({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { attemptsMax: 1 });
      await lock.waitedOn();
      await db.execute(sql`UPDATE stripe_events SET status = 'pending', attempts = 0, next_attempt_at = now() + interval '1 hour', last_error = 'parked elsewhere, then retried' WHERE id = 'evt_stale_claim'`);
      await lock.release();
      expect((await stale).failed).toBe(1);
      const [row] = await queryRows<{ status: string; attempts: number; last_error: string }>(db, sql`SELECT status::text, attempts, last_error FROM stripe_events WHERE id = 'evt_stale_claim'`);
      expect(row).toEqual({ status: 'pending', attempts: 0, last_error: 'parked elsewhere, then retried' });
      await expectPosted([donationId!]);
    } finally {
      await lock.end();
      await db.execute(sql`UPDATE stripe_events SET status = 'ignored' WHERE id = 'evt_stale_claim'`);
    }
  });

  // Two posters' batches that share donations must not lock them in opposite orders: a batch
  // locks every donation it will write in id order before writing any, whatever its events' order.
  it("locks the batch's donations in id order before writing them, even when the later id comes first", async () => {
    const [a, b] = await paidGifts(2);
    const [low, high] = [a!, b!].sort() as [string, string];
    // The higher id's event is claimed first.
    await h.testDb.database.db.execute(sql`UPDATE stripe_events SET stripe_created_at = stripe_created_at - (CASE WHEN payload::json->'data'->'object'->'metadata'->>'donation_id' = ${high} THEN interval '2 seconds' ELSE interval '1 second' END) WHERE status = 'pending'`);
    const lock = await holdDonation(high);
    try {
      const drained = drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
      // Until the poster waits on the held row.
      await lock.waitedOn();
      const lowLocked = await lock.probe`SELECT 1 FROM donations WHERE id = ${low} FOR NO KEY UPDATE NOWAIT`.then(() => false, (err: { code?: string }) => err.code === '55P03');
      expect(lowLocked).toBe(true);
      await lock.release();
      expect((await drained).failed).toBe(0);
      await expectPosted([low, high]);
    } finally {
      await lock.end();
    }
  });

  // The inbox column is text: the webhook stores only bodies it parsed, but a row that is not JSON
  // anyway (written by hand, say) fails on its own with the reason, and its batch posts the rest.
  // No retry can parse it: it is parked for a treasurer at once.
  it('parks a stored body that is not JSON alone, with its reason, and posts the rest of the batch', async () => {
    const [id] = await paidGifts(1);
    await h.testDb.database.db.execute(sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload) VALUES ('evt_not_json_1', 'checkout.session.completed', now() - interval '1 minute', '{"id": "evt_not_json_1", truncated')`);
    const r = await drainOnce({ db: h.testDb.database.db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
    expect(r).toMatchObject({ failed: 1, processed: r.claimed - 1 });
    const [row] = await queryRows<{ status: string; last_error: string }>(h.testDb.database.db, sql`SELECT status::text, last_error FROM stripe_events WHERE id = 'evt_not_json_1'`);
    expect(row).toMatchObject({ status: 'parked' });
    expect(row!.last_error).toMatch(/not JSON/);
    await expectPosted([id!]);
    await h.testDb.database.db.execute(sql`UPDATE stripe_events SET status = 'ignored' WHERE id = 'evt_not_json_1'`);
  });

  // The database may refuse a batch only at commit (an overdraft, a value it cannot store): the
  // batch is committed by halves, so the one event it refuses costs a few commits, not one per
  // event, and every other gift posts in that same drain.
  it('commits a batch the database refuses at commit by halves, posting all but the one event it refuses', async () => {
    const db = h.testDb.database.db;
    const ids = await paidGifts(40);
    const refused = ids[23]!;
    await refusedAtCommit(`NEW.id = '${refused}'`, 'check_violation', async () => {
      const pending = await countEvents(sql`status = 'pending'`);
      const commits = vi.spyOn(db, 'transaction');
      const r = await drainOnce({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { backoffBaseMs: 60_000 });
      expect(r).toMatchObject({ claimed: pending, failed: 1, processed: pending - 1 });
      // The whole batch, then two halves at each of ceil(log2(pending)) levels at most.
      expect(commits.mock.calls.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(pending)));
      commits.mockRestore();
      await expectPosted(ids.filter((id) => id !== refused));
      const failed = await queryRows<{ status: string; type: string; payload: string }>(db, sql`SELECT status::text, type, payload FROM stripe_events WHERE last_error LIKE ${`%donation ${refused} refused at commit%`}`);
      expect(failed.map((e) => [e.status, e.type, JSON.parse(e.payload).data.object.metadata.donation_id])).toEqual([['pending', 'checkout.session.completed', refused]]);
    });
    // Once the database takes it, the event posts on its next attempt.
    await db.execute(sql`UPDATE stripe_events SET next_attempt_at = now() WHERE status = 'pending'`);
    await drainOnce({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
    await expectPosted(ids);
  });

  // The database failing every commit alike (shutting down, out of disk) is no event's doing:
  // halving would only make 2n - 1 failing commits. The batch waits and retries, none is parked.
  it('does not halve a batch the database fails as a whole, and retries all of it', async () => {
    const db = h.testDb.database.db;
    const ids = await paidGifts(6);
    await refusedAtCommit('true', 'admin_shutdown', async () => {
      const pending = await countEvents(sql`status = 'pending'`);
      const commits = vi.spyOn(db, 'transaction');
      const r = await drainOnce({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { backoffBaseMs: 60_000 });
      expect(r).toMatchObject({ claimed: pending, failed: pending, processed: 0 });
      expect(commits).toHaveBeenCalledTimes(1);
      commits.mockRestore();
      expect(await countEvents(sql`status = 'pending' AND last_error LIKE '%refused at commit%'`)).toBe(pending);
    });
    await db.execute(sql`UPDATE stripe_events SET next_attempt_at = now() WHERE status = 'pending'`);
    await drainOnce({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
    await expectPosted(ids);
  });

  // A claim takes the oldest claimable events by Stripe's time, through the pending index's order
  // (it reads one batch of the index however long the backlog); an event in back-off waits its turn.
  it('claims the oldest claimable events first, through the pending index, and skips one in back-off', async () => {
    const db = h.testDb.database.db;
    const ids = ['evt_claim_order_a', 'evt_claim_order_b', 'evt_claim_order_c', 'evt_claim_order_d'];
    // Oldest first: d (in back-off), then c, b, a. Customer events: the poster ignores them.
    await db.execute(sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload, next_attempt_at)
      SELECT x.id, 'customer.created', now() - make_interval(days => 30 + x.n::int), json_build_object('id', x.id, 'object', 'event', 'type', 'customer.created')::text,
             CASE WHEN x.n = 4 THEN now() + interval '1 hour' ELSE now() END
        FROM json_array_elements_text(${JSON.stringify(ids)}::text::json) WITH ORDINALITY AS x(id, n)`);
    await drainOnce({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform }, { batchSize: 2 });
    const rows = await queryRows<{ id: string; status: string }>(db, sql`SELECT id, status::text AS status FROM stripe_events WHERE id LIKE 'evt_claim_order_%' ORDER BY id`);
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      ['evt_claim_order_a', 'pending'],
      ['evt_claim_order_b', 'ignored'],
      ['evt_claim_order_c', 'ignored'],
      ['evt_claim_order_d', 'pending'],
    ]);
    // Planner switches make a tiny table plan as a long backlog would: the rows come from the
    // index in claim order, with no sort of every pending event.
    const plan = await db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      await tx.execute(sql`SET LOCAL enable_bitmapscan = off`);
      await tx.execute(sql`SET LOCAL enable_sort = off`);
      return queryRows<{ 'QUERY PLAN': string }>(tx, sql`EXPLAIN SELECT id FROM stripe_events WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY stripe_created_at, id LIMIT 1000`);
    });
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toContain('stripe_events_pending_idx');
    expect(text).not.toMatch(/\bSort\b/);
    await drainOnce({ db, stripe: h.emulator.client(), log: silent, platform: testPlatform });
    await db.execute(sql`UPDATE stripe_events SET status = 'ignored' WHERE id LIKE 'evt_claim_order_%'`);
  });
});

describe('events the poster cannot read', () => {
  const status = async (id: string) =>
    (await queryRows<{ status: string; last_error: string | null; attempts: number }>(h.testDb.database.db, sql`SELECT status::text, last_error, attempts FROM stripe_events WHERE id = ${id}`))[0];

  // Stripe always names the object; one that does not (a hand-made event, a shape to come) would
  // reach a query as nothing at all and fail it as an SQL syntax error, eight times over. It is set
  // aside for a treasurer at once, saying what is missing.
  it.each([
    ['payout.failed', 'payout', { object: 'payout', amount: 5000, currency: 'usd', status: 'failed', failure_code: 'account_closed' }],
    ['payout.paid', 'payout', { object: 'payout', amount: 5000, currency: 'usd', status: 'paid' }],
    ['refund.failed', 'refund', { object: 'refund', amount: 100, currency: 'usd', status: 'failed', charge: 'ch_unknown' }],
    ['refund.updated', 'refund', { object: 'refund', amount: 100, currency: 'usd', status: 'canceled', charge: 'ch_unknown' }],
    ['refund.created', 'refund', { object: 'refund', amount: 100, currency: 'usd', status: 'succeeded', charge: 'ch_unknown', payment_intent: 'pi_unknown' }],
    ['charge.dispute.created', 'dispute', { object: 'dispute', amount: 100, currency: 'usd', status: 'needs_response', charge: 'ch_unknown', balance_transactions: [] }],
    ['checkout.session.expired', 'checkout session', { object: 'checkout.session', status: 'expired', metadata: {} }],
    ['customer.subscription.deleted', 'subscription', { object: 'subscription', status: 'canceled', metadata: {} }],
  ])('parks a %s event that names no %s, saying so', async (type, noun, object) => {
    const id = `evt_no_id_${type.replace(/\./g, '_')}`;
    await h.deliver({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object } });
    await h.drain();
    expect(await status(id)).toEqual({ status: 'parked', last_error: `${type} event has no ${noun} id`, attempts: 1 });
  });

  // A NUL typed into a Stripe field reaches us as a \u0000 escape, which Postgres refuses to turn
  // into text: scanning the inbox for a pending payout or refund failed for every event planned
  // while such an event waited, until each was parked.
  it('finds a pending event by its object id even when another field holds a \\u0000 escape', async () => {
    await h.deliver({ id: 'evt_nul_payout', object: 'event', type: 'payout.paid', created: Math.floor(Date.now() / 1000), data: { object: { id: 'po_nul', object: 'payout', amount: 5000, currency: 'usd', status: 'paid', metadata: { note: 'a\u0000b' } } } });
    expect(await eventPending(h.testDb.database.db, 'po_nul', [{ type: 'payout.paid' }])).toBe(true);
    expect(await eventPending(h.testDb.database.db, 'po_other', [{ type: 'payout.paid' }])).toBe(false);
    await h.testDb.database.db.execute(sql`UPDATE stripe_events SET status = 'ignored' WHERE id = 'evt_nul_payout'`);
  });

  // A donation id is compared with a uuid column: text of another shape (36 dashes, in metadata
  // edited in Stripe's Dashboard, say) failed the batch's one query for its donations, and with it
  // every event claimed beside it, claim after claim.
  it('ignores an event whose donation id is not a uuid, and posts the rest of its batch', async () => {
    const [gift] = await paidGifts(1);
    const id = 'evt_donation_id_not_uuid';
    const session = { id: 'cs_not_a_gift', object: 'checkout.session', mode: 'payment', payment_status: 'paid', metadata: { donation_id: '-'.repeat(36) } };
    await h.deliver({ id, object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object: session } });
    await h.drain();
    expect(await status(id)).toMatchObject({ status: 'ignored' });
    await expectPosted([gift!]);
  });
});

// An event whose own content is at fault fails the same way on every attempt: it used to be
// retried eight times (a minute of back-off) before a treasurer saw it, or parked saying nothing.
// It is parked at its first attempt, with its reason; what a retry can fix still retries.
describe('events no retry can post', () => {
  const silentDeps = (stripe = h.emulator.client()) => ({ db: h.testDb.database.db, stripe, log: silent, platform: testPlatform });
  const stored = async (id: string) =>
    (await queryRows<{ status: string; last_error: string | null; attempts: number }>(h.testDb.database.db, sql`SELECT status::text, last_error, attempts FROM stripe_events WHERE id = ${id}`))[0];
  const now = () => Math.floor(Date.now() / 1000);
  let n = 0;
  /** The completed checkout of a gift (found as text: the inbox may hold bodies that are not JSON). */
  const giftEventOf = async (donationId: string) =>
    (
      await queryRows<{ id: string; status: string; attempts: number; last_error: string }>(
        h.testDb.database.db,
        sql`SELECT id, status::text, attempts, last_error FROM stripe_events WHERE type = 'checkout.session.completed' AND strpos(payload, ${donationId}) > 0`,
      )
    )[0];

  /** A paid one-off gift's completed checkout, naming `paymentIntent`, which Stripe does not have. */
  async function giftNaming(paymentIntent: string): Promise<string> {
    const { donationId } = await h.donate('buck-a-brick', { amountMinor: '1100', donorEmail: `no-retry-${++n}@example.org` });
    const id = `evt_no_retry_gift_${n}`;
    const session = { id: `cs_no_retry_${n}`, object: 'checkout.session', mode: 'payment', payment_status: 'paid', status: 'complete', payment_intent: paymentIntent, metadata: { donation_id: donationId } };
    await h.deliver({ id, object: 'event', type: 'checkout.session.completed', api_version: Stripe.API_VERSION, created: now(), data: { object: session } });
    return id;
  }

  it.each([
    ['a payment Stripe does not have (resource_missing)', 'pi_does_not_exist', /^No such payment_intent: 'pi_does_not_exist' \(StripeInvalidRequestError, HTTP 404, resource_missing\)$/],
    // Stripe's SDK gives the answer to a 5,000-character id (414, not Stripe's JSON) an empty message.
    ['an id of 5,000 characters, which Stripe answers with a 414 and no message', `pi_${'x'.repeat(5_000)}`, /^StripeOAuthError, HTTP 414, .*with no message$/],
  ])('parks a gift naming %s at its first attempt, saying why', async (_case, paymentIntent, reason) => {
    const id = await giftNaming(paymentIntent);
    await drainOnce(silentDeps(), { backoffBaseMs: 0 });
    expect(await stored(id)).toEqual({ status: 'parked', last_error: expect.stringMatching(reason), attempts: 1 });
  });

  describe('a renewal failure whose invoice has fields of the wrong type', () => {
    let invoice: Record<string, unknown>;
    beforeAll(async () => {
      const monthly = await h.monthlyGiftOnClock('no-retry-monthly@example.org', now());
      const [row] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, monthly.donationId));
      invoice = { ...((await h.emulatorEvent('invoice.paid', row!.invoiceId!)).data.object as unknown as Record<string, unknown>), billing_reason: 'subscription_cycle' };
    });

    it.each<[string, Record<string, unknown>, RegExp]>([
      ['a currency that is a number (a TypeError)', { currency: 0 }, /toUpperCase is not a function/],
      ['a currency the ledger does not know', { currency: 'xxx' }, /^unknown or unsupported currency "XXX"$/],
      ['an amount that is a string', { amount_due: '100' }, /^Stripe amounts are integers, got 100$/],
      ['a time that is no date (a RangeError)', { next_payment_attempt: 1e13 }, /Invalid time value/],
    ])('parks one with %s at its first attempt, saying why', async (_case, fields, reason) => {
      const id = `evt_no_retry_invoice_${++n}`;
      await h.deliver({ id, object: 'event', type: 'invoice.payment_failed', api_version: Stripe.API_VERSION, created: now(), data: { object: { ...invoice, ...fields } } });
      await drainOnce(silentDeps(), { backoffBaseMs: 0 });
      expect(await stored(id)).toEqual({ status: 'parked', last_error: expect.stringMatching(reason), attempts: 1 });
    });
  });

  // Stripe not answering, rate limits, its own errors and a key it refuses are no fault of the
  // event: the gift waits and posts once Stripe answers again. (Fetched alone: the listing is empty.)
  it.each<[string, Error]>([
    ['a connection error', new Stripe.errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.' })],
    ['a 500', new Stripe.errors.StripeAPIError({ message: 'Something went wrong on Stripe', statusCode: 500 })],
    ['a 429 rate limit', new Stripe.errors.StripeRateLimitError({ message: 'Too many requests', statusCode: 429, code: 'rate_limit' })],
    ['a 409 lock timeout', new Stripe.errors.StripeAPIError({ message: 'This object cannot be accessed right now', statusCode: 409, code: 'lock_timeout' })],
    ['a 401 (the key, not the event)', new Stripe.errors.StripeAuthenticationError({ message: 'Invalid API Key provided', statusCode: 401 })],
  ])('retries a gift when fetching its payment fails with %s', async (_case, error) => {
    const [id] = await paidGifts(1);
    const { stripe, list, retrieve } = spiedStripe();
    list.mockResolvedValueOnce({ object: 'list', data: [], has_more: false, url: '/v1/charges' } as never);
    retrieve.mockRejectedValueOnce(error);
    expect(await drainOnce(silentDeps(stripe), { backoffBaseMs: 0 })).toMatchObject({ failed: 1 });
    const event = await giftEventOf(id!);
    expect(event).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining(error.message) });
    await drainOnce(silentDeps(stripe));
    await expectPosted([id!]);
  });

  // Stripe refusing the batch's charge listing is no fault of any one gift in it, whatever it answered.
  it('retries the gifts when Stripe refuses the charge listing', async () => {
    const ids = await paidGifts(2);
    const { stripe, list } = spiedStripe();
    const parkedBefore = await countEvents(sql`status = 'parked'`);
    list.mockRejectedValueOnce(new Stripe.errors.StripeInvalidRequestError({ message: 'Invalid integer: created', statusCode: 400, code: 'parameter_invalid_integer' }));
    expect(await drainOnce(silentDeps(stripe), { backoffBaseMs: 0 })).toMatchObject({ failed: 2 });
    expect(await countEvents(sql`status = 'parked'`)).toBe(parkedBefore);
    for (const id of ids) expect(await giftEventOf(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('Invalid integer: created') });
    await drainOnce(silentDeps(stripe));
    await expectPosted(ids);
  });

  // At commit, a data exception (22xxx: a value out of range, text that is no number) comes from the
  // event's own values, and fails it again every time; a serialization failure or deadlock (40xxx)
  // or a constraint (23xxx) may be a race with another batch, and retries.
  it.each([
    ['22003', 'parked'],
    ['22P02', 'parked'],
    ['40001', 'pending'],
    ['40P01', 'pending'],
    ['23505', 'pending'],
  ])('a gift the database refuses at commit with %s ends %s', async (errcode, status) => {
    const [id] = await paidGifts(1);
    await refusedAtCommit(`NEW.id = '${id!}'`, errcode, async () => {
      expect(await drainOnce(silentDeps(), { backoffBaseMs: 60_000 })).toMatchObject({ failed: 1 });
    });
    const event = await giftEventOf(id!);
    expect(event).toMatchObject({ status, attempts: 1, last_error: expect.stringContaining(`donation ${id!} refused at commit`) });
    // Once the database takes it, a retried (or, when parked, put back) event posts.
    await h.testDb.database.db.execute(sql`UPDATE stripe_events SET status = 'pending', next_attempt_at = now() WHERE id = ${event!.id}`);
    await drainOnce(silentDeps());
    await expectPosted([id!]);
  });
});
