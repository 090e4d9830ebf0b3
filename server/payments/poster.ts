import { and, eq, sql, type SQL } from 'drizzle-orm';
import Stripe from 'stripe';
import type { FastifyBaseLogger } from 'fastify';
import { queryRows, type Db, type Tx } from '../../db/client';
import { inIdList } from '../../db/id-list';
import { donations, stripeEvents } from '../../db/schema/index';
import { stagePostings, type PostingInput } from '../ledger/service';
import { batchNeeds, handlers } from './handlers/index';
import { chargeAmounts, listPaidCharges, type ChargeAmounts } from './handlers/amounts';
import { isPlan, NeedsTreasurer, RetryLater, type HandlerDeps, type Plan } from './handlers/types';
import { accountPageUrl, appealOf, donationById, donationsByIds } from './donations-store';
import { doublingBackoffMs } from '../backoff';
import { GiftBatch } from './gift-batch';
import { ProgressBatch } from './progress';
import { startPollLoop, type PollLoop } from '../poll-loop';
import { safeError, safeErrorMessage, safeErrorReason } from '../safe-error';
import { mayBeOneEventsFailure, noRetryCanHelp } from './no-retry';
import { inOurApiVersion, readableApiVersion } from './api-version';
import type { Platform } from '../auth/permissions';

export interface PosterDeps {
  db: Db;
  stripe: Stripe;
  log: FastifyBaseLogger;
  /** Where people reach the app, for links in the mails the poster writes. */
  publicUrl?: string;
  /** The platform organization, whose treasurers the mails it writes tell too (disputes, failed refunds). */
  platform: Platform;
}

export const posterDefaults = {
  /** Events per batch: each batch is one charge listing (100 a page) and one database transaction. */
  batchSize: 1000,
  /** A claimed event is someone else's to retry once this lease runs out (crash safety). */
  leaseSeconds: 60,
  /**
   * Attempts before a failure that may pass (Stripe or the database not answering) is parked: with
   * the back-off below (0.5 s doubling to 10 minutes), 17 attempts are 67 minutes of retries, so
   * that a short outage parks nothing a treasurer must put back by hand. Eight attempts parked
   * every event of an outage of two minutes.
   */
  attemptsMax: 17,
  backoffBaseMs: 500,
  backoffMaxMs: 10 * 60_000,
  /** How long an event may wait for the one it depends on before it is parked. */
  waitForDependencyMs: 3 * 86_400_000,
  /**
   * Events planned at once per loop: each may call Stripe, whose live rate limit is 25 requests/s
   * per endpoint (with two loops, up to twice this many calls, and two charge listings, at once).
   */
  planConcurrency: 8,
  /**
   * Batches posted side by side, each its own pipelined loop: while one plans (this process's
   * CPU), the other's statements run (the database's), where one loop leaves each idle in turn.
   */
  loops: 2,
};

/** Like Promise.all over `items`, with at most `limit` calls under way. */
async function mapWithConcurrency<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface Claimed {
  id: string;
  type: string;
  /** The stored body, parsed; an Error when it does not parse (the webhook stores only JSON). */
  payload: Stripe.Event | Error;
  attempts: number;
  /** When this claim's lease runs out, as Postgres wrote it: no other claim has the same. */
  leaseUntil: string;
}

/** A failed event; `atCommit` when its plan was made and the writing of it failed. */
type Failure = { id: string; error: unknown; claim: Claimed; atCommit?: boolean };
type Outcome = { id: string; plan: Plan } | { id: string; ignore: string } | Failure;
/** An outcome the commit writes: a plan, or an event marked ignored. */
type Committable = Exclude<Outcome, { error: unknown }>;

export interface DrainResult {
  claimed: number;
  processed: number;
  failed: number;
}

const nothingDrained: DrainResult = { claimed: 0, processed: 0, failed: 0 };
const addDrained = (a: DrainResult, b: DrainResult): DrainResult => ({ claimed: a.claimed + b.claimed, processed: a.processed + b.processed, failed: a.failed + b.failed });

/**
 * A claimed batch with its gifts' amounts already listed from Stripe (or the listing's error).
 * Stripe's amounts of a paid charge never change; the batch's donations, which the batch before
 * may still be writing, are read only when it is this batch's turn to plan.
 */
interface ClaimedBatch {
  events: Claimed[];
  needs: ReturnType<typeof batchNeeds>;
  listed: Map<string, ChargeAmounts> | Error;
}

