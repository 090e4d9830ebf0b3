import type Stripe from 'stripe';
import { cardFromNumber } from './card-input';
import { AUTOMATIC, resolveAfterLastRetry, type AfterLastRetry, type Ctx } from './context';
import { cardError } from './errors';
import type { SavedCardDecline } from './cards';
import { declineSubscriptionPayments } from './flows/saved-card';
import { resolveRenewalDraftSeconds } from './renewal-draft';
import { computeBalance, failPayout, makeFundsAvailable, payPayouts, type PayoutFailureCode } from './flows/balance';
import { paySession } from './flows/checkout';
import { failRefund, type RefundFailureReason } from './flows/refund';
import { appealDispute, closeDispute, escalateInquiry, openDispute, type CloseDisputeOptions } from './flows/dispute';
import type { DeliveryRecord, DeliverySettings, WebhookDispatcher, WebhookEndpoint } from './webhooks';

export interface EmulatorControls {
  /** Deliver each event `times` times, shuffle within a batch, delay the first attempt. */
  setDelivery(settings: Partial<DeliverySettings>): DeliverySettings;
  pause(): void;
  resume(): void;
  /** Resolves once every queued delivery succeeded or gave up (rejects while paused). */
  flush(): Promise<void>;
  /** Every delivery attempt so far, oldest first. */
  readonly deliveries: readonly DeliveryRecord[];
  setWebhook(endpoint: WebhookEndpoint | null): void;
  /** Charges back a payment (amount and fee withdrawn at once), or with `inquiry` only questions it. */
  disputeCharge(chargeId: string, opts?: { inquiry?: boolean }): Stripe.Dispute;
  /** An inquiry becomes a chargeback: charge.dispute.updated, then funds_withdrawn. */
  escalateInquiry(disputeId: string): Stripe.Dispute;
  /** A lost chargeback is appealed (charge.dispute.updated, appeal_needs_response); it then closes again. */
  appealDispute(disputeId: string): Stripe.Dispute;
  /** A chargeback closes won or lost; an inquiry closes as warning_closed. */
  closeDispute(disputeId: string, status: 'won' | 'lost' | 'warning_closed', opts?: CloseDisputeOptions): Stripe.Dispute;
  /** Moves every pending balance transaction to available and emits balance.available. */
  makeFundsAvailable(): Stripe.Balance;
  /** Pays every pending payout (payout.updated, payout.paid). */
  payPayouts(): Stripe.Payout[];
  /** The bank returns a payout, paid or not (payout.updated, payout.failed); its amount is available again. */
  failPayout(payoutId: string, code?: PayoutFailureCode): Stripe.Payout;
  /** The card's bank sends a refund back (refund.updated, refund.failed); its amount is in the balance and refundable again. */
  failRefund(refundId: string, reason?: RefundFailureReason): Stripe.Refund;
  /**
   * The card that pays a subscription's renewals starts to decline, as a card that expired or was
   * blocked: its next renewal (and retries) fail until a new card is saved in the portal.
   */
  declineSubscriptionPayments(subscriptionId: string, code?: SavedCardDecline): Stripe.Subscription;
  /**
   * Renewals made from now on stay a draft this many seconds (Stripe: about 3600) before the test
   * clock finalizes and charges them; 0 charges at once. Kept across reset(), as the options are.
   */
  setRenewalDraftSeconds(seconds: number): { renewalDraftSeconds: number };
  /** What the last failed retry of an invoice does to its subscription from now on (options.afterLastRetry). */
  setAfterLastRetry(choice: AfterLastRetry): { afterLastRetry: AfterLastRetry };
  /** Pays a session as the hosted form would; a declined card throws a 402 card_error. */
  payCheckoutSession(sessionId: string, cardNumber?: string, payer?: { name?: string; email?: string }): Stripe.Checkout.Session;
  /** Forgets every object, event and delivery; keeps the webhook endpoint and options. */
  reset(): void;
  /** Forgets every Idempotency-Key's saved answer, as Stripe does after 24 hours. */
  forgetIdempotencyKeys(): void;
}

export function createControls(ctx: Ctx, dispatcher: WebhookDispatcher, onReset: () => void, forgetIdempotencyKeys: () => void): EmulatorControls {
  return {
    setDelivery: (s) => dispatcher.setDelivery(s),
    pause: () => dispatcher.pause(),
    resume: () => dispatcher.resume(),
    flush: () => dispatcher.flush(),
    get deliveries() {
      return dispatcher.deliveries;
    },
    setWebhook: (endpoint) => dispatcher.setEndpoint(endpoint),
    disputeCharge: (chargeId, opts) => openDispute(ctx, chargeId, opts),
    escalateInquiry: (disputeId) => escalateInquiry(ctx, disputeId),
    appealDispute: (disputeId) => appealDispute(ctx, disputeId),
    closeDispute: (disputeId, status, opts) => closeDispute(ctx, disputeId, status, opts),
    makeFundsAvailable: () => {
      makeFundsAvailable(ctx);
      return computeBalance(ctx);
    },
    payPayouts: () => payPayouts(ctx),
    failPayout: (payoutId, code) => failPayout(ctx, payoutId, code),
    failRefund: (refundId, reason) => failRefund(ctx, refundId, reason),
    declineSubscriptionPayments: (subscriptionId, code = 'expired_card') => declineSubscriptionPayments(ctx, subscriptionId, code),
    setRenewalDraftSeconds: (seconds) => {
      ctx.renewalDraftSeconds = resolveRenewalDraftSeconds(seconds);
      return { renewalDraftSeconds: ctx.renewalDraftSeconds };
    },
    setAfterLastRetry: (choice) => {
      ctx.afterLastRetry = resolveAfterLastRetry(choice);
      return { afterLastRetry: ctx.afterLastRetry };
    },
    payCheckoutSession: (sessionId, cardNumber = '4242 4242 4242 4242', payer = {}) => {
      const card = cardFromNumber(cardNumber);
      const result = paySession(ctx, sessionId, { card, name: payer.name ?? 'Test Member', email: payer.email ?? null }, AUTOMATIC);
      if (!result.ok) throw cardError(result.code, result.declineCode, result.message);
      return result.session;
    },
    reset: onReset,
    forgetIdempotencyKeys,
  };
}
