import type Stripe from 'stripe';
import type { Db, Tx } from '../../../db/client';
import type { PostingInput } from '../../ledger/service';

export interface HandlerDeps {
  db: Db;
  stripe: Stripe;
}

/**
 * What one Stripe event does: ledger postings, and the rows that move with them (donation,
 * progress, receipt), applied in the same database transaction. `created` says, per posting,
 * whether it was new; a replayed posting must not move anything a second time.
 */
export interface Plan {
  postings: PostingInput[];
  apply?: (tx: Tx, created: boolean[]) => Promise<void>;
}

export type Handler = (event: Stripe.Event, deps: HandlerDeps) => Promise<Plan | { ignore: string }>;

/** The event depends on another one that has not been posted yet (a refund before its charge). */
export class RetryLater extends Error {}

export const isPlan = (r: Plan | { ignore: string }): r is Plan => 'postings' in r;
