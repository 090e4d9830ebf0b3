import type Stripe from 'stripe';
import { newId } from '../ids';

export function buildPayout(a: {
  amount: number;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
  created: number;
}): Stripe.Payout {
  return {
    id: newId('po'),
    object: 'payout',
    amount: a.amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: a.created + 2 * 86_400,
    automatic: false,
    balance_transaction: null,
    created: a.created,
    currency: a.currency,
    description: a.description,
    destination: 'ba_emulator_bank_account',
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: a.metadata,
    method: 'standard',
    original_payout: null,
    payout_method: null,
    reconciliation_status: 'not_applicable',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: null,
    status: 'pending',
    trace_id: null,
    type: 'bank_account',
  };
}
