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