/**
 * Drains one batch of the webhook inbox into the ledger: claim (SKIP LOCKED, so posters run side by
 * side), plan each event (reads Stripe where needed), then write every plan's postings in one
 * ledger batch together with the donation and progress rows, in one database transaction.
 */
export async function drainOnce(deps: PosterDeps, opts: Partial<typeof posterDefaults> = {}): Promise<DrainResult> {
  const o = { ...posterDefaults, ...opts };
  const batch = await claimBatch(deps, o);
  return batch ? postBatch(deps, batch, o) : nothingDrained;
}

/**
 * Drains until nothing is claimable (or `stopping` says so), one batch after another, with the
 * next batch's claim and Stripe's charge listing (mostly waiting) under way while the current batch
 * plans and commits (mostly the database's work). Reading its donations and planning wait for the
 * previous commit, so a plan sees what this loop's batches before it wrote. Another loop's or
 * poster's batch may still be committing: handlers do not count on it (an event whose gift or
 * refund is not posted yet waits and retries; a status that depends on the donation is set from
 * its row as locked at commit).
 */
export async function drainPipelined(deps: PosterDeps, opts: Partial<typeof posterDefaults> = {}, stopping: (claimedSoFar: number) => boolean = () => false): Promise<DrainResult> {
  const o = { ...posterDefaults, ...opts };
  let total = nothingDrained;
  let claimedSoFar = 0;
  let next = claimBatch(deps, o);
  for (;;) {
    const batch = await next;
    if (!batch) return total;
    claimedSoFar += batch.events.length;
    // Claimed events are this poster's until their lease runs out: always post them, stopping or not.
    next = stopping(claimedSoFar) ? Promise.resolve(null) : claimBatch(deps, o);
    // A failed claim surfaces when awaited, after this batch is posted.
    next.catch(() => {});
    try {
      total = addDrained(total, await postBatch(deps, batch, o));
    } catch (err) {
      // The next batch is this loop's and will not be posted now: it goes back to the inbox at
      // once, not when its lease runs out (if the database lets it; else the lease still does).
      await next.then((claimed) => claimed && release(deps.db, claimed.events)).catch(() => {});
      throw err;
    }
  }
}

/**
 * The poster as the app runs it: `loops` pipelined loops side by side until nothing is claimable
 * (or `stopping`, given the events all loops claimed so far, says so). SKIP LOCKED gives each loop
 * batches of its own; their hot rows are locked in one order, so they queue and never deadlock.
 * When one loop fails, the others claim no more; the failure is thrown once all have finished, so
 * no loop is left running behind the caller's back (a shutdown closes the pool after this).
 */
export async function drainConcurrently(deps: PosterDeps, opts: Partial<typeof posterDefaults> = {}, stopping: (claimedSoFar: number) => boolean = () => false): Promise<DrainResult> {
  const loops = opts.loops ?? posterDefaults.loops;
  if (!Number.isInteger(loops) || loops < 1) throw new Error(`poster loops must be a whole number from 1, not ${loops}`);
  const claimed = new Array<number>(loops).fill(0);
  let failed = false;
  const settled = await Promise.allSettled(
    claimed.map((_, i) =>
      drainPipelined(deps, opts, (mine) => {
        claimed[i] = mine;
        return failed || stopping(claimed.reduce((a, b) => a + b, 0));
      }).catch((err: unknown) => {
        failed = true;
        throw err;
      }),
    ),
  );
  const drained = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  return drained.reduce(addDrained, nothingDrained);
}

async function claimBatch(deps: PosterDeps, o: typeof posterDefaults): Promise<ClaimedBatch | null> {
  const events = await claim(deps.db, o.batchSize, o.leaseSeconds);
  if (events.length === 0) return null;
  const needs = batchNeeds(events.flatMap((c) => (c.payload instanceof Error ? [] : [c.payload])));
  // Stripe failing the listing fails those gifts for now (they retry with back-off), rather than
  // a thousand one-by-one fetches against a Stripe that is not answering.
  const listed = await listPaidCharges(deps.stripe, needs.payments).catch((err: unknown) => {
    deps.log.warn({ err: safeErrorMessage(err) }, 'charge listing failed; its gifts will retry');
    return new ChargeListingFailed(err);
  });
  return { events, needs, listed };
}

