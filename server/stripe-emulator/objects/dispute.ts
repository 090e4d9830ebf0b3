import type Stripe from 'stripe';
import { newId } from '../ids';

export function buildDispute(charge: Stripe.Charge, created: number): Stripe.Dispute {
  return {
    id: newId('dp'),
    object: 'dispute',
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: {
      due_by: created + 7 * 86_400,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: typeof charge.payment_intent === 'string' ? charge.payment_intent : null,
    reason: 'fraudulent',
    status: 'needs_response',
  };
}

function emptyEvidence(): Stripe.Dispute.Evidence {
  const keys = [
    'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure',
    'cancellation_rebuttal', 'customer_communication', 'customer_email_address', 'customer_name',
    'customer_purchase_ip', 'customer_signature', 'duplicate_charge_documentation', 'duplicate_charge_explanation',
    'duplicate_charge_id', 'product_description', 'receipt', 'refund_policy', 'refund_policy_disclosure',
    'refund_refusal_explanation', 'service_date', 'service_documentation', 'shipping_address', 'shipping_carrier',
    'shipping_date', 'shipping_documentation', 'shipping_tracking_number', 'uncategorized_file', 'uncategorized_text',
  ] as const;
  const evidence = Object.fromEntries(keys.map((k) => [k, null]));
  return { ...evidence, enhanced_evidence: {} } as unknown as Stripe.Dispute.Evidence;
}
