import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  check,
  index,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { organizations } from './orgs';

export const ledgerAccountType = pgEnum('ledger_account_type', ['asset', 'liability', 'income', 'expense', 'equity']);

// Amounts are signed minor units: debits positive, credits negative. A liability (an appeal, a
// fund) therefore carries a negative balance_minor while it holds money. The invariants (balanced
// transactions, immutability, no overdraft, cached balance = sum of entries) live in SQL in the
// migration `ledger_invariants`, so raw SQL cannot bypass them.
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    code: text('code').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    type: ledgerAccountType('type').notNull(),
    organizationId: uuid('organization_id').references(() => organizations.id),
    allowNegative: boolean('allow_negative').notNull().default(false),
    name: text('name').notNull().default(''),
    balanceMinor: bigint('balance_minor', { mode: 'bigint' }).notNull().default(sql`0`),
    entryCount: bigint('entry_count', { mode: 'bigint' }).notNull().default(sql`0`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('ledger_accounts_code_currency_key').on(t.code, t.currency),
    check('ledger_accounts_currency_format', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    kind: text('kind').notNull(),
    description: text('description').notNull().default(''),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    postedAt: timestamp('posted_at', { withTimezone: true }).notNull().defaultNow(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    contentHash: text('content_hash').notNull(),
    reversesId: bigint('reverses_id', { mode: 'bigint' }).references((): AnyPgColumn => ledgerTransactions.id),
  },
  (t) => [
    // A transaction is reversed at most once. Partial: almost every transaction reverses none.
    uniqueIndex('ledger_transactions_reverses_id_unique').on(t.reversesId).where(sql`${t.reversesId} IS NOT NULL`),
    check('ledger_transactions_key_length', sql`length(${t.idempotencyKey}) BETWEEN 1 AND 255`),
  ],
);

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    // No row-by-row foreign key: the statement trigger `ledger_entries_join_open_transactions`
    // checks every new entry's transaction in one set-based query (exists, and is still open),
    // and transactions can never be deleted. On a hot batch this halves the per-entry cost.
    transactionId: bigint('transaction_id', { mode: 'bigint' }).notNull(),
    // Nor for the account: the statement trigger `ledger_entries_apply`, which moves the balances,
    // refuses an entry whose account does not exist or has another currency, and accounts can
    // never be deleted or change currency (migration 0024).
    accountId: bigint('account_id', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
  },
  (t) => [
    check('ledger_entries_amount_non_zero', sql`${t.amountMinor} <> 0`),
    index('ledger_entries_transaction_idx').on(t.transactionId),
    index('ledger_entries_account_idx').on(t.accountId, t.id),
  ],
);

export type LedgerAccount = typeof ledgerAccounts.$inferSelect;
export type LedgerTransaction = typeof ledgerTransactions.$inferSelect;
export type LedgerEntry = typeof ledgerEntries.$inferSelect;