async function postBatch(deps: PosterDeps, batch: ClaimedBatch, o: typeof posterDefaults): Promise<DrainResult> {
  const claimed = batch.events;
  const handlerDeps = await batchDeps(deps, batch);
  const outcomes = await mapWithConcurrency(claimed, o.planConcurrency, (e) => planEvent(handlerDeps, e));
  const ready = outcomes.filter((x): x is Committable => !('error' in x));
  const failures = outcomes.filter((x): x is Failure => 'error' in x);
  try {
    await commit(deps, ready);
  } catch (err) {
    // One bad plan must not hold back the rest (unless the database fails them all alike).
    deps.log.warn({ err: safeError(err), events: ready.length }, 'poster batch failed; committing it by halves to find the events that fail');
    const claims = new Map(claimed.map((c) => [c.id, c]));
    for (const f of await commitByHalves(deps, ready, err)) failures.push({ ...f, claim: claims.get(f.id)!, atCommit: true });
  }
  for (const f of failures) await recordFailure(deps, f, o);
  return { claimed: claimed.length, processed: claimed.length - failures.length, failed: failures.length };
}

/**
 * What can be committed of `ready`, which failed as a whole with `error`: each half alone, in
 * order, and a half that fails is halved again, down to the events that fail alone. The database
 * may refuse a batch only at commit (an overdraft, a value it cannot store), and one such event
 * among a thousand then costs about twenty commits, where one commit per event took a thousand
 * (a second each, every time that event was retried).
 */
async function commitByHalves(deps: PosterDeps, ready: Committable[], error: unknown): Promise<{ id: string; error: unknown }[]> {
  if (ready.length === 1 || !mayBeOneEventsFailure(error)) return ready.map((r) => ({ id: r.id, error }));
  const middle = Math.ceil(ready.length / 2);
  const failed: { id: string; error: unknown }[] = [];
  for (const half of [ready.slice(0, middle), ready.slice(middle)]) {
    try {
      await commit(deps, half);
    } catch (err) {
      failed.push(...(await commitByHalves(deps, half, err)));
    }
  }
  return failed;
}

/**
 * What the batch's handlers read, fetched for the whole batch up front: its donations in one
 * query, its gifts' amounts from Stripe's charge list (a dozen requests for a thousand gifts,
 * not one each). A handler asking for something not prefetched reads it alone, as before.
 */
async function batchDeps(deps: PosterDeps, { needs, listed }: ClaimedBatch): Promise<HandlerDeps> {
  const donations = await donationsByIds(deps.db, needs.donationIds);
  const asked = new Set(needs.donationIds);
  const listedIds = new Set(needs.payments.map((p) => p.paymentIntentId));
  return {
    db: deps.db,
    stripe: deps.stripe,
    publicUrl: deps.publicUrl,
    platform: deps.platform,
    appealOf: memoized((id: string) => appealOf(deps.db, id)),
    donation: async (id) => (id && asked.has(id) ? donations.get(id) : donationById(deps.db, id)),
    paid: async (paymentIntentId) => {
      if (listed instanceof Error && listedIds.has(paymentIntentId)) throw listed;
      return (listed instanceof Error ? undefined : listed.get(paymentIntentId)) ?? chargeAmounts(deps.stripe, paymentIntentId);
    },
  };
}

/**
 * The oldest claimable events, leased to this poster. The pending index is in this order, so a
 * claim reads a batch of it plus the events in back-off or leased ahead of them, however long the
 * backlog (after an outage, Stripe delivers days of events); the ids go to the UPDATE as an array,
 * which it looks up by primary key instead of scanning the whole inbox to join them (a
 * 200,000-event backlog: 147 ms a claim before, 33 after).
 */
async function claim(db: Db, batchSize: number, leaseSeconds: number): Promise<Claimed[]> {
  const rows = await queryRows<{ id: string; type: string; payload: string; attempts: number; lease_until: string }>(
    db,
    sql`UPDATE stripe_events SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
         WHERE id = ANY(ARRAY(SELECT id FROM stripe_events WHERE status = 'pending' AND next_attempt_at <= now()
                               ORDER BY stripe_created_at, id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED))
     RETURNING id, type, payload, attempts, next_attempt_at::text AS lease_until`,
  );
  return rows.map((r) => ({ id: r.id, type: r.type, payload: parseStored(r.payload), attempts: r.attempts, leaseUntil: r.lease_until }));
}

/**
 * An event still waiting to be posted, for statements that find events by id. Compared as text so
 * that the planner cannot take the pending index (partial on status = 'pending') for them: a
 * mostly-posted inbox's statistics say almost nothing is pending, so during a backlog (Stripe
 * delivering days of events after an outage) it would read every pending event and test it against
 * the batch's ids, for every batch. By primary key each id is one lookup however long the backlog.
 */
const stillPending = sql`${stripeEvents.status}::text = 'pending'`;

