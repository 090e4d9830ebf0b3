/** Stripe's final dispute statuses: nothing more can be done about such a dispute. */
export const closedDisputeStatuses = ['won', 'lost', 'warning_closed', 'prevented'];

/** Waiting for the organization's answer (evidence, or accepting it) before the due date. */
export const awaitingAnswer = ['needs_response', 'warning_needs_response', 'appeal_needs_response'];
