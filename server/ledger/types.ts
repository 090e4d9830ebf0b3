export type AccountType = 'asset' | 'liability' | 'income' | 'expense' | 'equity';

export interface AccountSpec {
  code: string;
  currency: string;
  type: AccountType;
  organizationId?: string | null;
  allowNegative?: boolean;
  name?: string;
}

/** One side of a posting: debits positive, credits negative, in the account's minor units. */
export interface EntryInput {
  accountId: bigint;
  amountMinor: bigint;
}

export interface PostingInput {
  /** Unique in the ledger, e.g. `stripe:evt_123:charge`: a replay is a no-op. */
  idempotencyKey: string;
  kind: string;
  entries: EntryInput[];
  description?: string;
  occurredAt?: Date;
  metadata?: Record<string, unknown>;
  reversesId?: bigint;
}

export interface PostingResult {
  idempotencyKey: string;
  transactionId: bigint;
  /** False when the key was already posted with the same content (a replay). */
  created: boolean;
}
