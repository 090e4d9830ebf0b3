import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { ledgerAccounts } from '../../db/schema/index';
import { LedgerError } from './errors';
import type { AccountSpec } from './types';

const accountKey = (code: string, currency: string) => `${code}|${currency}`;

// Account ids never change (a trigger guards them), so once seen they are remembered per database.
const knownIds = new WeakMap<object, Map<string, bigint>>();

/**
 * Opens the accounts that do not exist yet and returns every id by `code|currency`. Existing
 * accounts are only read (no insert, so no wait on another transaction's lock of a busy row).
 */
export async function openAccounts(db: DbOrTx, specs: AccountSpec[]): Promise<Map<string, bigint>> {
  if (specs.length === 0) return new Map();
  const known = knownIds.get(db) ?? new Map<string, bigint>();
  const result = new Map<string, bigint>();
  let missing = specs.filter((s) => {
    const id = known.get(accountKey(s.code, s.currency));
    if (id !== undefined) result.set(accountKey(s.code, s.currency), id);
    return id === undefined;
  });
  if (missing.length > 0) {
    for (const [k, v] of await selectIds(db, missing)) result.set(k, v);
    missing = missing.filter((s) => !result.has(accountKey(s.code, s.currency)));
  }
  if (missing.length > 0) {
    await db
      .insert(ledgerAccounts)
      .values(missing.map((s) => ({ code: s.code, currency: s.currency, type: s.type, organizationId: s.organizationId ?? null, allowNegative: s.allowNegative ?? false, name: s.name ?? '' })))
      .onConflictDoNothing({ target: [ledgerAccounts.code, ledgerAccounts.currency] });
    for (const [k, v] of await selectIds(db, missing)) result.set(k, v);
  }
  // Only a plain database handle's reads are committed facts; a transaction's may roll back.
  if (!('rollback' in db)) {
    for (const [k, v] of result) known.set(k, v);
    knownIds.set(db, known);
  }
  return result;
}

async function selectIds(db: DbOrTx, specs: AccountSpec[]): Promise<[string, bigint][]> {
  const rows = await db
    .select({ id: ledgerAccounts.id, code: ledgerAccounts.code, currency: ledgerAccounts.currency })
    .from(ledgerAccounts)
    .where(inArray(sql`(${ledgerAccounts.code} || '|' || ${ledgerAccounts.currency})`, specs.map((s) => accountKey(s.code, s.currency))));
  return rows.map((r) => [accountKey(r.code, r.currency), r.id]);
}

export async function openAccount(db: DbOrTx, spec: AccountSpec): Promise<bigint> {
  const ids = await openAccounts(db, [spec]);
  return ids.get(accountKey(spec.code, spec.currency))!;
}

export async function findAccount(db: DbOrTx, code: string, currency: string) {
  const [row] = await db
    .select()
    .from(ledgerAccounts)
    .where(and(eq(ledgerAccounts.code, code), eq(ledgerAccounts.currency, currency)));
  return row;
}

/** The cached balance: one indexed row, kept equal to the sum of entries by the database. */
export async function balance(db: DbOrTx, accountId: bigint): Promise<{ balanceMinor: bigint; currency: string; entryCount: bigint }> {
  const [row] = await db
    .select({ balanceMinor: ledgerAccounts.balanceMinor, currency: ledgerAccounts.currency, entryCount: ledgerAccounts.entryCount })
    .from(ledgerAccounts)
    .where(eq(ledgerAccounts.id, accountId));
  if (!row) throw new LedgerError('ledger.unknown_account', `No ledger account ${accountId}.`);
  return row;
}
