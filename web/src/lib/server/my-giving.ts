// The shapes of GET /api/me/donations and /api/me/monthly (kept in step with server/donors/routes.ts).
export interface MyGift {
  id: string;
  /** The title as this reader's pages show it, and the language it is written in. */
  appeal: { slug: string; title: string; language: string };
  currency: string;
  amountMinor: string;
  coverFeesMinor: string;
  refundedMinor: string;
  frequency: 'one_off' | 'monthly';
  status: string;
  anonymous: boolean;
  /** The name and address given with this gift (not necessarily the account's). */
  donor: { name: string | null; email: string };
  at: string;
  /** The zone the donor's browser said when they gave ("Asia/Tokyo"), or null. */
  timeZone: string | null;
}

export interface MyMonthly {
  id: string;
  /** The title as this reader's pages show it, and the language it is written in. */
  appeal: { slug: string; title: string; language: string };
  currency: string;
  /** What each renewal charges from now on, fees covered included; of it, the gift itself, and whether fees are covered. */
  amountMinor: string;
  giftAmountMinor: string;
  coversFees: boolean;
  startedAt: string;
  canceledAt: string | null;
  /** The appeal closed: its monthly gifts end (or have ended) with it. */
  appealClosed: boolean;
  /** While the last renewal is unpaid: when its attempt failed, and when Stripe tries again (null after its last try). */
  renewalFailedAt: string | null;
  nextAttemptAt: string | null;
  /** When Stripe charges this gift next; null once it ended, while a renewal is unpaid, or when not known yet. */
  nextChargeAt: string | null;
  /** While the appeal is open: its deadline, when it closes and this gift ends with it; null for an appeal without one. */
  appealDeadlineAt: string | null;
  /** The deadline comes before the gift's next charge would (after a pause, too): it ends then, with no further charge. */
  endsWithAppealFirst: boolean;
  /** While Stripe is set to end this gift on a day to come: that day. */
  endsAt: string | null;
  /** Stripe's collection is paused (nothing is charged), until `pausedUntil` (null: until resumed); nextChargeAt is then the first charge after it. */
  paused: boolean;
  pausedUntil: string | null;
  /** The zone the donor's browser said when they gave ("Asia/Tokyo"), or null. */
  timeZone: string | null;
}
