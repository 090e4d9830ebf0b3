import type Stripe from 'stripe';
import type { Db, Tx } from '../../../db/client';
import type { PostingInput } from '../../ledger/service';
import type { Appeal } from '../../../db/schema/index';
import type { ProgressBatch } from '../progress';

export interface HandlerDeps {
  db: Db;
  stripe: Stripe;
  /** The appeal by id, read once per drained batch. */
  appealOf(appealId: string): Promise<Appeal>;
}

/** What one committed batch shares: the progress deltas, written once per appeal at the end. */
export interface CommitContext {
  progress: ProgressBatch;
}

/**
 * What one Stripe event does: ledger postings, and the rows that move with them (donation,
 * progress, receipt), applied in the same database transaction. `created` says, per posting,
 * whether it was new; a replayed posting must not move anything a second time.
 */
export interface Plan {
  postings: PostingInput[];
  apply?: (tx: Tx, created: boolean[], batch: CommitContext) => Promise<void>;
}

export type Handler = (event: Stripe.Event, deps: HandlerDeps) => Promise<Plan | { ignore: string }>;

/** The event depends on another one that has not been posted yet (a refund before its charge). */
export class RetryLater extends Error {}

export const isPlan = (r: Plan | { ignore: string }): r is Plan => 'postings' in r;
