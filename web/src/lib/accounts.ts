import { aroundSlot } from './message-slot';
import { m } from './paraglide/messages';

export function accountType(type: string): string {
  switch (type) {
    case 'asset':
      return m.account_type_asset();
    case 'liability':
      return m.account_type_liability();
    case 'income':
      return m.account_type_income();
    case 'expense':
      return m.account_type_expense();
    case 'equity':
      return m.account_type_equity();
    default:
      return type;
  }
}

/**
 * A system account's name in the reader's language, from its code; the name stored with the
 * account (English) for a code this page does not know. An appeal's account is named by its
 * appeal where the page knows it.
 */
export function accountName(code: string, stored: string): string {
  if (code.startsWith('appeal:')) return m.account_name_appeal();
  return systemAccountNames[code]?.() ?? stored;
}

// Message functions, not strings: each call reads the language of the request rendering it.
const systemAccountNames: Record<string, () => string> = {
  'stripe:pending': m.account_name_stripe_pending,
  'stripe:available': m.account_name_stripe_available,
  'disputes:open': m.account_name_disputes_open,
  'bank:payouts': m.account_name_bank_payouts,
  'fees:stripe': m.account_name_fees_stripe,
  'disputes:lost': m.account_name_disputes_lost,
  'fx:conversion': m.account_name_fx_conversion,
};

/** A ledger posting's kind in the reader's language; a kind this page does not know shows as stored. */
export function postingKind(kind: string): string {
  if (kind.startsWith('reversal:')) return m.posting_kind_reversal({ kind: postingKind(kind.slice('reversal:'.length)) });
  return postingKinds[kind]?.() ?? kind;
}

const postingKinds: Record<string, () => string> = {
  gift: m.posting_kind_gift,
  refund: m.posting_kind_refund,
  refund_failed: m.posting_kind_refund_failed,
  dispute_opened: m.posting_kind_dispute_opened,
  dispute_won: m.posting_kind_dispute_won,
  dispute_lost: m.posting_kind_dispute_lost,
  dispute_lost_reversed: m.posting_kind_dispute_lost_reversed,
  refund_returned_after_loss: m.posting_kind_refund_returned_after_loss,
  refund_returned_after_loss_reversed: m.posting_kind_refund_returned_after_loss_reversed,
  payout_paid: m.posting_kind_payout_paid,
  payout_failed: m.posting_kind_payout_failed,
  funds_available: m.posting_kind_funds_available,
};

/**
 * A statement line in the reader's language, written from its kind and the gift's appeal: the
 * ledger stores its descriptions in English. Lines of other kinds, or of a gift whose appeal is
 * unknown, keep the stored text.
 */
export function lineDescription(line: { kind: string; description: string; appeal: { title: string } | null }): string {
  const described = linesOfAGift[line.kind];
  if (described && line.appeal) return described({ appeal: line.appeal.title });
  return otherLine(line);
}

/**
 * A gift's line as the words before and after its appeal's title, for a page that marks the title
 * with its own language; null for a line that names no appeal (lineDescription says it whole).
 */
export function giftLineAroundTitle(line: { kind: string; appeal: { title: string } | null }): [before: string, after: string] | null {
  const described = linesOfAGift[line.kind];
  return described && line.appeal ? aroundSlot((appeal) => described({ appeal })) : null;
}

function otherLine(line: { kind: string; description: string }): string {
  // Payouts and funds made available name no appeal: the kind says it all (its Stripe id is on the line).
  if (line.kind === 'payout_paid' || line.kind === 'payout_failed' || line.kind === 'funds_available') return postingKind(line.kind);
  return line.description || postingKind(line.kind);
}

const linesOfAGift: Record<string, (i: { appeal: string }) => string> = {
  gift: m.posting_line_gift,
  refund: m.posting_line_refund,
  refund_failed: m.posting_line_refund_failed,
  dispute_opened: m.posting_line_dispute_opened,
  dispute_won: m.posting_line_dispute_won,
  dispute_lost: m.posting_line_dispute_lost,
  dispute_lost_reversed: m.posting_line_dispute_lost_reversed,
  refund_returned_after_loss: m.posting_line_refund_returned_after_loss,
  refund_returned_after_loss_reversed: m.posting_line_refund_returned_after_loss_reversed,
};
