import { error, redirect } from '@sveltejs/kit';
import { signInPath } from './api';

type Fetch = typeof fetch;

/**
 * A treasurer's read: the data, the sign-in page when signed out, or null when the API says this
 * person may not see it (the page then says so, in the reader's language). `refused` sees the code
 * of a 400 first, and may answer it otherwise (a redirect) than as a missing page.
 */
export async function treasurerGet<T>(fetch: Fetch, path: string, here: URL, refused?: (code: string | undefined) => void): Promise<T | null> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (res.status === 401) redirect(303, signInPath(here));
  if (res.status === 403) return null;
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (res.status === 400) refused?.(body?.error?.code);
    error(res.status === 400 ? 404 : res.status, { message: body?.error?.message ?? 'The service did not answer.', code: body?.error?.code });
  }
  return (await res.json()) as T;
}

export interface LedgerAccount {
  id: string;
  code: string;
  name: string;
  currency: string;
  type: 'asset' | 'liability' | 'income' | 'expense' | 'equity';
  allowNegative: boolean;
  balanceMinor: string;
  entryCount: string;
  /** The appeal whose money an `appeal:<id>` account holds. */
  appeal: { slug: string; title: string; language: string } | null;
}

export interface StatementLine {
  entryId: string;
  transactionId: string;
  idempotencyKey: string;
  kind: string;
  description: string;
  occurredAt: string;
  postedAt: string;
  amountMinor: string;
  balanceAfterMinor: string;
  donationId: string | null;
  appeal: { slug: string; title: string; language: string } | null;
}

export interface StripeEventRow {
  id: string;
  type: string;
  status: string;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
}

export interface DisputeFacts {
  id: string;
  status: string;
  inquiry: boolean;
  needsResponse: boolean;
  reason: string;
  currency: string;
  amountMinor: string;
  evidenceDueBy: string | null;
  evidenceSubmitted: boolean;
  openedAt: string;
  dashboardUrl: string | null;
}

export interface DisputeRow extends DisputeFacts {
  donation: { id: string; appeal: { slug: string; title: string; language: string } };
}

export interface DonationDetail {
  id: string;
  appeal: { slug: string; title: string; language: string; organization: { slug: string; name: string } };
  status: string;
  frequency: 'one_off' | 'monthly';
  currency: string;
  amountMinor: string;
  coverFeesMinor: string;
  feeMinor: string | null;
  refundedMinor: string;
  /** Refunds asked of Stripe that the ledger has not posted yet. */
  /** A monthly gift's own state, and what each renewal charges from now on: the gift and the fees it covers. */
  monthly: { endedAt: string | null; endsAt: string | null; renewalFailedAt: string | null; nextAttemptAt: string | null; renewalAmountMinor: string; renewalCoverFeesMinor: string; paused: boolean; pausedUntil: string | null; pausedNextChargeAt: string | null } | null;
  refundsAwaiting: { askId: string; refundId: string | null; amountMinor: string; askedAt: string; idempotencyKey: string; reason: string }[];
  /** Refunds the card's bank sent back: the money is in the appeal again; the donor has not got it. */
  failedRefunds: { refundId: string; amountMinor: string; failedAt: string; reason: string }[];
  /** Whether this viewer may refund it (a treasurer of its organization; the platform's only read it). */
  mayRefund: boolean;
  refundableMinor: string;
  donor: { name: string | null; email: string | null; anonymous: boolean };
  message: string | null;
  /** The language the donor gave in: the best guess at the message's. */
  messageLanguage: string | null;
  stripe: { checkoutSessionId: string | null; paymentIntentId: string | null; chargeId: string | null; subscriptionId: string | null; invoiceId: string | null };
  createdAt: string;
  succeededAt: string | null;
  disputes: DisputeFacts[];
  postings: { transactionId: string; idempotencyKey: string; kind: string; occurredAt: string; entries: { accountId: string; accountCode: string; amountMinor: string }[] }[];
}