/**
 * Whether an event is still the claim's whose lease ends at `leaseUntil`: a claim that outlived its
 * lease finds the event someone else's (claimed again, parked, put back in the queue by a
 * treasurer) and must leave it so.
 */
const stillClaimed = (leaseUntil: SQL) => sql`${stillPending} AND ${stripeEvents.nextAttemptAt} = ${leaseUntil}`;

/** Claimed events handed back unposted: claimable again now, and the claim's attempt undone. */
async function release(db: Db, events: Claimed[]): Promise<void> {
  const claimed = JSON.stringify(events.map((e) => ({ id: e.id, lease: e.leaseUntil })));
  await db.execute(sql`UPDATE stripe_events SET attempts = attempts - 1, next_attempt_at = now()
                         FROM json_to_recordset(${claimed}::text::json) AS x(id text, lease timestamptz)
                        WHERE ${stripeEvents.id} = x.id AND ${stillClaimed(sql`x.lease`)}`);
}

function parseStored(body: string): Stripe.Event | Error {
  try {
    return JSON.parse(body) as Stripe.Event;
  } catch (err) {
    // The same text fails the same way on every attempt: it waits for a treasurer at once.
    return new NeedsTreasurer(`the stored body is not JSON: ${(err as Error).message}`);
  }
}

/** One read per key for the length of a batch (an appeal's title may change between batches). */
function memoized<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const seen = new Map<string, Promise<T>>();
  return (key) => {
    let hit = seen.get(key);
    if (!hit) seen.set(key, (hit = load(key)));
    return hit;
  };
}

async function planEvent(deps: HandlerDeps, event: Claimed): Promise<Outcome> {
  const handler = handlers[event.type];
  if (!handler) return { id: event.id, ignore: 'event type not used' };
  if (event.payload instanceof Error) return { id: event.id, error: event.payload, claim: event };
  try {
    // Read in another release's shapes, an event could be misread as not ours and ignored for good
    // (a monthly gift's invoice before 2025-03-31 has no `parent`): its object is read again.
    const payload = readableApiVersion(event.payload.api_version) ? event.payload : await readAgain(deps.stripe, event.payload);
    const result = await handler(payload, deps);
    return isPlan(result) ? { id: event.id, plan: result } : { id: event.id, ignore: result.ignore };
  } catch (error) {
    return { id: event.id, error, claim: event };
  }
}

/**
 * One database transaction for the batch. The hot rows go last: every gift's entries lock the same
 * few balance rows (stripe:pending, fees, the appeal) and the appeal's summary row, so they are
 * written after the donations, receipts and event rows, and held only for that and the commit.
 * A second poster's batch then waits on them for a fraction of this one's time.
 */
async function commit({ db, publicUrl }: PosterDeps, ready: Committable[]): Promise<void> {
  if (ready.length === 0) return;
  await db.transaction(async (tx) => {
    const plans = ready.flatMap((r) => ('plan' in r ? [r.plan] : []));
    const postings: PostingInput[] = plans.flatMap((p) => p.postings);
    const staged = await stagePostings(tx, postings);
    await lockDonations(tx, plans);
    const batch = { progress: new ProgressBatch(), gifts: new GiftBatch(accountPageUrl(publicUrl)) };
    let i = 0;
    for (const plan of plans) {
      const created = staged.results.slice(i, i + plan.postings.length).map((r) => r.created);
      i += plan.postings.length;
      plan.collect?.(created, batch);
      if (plan.apply) {
        // What was collected before goes first: this event's own writes see them in order.
        await batch.gifts.flush(tx);
        await plan.apply(tx, created, batch);
      }
    }
    await batch.gifts.flush(tx);
    const processed = ready.filter((r) => 'plan' in r).map((r) => r.id);
    const ignored = ready.filter((r) => 'ignore' in r).map((r) => r.id);
    if (processed.length) await tx.update(stripeEvents).set({ status: 'processed', processedAt: new Date(), lastError: null }).where(and(inIdList(stripeEvents.id, processed), stillPending));
    if (ignored.length) await tx.update(stripeEvents).set({ status: 'ignored', processedAt: new Date() }).where(and(inIdList(stripeEvents.id, ignored), stillPending));
    await staged.writeEntries();
    await batch.progress.flush(tx);
  });
}

/**
 * Every donation row the batch will write, locked in id order before any is written (the lock an
 * UPDATE takes anyway). Writes in event order would lock them in any order, and two posters'
 * batches sharing two donations (a subscription's checkout and its first invoice, refunds of the
 * same gifts) could then wait on each other until Postgres broke the deadlock.
 */
