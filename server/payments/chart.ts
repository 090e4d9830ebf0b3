import type { DbOrTx } from '../../db/client';
import { openAccounts, type AccountSpec } from '../ledger/service';

// The chart of accounts, per currency (ARCHITECTURE.md "Ledger"). Stripe's balances may go
// negative (Stripe debits the bank), so its asset accounts allow it; appeals and funds never do.
export const chart = {
  stripePending: (currency: string): AccountSpec => ({ code: 'stripe:pending', currency, type: 'asset', allowNegative: true, name: 'Stripe balance, pending' }),
  stripeAvailable: (currency: string): AccountSpec => ({ code: 'stripe:available', currency, type: 'asset', allowNegative: true, name: 'Stripe balance, available' }),
  disputesOpen: (currency: string): AccountSpec => ({ code: 'disputes:open', currency, type: 'asset', name: 'Disputed gifts held by Stripe' }),
  bankPayouts: (currency: string): AccountSpec => ({ code: 'bank:payouts', currency, type: 'asset', name: 'Payouts that reached the bank' }),
  feesStripe: (currency: string): AccountSpec => ({ code: 'fees:stripe', currency, type: 'expense', name: 'Stripe fees' }),
  disputesLost: (currency: string): AccountSpec => ({ code: 'disputes:lost', currency, type: 'expense', name: 'Dispute fees and lost disputes' }),
  // Clearing for gifts Stripe settles in another currency than the appeal's: one account per
  // currency, so each side of a conversion balances in its own currency. Equity, not an asset: it
  // is neither money we hold nor money we owe, only the difference between what donors gave and what
  // Stripe booked, and its net across currencies (at one rate) is the FX gain or loss. Its legs
  // have opposite signs by nature (the appeal's currency debit, the settlement currency credit), so
  // it must be allowed below zero.
  fxConversion: (currency: string): AccountSpec => ({ code: 'fx:conversion', currency, type: 'equity', allowNegative: true, name: 'Currency conversion (FX clearing)' }),
  appeal: (appealId: string, currency: string, organizationId: string): AccountSpec => ({
    code: `appeal:${appealId}`,
    currency,
    type: 'liability',
    organizationId,
    name: 'Money held for an appeal',
  }),
};

/** Ids of the accounts a posting names, opened on first use. */
export async function accountIds(db: DbOrTx, specs: AccountSpec[]): Promise<bigint[]> {
  const ids = await openAccounts(db, specs);
  return specs.map((s) => ids.get(`${s.code}|${s.currency}`)!);
}
