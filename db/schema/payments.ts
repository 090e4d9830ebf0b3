import { sql } from 'drizzle-orm';
import { bigint, boolean, char, check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { appeals } from './appeals';
import { users } from './auth';

export const stripeEventStatus = pgEnum('stripe_event_status', ['pending', 'processed', 'ignored', 'parked']);

// The webhook inbox: the event id is the key, so a repeat delivery is a no-op. The poster drains
// pending rows in batches (FOR UPDATE SKIP LOCKED) and parks an event that keeps failing.
export const stripeEvents = pgTable(
  'stripe_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    apiVersion: text('api_version'),
    stripeCreatedAt: timestamp('stripe_created_at', { withTimezone: true }).notNull(),
    // The body as Stripe sent it, checked as JSON by the webhook before it is stored.
    payload: text('payload').notNull(),
    status: stripeEventStatus('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp('processed_at', { withTimezone: true }),
  },
  // In the poster's claim order, so a claim reads one batch of it however long the backlog.
  (t) => [
    index('stripe_events_pending_idx').on(t.stripeCreatedAt, t.id).where(sql`${t.status} = 'pending'`),
    // The parked events, newest first (the treasury page, the metrics): a handful among every event
    // ever received. Free on the poster's path: its writes to the row's other states skip it.
    index('stripe_events_parked_idx').on(t.receivedAt).where(sql`${t.status} = 'parked'`),
  ],
);

export const donationStatus = pgEnum('donation_status', [
  'pending',
  'succeeded',
  'partially_refunded',
  'refunded',
  'disputed',
  'failed',
  'canceled',
]);
export const donationFrequency = pgEnum('donation_frequency', ['one_off', 'monthly']);
export const messageStatus = pgEnum('message_status', ['none', 'pending', 'approved', 'hidden']);

// One gift (one charge). A monthly gift's renewals are donations of their own, linked by
// subscription id. Personal data is only what a receipt and the donor wall need.
export const donations = pgTable(
  'donations',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    appealId: uuid('appeal_id').notNull().references(() => appeals.id),
    currency: char('currency', { length: 3 }).notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    coverFeesMinor: bigint('cover_fees_minor', { mode: 'bigint' }).notNull().default(sql`0`),
    feeMinor: bigint('fee_minor', { mode: 'bigint' }),
    refundedMinor: bigint('refunded_minor', { mode: 'bigint' }).notNull().default(sql`0`),
    frequency: donationFrequency('frequency').notNull().default('one_off'),
    status: donationStatus('status').notNull().default('pending'),
    donorName: text('donor_name'),
    donorEmail: text('donor_email'),
    anonymous: boolean('anonymous').notNull().default(false),
    message: text('message'),
    messageStatus: messageStatus('message_status').notNull().default('none'),
    /**
     * An organizer took the donor's name off the public wall. Names go up the moment a gift is paid,
     * read by no one first, so a name that is an insult or an advert must be able to come down.
     */
    nameHidden: boolean('name_hidden').notNull().default(false),
    locale: text('locale').notNull().default('en'),
    /**
     * The IANA zone the donor's browser said when they gave ("Asia/Tokyo"); null when it said none.
     * Their mails give dates on their own calendar: paid at 07:40 on the 6th in Osaka is not the 5th.
     */
    timeZone: text('time_zone'),
    /**
     * The locale the donor's page wrote numbers and dates in when they gave ("es-MX": the language,
     * in their browser's region), checked then and again when read; null when it was the language's
     * own. Their mails write amounts as that page did: 200,000.00 in Mexico is 200.000,00 in Spain.
     */
    formatLocale: text('format_locale'),
    /** The donor asked for the appeal's updates by email. */
    updatesOptIn: boolean('updates_opt_in').notNull().default(false),
    requestKey: text('request_key').notNull(),
    checkoutSessionId: text('checkout_session_id'),
    paymentIntentId: text('payment_intent_id'),
    chargeId: text('charge_id'),
    subscriptionId: text('subscription_id'),
    invoiceId: text('invoice_id'),
    parentDonationId: uuid('parent_donation_id'),
    /**
     * The gift's balance transaction while its money is still pending at Stripe, and the day Stripe
     * makes it available; both cleared once the ledger has moved it to stripe:available.
     */
    pendingBalanceTransactionId: text('pending_balance_transaction_id'),
    fundsAvailableOn: timestamp('funds_available_on', { withTimezone: true }),
    /** On a monthly gift's first donation: when the donor (or Stripe) ended the subscription. */
    subscriptionCanceledAt: timestamp('subscription_canceled_at', { withTimezone: true }),
    /**
     * On a monthly gift's first donation, while its last renewal is unpaid: when Stripe's last
     * attempt failed, for which invoice, and when Stripe tries next (null after its last try).
     * Cleared once a renewal is paid after that failure.
     */
    renewalFailedAt: timestamp('renewal_failed_at', { withTimezone: true }),
    renewalFailedInvoiceId: text('renewal_failed_invoice_id'),
    renewalNextAttemptAt: timestamp('renewal_next_attempt_at', { withTimezone: true }),
    /**
     * On a monthly gift's first donation: when Stripe charges it next, the end of the period the
     * newest paid invoice paid for. It only moves forward: an older invoice's event arriving late
     * must not move it back. Kept after the gift ends (the donor's page shows none then).
     */
    nextChargeAt: timestamp('next_charge_at', { withTimezone: true }),
    /**
     * On a monthly gift's first donation, while Stripe is set to end it on a day to come (a
     * treasurer's "cancel at period end" in Stripe's Dashboard): that day. Null when it goes on.
     */
    subscriptionEndsAt: timestamp('subscription_ends_at', { withTimezone: true }),
    /** When Stripe said so (the event's `created`): an older event arriving later changes nothing. */
    subscriptionEndsSaidAt: timestamp('subscription_ends_said_at', { withTimezone: true }),
    /**
     * On a monthly gift's first donation, once its amount changed (its donor here, or anyone at
     * Stripe): what each renewal charges from then on, split as the first gift's is (the gift, and
     * what covering the fees adds). Null while it renews as first given. The first donation's own
     * amounts stay what its first charge was: its refunds and receipt are of that charge.
     */
    renewalAmountMinor: bigint('renewal_amount_minor', { mode: 'bigint' }),
    renewalCoverFeesMinor: bigint('renewal_cover_fees_minor', { mode: 'bigint' }),
    /**
     * The `created` of the newest subscription update whose amount the poster wrote: one made
     * earlier, read from Stripe earlier by another poster and committed later, changes nothing.
     */
    renewalAmountSaidAt: timestamp('renewal_amount_said_at', { withTimezone: true }),
    /**
     * On a monthly gift's first donation, while Stripe's collection is paused (pause_collection:
     * its donor here, or a treasurer in Stripe's Dashboard): true, with `resumes_at` (null for a
     * pause with no end) and the first period end at or after it, when Stripe charges again.
     * Written from Stripe's answer and its events only, never from what was asked.
     */
    collectionPaused: boolean('collection_paused').notNull().default(false),
    pausedUntil: timestamp('paused_until', { withTimezone: true }),
    pausedNextChargeAt: timestamp('paused_next_charge_at', { withTimezone: true }),
    /** The `created` of the newest subscription update whose pause the poster wrote: an older one arriving later changes nothing. */
    pauseSaidAt: timestamp('pause_said_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    succeededAt: timestamp('succeeded_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('donations_request_key_idx').on(t.requestKey),
    uniqueIndex('donations_checkout_session_idx').on(t.checkoutSessionId),
    uniqueIndex('donations_charge_idx').on(t.chargeId),
    // Partial where the column is mostly null (one-off gifts have no invoice or subscription): the
    // poster's update of every paid gift then adds no entry to them.
    uniqueIndex('donations_invoice_idx').on(t.invoiceId).where(sql`${t.invoiceId} IS NOT NULL`),
    index('donations_appeal_idx').on(t.appealId, t.createdAt),
    index('donations_subscription_idx').on(t.subscriptionId).where(sql`${t.subscriptionId} IS NOT NULL`),
    // The closing's job reads the gifts of closed appeals still waiting on a checkout: only pending
    // ones, a few among every gift ever made, so the index is small and paid gifts add nothing to it.
    index('donations_open_checkout_idx').on(t.appealId, t.createdAt).where(sql`${t.status} = 'pending' AND ${t.checkoutSessionId} IS NOT NULL`),
    // The funds job reads the gifts whose money is due to be available, a day's worth at a time.
    index('donations_funds_due_idx').on(t.fundsAvailableOn).where(sql`${t.fundsAvailableOn} IS NOT NULL`),
    check('donations_amount_positive', sql`${t.amountMinor} > 0`),
    check('donations_renewal_amount', sql`(${t.renewalAmountMinor} IS NULL AND ${t.renewalCoverFeesMinor} IS NULL) OR (${t.renewalAmountMinor} > 0 AND ${t.renewalCoverFeesMinor} >= 0)`),
    check('donations_pause', sql`${t.collectionPaused} OR (${t.pausedUntil} IS NULL AND ${t.pausedNextChargeAt} IS NULL)`),
    check('donations_refund_within_amount', sql`${t.refundedMinor} >= 0 AND ${t.refundedMinor} <= ${t.amountMinor} + ${t.coverFeesMinor}`),
  ],
);

// Who has given to an appeal, for the donor count: one row per appeal and donor (a hash of the
// email, never the address itself), so counting stays one insert per gift on a viral appeal.
export const appealDonors = pgTable(
  'appeal_donors',
  {
    appealId: uuid('appeal_id').notNull().references(() => appeals.id),
    donorKey: text('donor_key').notNull(),
  },
  (t) => [primaryKey({ columns: [t.appealId, t.donorKey] })],
);

// Mail waiting to be sent: read on the dev mail page in embedded mode, sent by SMTP in production.
export const outboxEmails = pgTable(
  'outbox_emails',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    dedupeKey: text('dedupe_key').notNull(),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    kind: text('kind').notNull(),
    /** Where a mail client's unsubscribe button stops this mail's kind (List-Unsubscribe, RFC 8058). */
    listUnsubscribeUrl: text('list_unsubscribe_url'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('outbox_emails_dedupe_idx').on(t.dedupeKey),
    // Mail to send, oldest first: what the sender claims every few seconds (sent mail stays).
    index('outbox_emails_unsent_idx').on(t.createdAt).where(sql`${t.sentAt} IS NULL`),
    // Sent mail whose text is still kept: what the retention job empties, oldest first.
    index('outbox_emails_sent_kept_idx').on(t.sentAt).where(sql`${t.sentAt} IS NOT NULL AND ${t.toAddress} <> ''`),
  ],
);

// A gift's chargebacks and inquiries as Stripe last reported them, so treasurers see which need an
// answer by when: a dispute left unanswered past its due date is lost. The money moves in the
// ledger; this row only says where each dispute stands. `reportedAt` is the Stripe event that said
// so, and an older event (Stripe does not deliver in order) never overwrites a newer one.
export const disputes = pgTable(
  'disputes',
  {
    id: text('id').primaryKey(),
    donationId: uuid('donation_id').notNull().references(() => donations.id),
    chargeId: text('charge_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    reason: text('reason').notNull(),
    status: text('status').notNull(),
    evidenceDueBy: timestamp('evidence_due_by', { withTimezone: true }),
    evidenceSubmitted: boolean('evidence_submitted').notNull().default(false),
    livemode: boolean('livemode').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    reportedAt: timestamp('reported_at', { withTimezone: true }).notNull(),
    /** The status the treasurers were last reminded of, as its due date came near. */
    remindedStatus: text('reminded_status'),
  },
  (t) => [index('disputes_donation_idx').on(t.donationId), index('disputes_status_idx').on(t.status, t.evidenceDueBy)],
);

// A treasurer's refund as asked of Stripe, written before Stripe is asked: the ledger moves only
// when Stripe's refund event arrives, and until then this row is what says the money is spoken
// for. The key is the treasurer's form: the same form sent again is this ask, never a second one.
// 'asking' is an ask whose answer we have not seen (in flight, or lost to a crash or a timeout):
// it counts as spoken for, because Stripe may have made it.
export const refundAskStatus = pgEnum('refund_ask_status', ['asking', 'asked', 'refused']);
export const refundAsks = pgTable(
  'refund_asks',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    donationId: uuid('donation_id').notNull().references(() => donations.id),
    idempotencyKey: text('idempotency_key').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    reason: text('reason').notNull(),
    askedBy: text('asked_by').references(() => users.id),
    askedAt: timestamp('asked_at', { withTimezone: true }).notNull().defaultNow(),
    status: refundAskStatus('status').notNull().default('asking'),
    /** Stripe's refund, once Stripe answered with one. */
    refundId: text('refund_id'),
    /** Why it was refused: Stripe's error code, refund_failed / refund_canceled, or ask_expired. */
    refusedCode: text('refused_code'),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    /**
     * An unanswered ask is the refund ask job's to send again until then (its claim's lease), and
     * not before: another instance leaves it alone meanwhile, and one that failed waits its turn.
     */
    nextResendAt: timestamp('next_resend_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('refund_asks_key_idx').on(t.donationId, t.idempotencyKey),
    // The job's look for unanswered asks, oldest first: few rows among every refund ever asked.
    index('refund_asks_unanswered_idx').on(t.askedAt).where(sql`${t.status} = 'asking'`),
    uniqueIndex('refund_asks_refund_idx').on(t.refundId),
    check('refund_asks_amount_positive', sql`${t.amountMinor} > 0`),
    // Stripe's refund is known once it answered with one; a refund it failed at once is refused.
    check('refund_asks_asked_has_refund', sql`${t.status} <> 'asked' OR ${t.refundId} IS NOT NULL`),
    check('refund_asks_asking_has_none', sql`${t.status} <> 'asking' OR ${t.refundId} IS NULL`),
  ],
);

export type StripeEventRow = typeof stripeEvents.$inferSelect;
export type Donation = typeof donations.$inferSelect;
export type NewDonation = typeof donations.$inferInsert;
export type Dispute = typeof disputes.$inferSelect;
export type RefundAsk = typeof refundAsks.$inferSelect;