async function lockDonations(tx: Tx, plans: Plan[]): Promise<void> {
  const ids = [...new Set(plans.flatMap((p) => [...(p.donationId ? [p.donationId] : []), ...(p.alsoLocks ?? [])]))];
  if (ids.length === 0) return;
  await tx.execute(sql`SELECT 1 FROM ${donations} WHERE ${inIdList(donations.id, ids)} ORDER BY ${donations.id} FOR NO KEY UPDATE`);
}


/**
 * Stripe's charge listing failed for the whole batch: each of its gifts fails with this and
 * retries, whatever Stripe answered, since the request was the batch's and not the gift's own.
 */
class ChargeListingFailed extends Error {
  constructor(cause: unknown) {
    super(`Stripe's charge listing failed: ${safeErrorReason(cause)}`, { cause });
  }
}

/** Whether a failure is of the event's own content, so that every retry would fail it alike (see no-retry.ts). */
const noRetryCanPost = (error: unknown, atCommit: boolean): boolean => !(error instanceof ChargeListingFailed) && noRetryCanHelp(error, { atCommit });

/**
 * Back-off doubling from the base. A failure is parked for a treasurer to see after the attempt
 * limit, or at once when no retry can help (its own content is at fault: a NeedsTreasurer, a
 * payload of the wrong types, a currency the ledger does not know, an object Stripe does not have);
 * an event that waits for another one (a refund before its gift) waits up to three days, as Stripe
 * itself keeps retrying for that long. Recorded only while the event is still this claim's, with a
 * reason that is never empty.
 */
async function recordFailure(deps: PosterDeps, f: Failure, o: typeof posterDefaults) {
  const { attempts, leaseUntil } = f.claim;
  const waiting = f.error instanceof RetryLater;
  const [row] = await deps.db.select({ receivedAt: stripeEvents.receivedAt }).from(stripeEvents).where(eq(stripeEvents.id, f.id));
  const ageMs = Date.now() - (row?.receivedAt.getTime() ?? Date.now());
  const parked = waiting ? ageMs > o.waitForDependencyMs : noRetryCanPost(f.error, f.atCommit === true) || attempts >= o.attemptsMax;
  const delayMs = backoffMs(attempts, o);
  const message = safeErrorReason(f.error);
  if (!waiting || parked) deps.log.warn({ eventId: f.id, attempts, err: message }, parked ? 'stripe event parked' : 'stripe event failed; will retry');
  await deps.db
    .update(stripeEvents)
    .set({ status: parked ? 'parked' : 'pending', lastError: message.slice(0, 2_000), nextAttemptAt: new Date(Date.now() + delayMs) })
    .where(and(eq(stripeEvents.id, f.id), stillClaimed(sql`${leaseUntil}::timestamptz`)));
}

/** How long an event waits after its `attempts`th failed attempt: doubling from the base, up to the most. */
export function backoffMs(attempts: number, o: Pick<typeof posterDefaults, 'backoffBaseMs' | 'backoffMaxMs'> = posterDefaults): number {
  return doublingBackoffMs(attempts, o.backoffBaseMs, o.backoffMaxMs);
}

/** The in-process poster: drains while there is work, then sleeps until woken or the poll. */
export function startPoster(deps: PosterDeps, opts: { pollMs?: number } & Partial<typeof posterDefaults> = {}): PollLoop {
  return startPollLoop({
    name: 'poster drain',
    pollMs: opts.pollMs ?? 1_000,
    log: deps.log,
    // Drains everything there is, then sleeps; the loops stop claiming once the poll loop stops.
    work: async ({ stopping }) => {
      await drainConcurrently(deps, opts, stopping);
      return { more: false };
    },
  });
}

/**
 * An event of another API release in ours. Stripe not answering (connection, rate limit, its own
 * errors) or refusing the key is retried like any failure; anything else (an object Stripe does not
 * have, a kind we cannot read) waits for a treasurer, saying why.
 */
async function readAgain(stripe: Stripe, event: Stripe.Event): Promise<Stripe.Event> {
  try {
    return await inOurApiVersion(stripe, event);
  } catch (err) {
    // Stripe not answering, or a key to fix (401, 403): retried, as every other event's read is.
    if (err instanceof Stripe.errors.StripeError && !noRetryCanHelp(err)) throw err;
    throw new NeedsTreasurer(
      `event in Stripe API version ${event.api_version}, which this app (${Stripe.API_VERSION}) does not read, and its object could not be read again from Stripe (${safeErrorReason(err)}); make the webhook endpoint with npm run stripe:endpoint`,
    );
  }
}
