import type Stripe from 'stripe';
import type { Db, Tx } from '../../../db/client';
import type { PostingInput } from '../../ledger/service';
import type { Donation } from '../../../db/schema/index';
import type { AppealWithTitles } from '../donations-store';
import type { GiftBatch } from '../gift-batch';
import type { ProgressBatch } from '../progress';
import type { ChargeAmounts } from './amounts';
import type { Platform } from '../../auth/permissions';

export interface HandlerDeps {
  db: Db;
  stripe: Stripe;
  /** The appeal by id, read once per drained batch. */
  appealOf(appealId: string): Promise<AppealWithTitles>;
  /** A donation by id (undefined when it is not ours), read for the whole batch at once. */
  donation(id: string | null | undefined): Promise<Donation | undefined>;
  /** What a payment brought in (gross, fee, net), from the batch's charge listing or fetched alone. */
  paid(paymentIntentId: string): Promise<ChargeAmounts>;
  /** Where people reach the app, for links in mails (none when the poster was not told). */
  publicUrl?: string;
  /** The platform organization, whose treasurers are told of every gift's disputes and failed refunds. */
  platform: Platform;
}

/** What one committed batch shares: rows written once per batch at the end (or before an `apply`). */
export interface CommitContext {
  progress: ProgressBatch;
  gifts: GiftBatch;
}

/**
 * What one Stripe event does: ledger postings, and the rows that move with them (donation,
 * progress, receipt), in the same database transaction. `created` says, per posting, whether it
 * was new; a replayed posting must not move anything a second time. `collect` only adds to the
 * batch's set-based writes (one statement per batch, not per event); `apply` writes itself, and
 * everything collected before it is written first, so it sees the rows in event order.
 */
export interface Plan {
  postings: PostingInput[];
  /**
   * The donation row this event writes, if any. The batch locks all of them in id order before
   * writing any, so two posters' batches never wait on each other's donations in a cycle.
   */
  donationId?: string;
  /** Other donation rows its commit writes (a paid renewal clears its monthly gift's failure): locked with the rest. */
  alsoLocks?: string[];
  collect?: (created: boolean[], batch: CommitContext) => void;
  apply?: (tx: Tx, created: boolean[], batch: CommitContext) => Promise<void>;
}

export type Handler = (event: Stripe.Event, deps: HandlerDeps) => Promise<Plan | { ignore: string }>;

/** A dispute event's own work, given the gift it disputes (found by withDisputeRecord). */
export type DisputeHandler = (event: Stripe.Event, deps: HandlerDeps, donation: Donation) => ReturnType<Handler>;

/** The event depends on another one that has not been posted yet (a refund before its charge). */
export class RetryLater extends Error {}

/** No retry can post this event: it is parked at once, with this reason, for a treasurer to see. */
export class NeedsTreasurer extends Error {}

/**
 * Parks the event, saying so, unless its object has the id its handler's queries and Stripe calls
 * name (Stripe always sends one): an undefined id reaches a query as nothing at all, and fails it
 * with an error no treasurer could act on (42601, a syntax error).
 */
export function requireObjectId(event: Stripe.Event, noun: string): void {
  const id: unknown = (event.data.object as { id?: unknown }).id;
  if (typeof id !== 'string' || id === '') throw new NeedsTreasurer(`${event.type} event has no ${noun} id`);
}

export const isPlan = (r: Plan | { ignore: string }): r is Plan => 'postings' in r;
