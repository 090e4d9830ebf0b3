/** Stripe's final dispute statuses: nothing more can be done about such a dispute. */
export const closedDisputeStatuses = ['won', 'lost', 'warning_closed', 'prevented'];

/** Waiting for the organization's answer (evidence, or accepting it) before the due date. */
export const awaitingAnswer = ['needs_response', 'warning_needs_response', 'appeal_needs_response'];

/**
 * The order a dispute's statuses follow at Stripe (an inquiry may be escalated into a chargeback,
 * a lost one appealed; every path ends closed), one step per entry.
 */
export const disputeStatusSteps: readonly string[][] = [
  ['warning_needs_response'],
  ['warning_under_review'],
  ['needs_response'],
  ['under_review'],
  ['appeal_needs_response'],
  ['appeal_under_review'],
  closedDisputeStatuses,
];
