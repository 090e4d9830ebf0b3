import { balanceAvailable, payoutPaid } from './balance';
import { disputeClosed, disputeCreated } from './dispute';
import { checkoutCompleted, invoicePaid } from './gift';
import { refundCreated, refundFailed } from './refund';
import type { Handler } from './types';

/** The events that move money or donations; every other type is stored and marked ignored. */
export const handlers: Record<string, Handler> = {
  'checkout.session.completed': checkoutCompleted,
  'invoice.paid': invoicePaid,
  'refund.created': refundCreated,
  'refund.failed': refundFailed,
  'refund.updated': refundFailed,
  'charge.dispute.created': disputeCreated,
  'charge.dispute.closed': disputeClosed,
  'balance.available': balanceAvailable,
  'payout.paid': payoutPaid,
};
