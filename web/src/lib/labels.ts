import { m } from './paraglide/messages';
import { isolate, rtlIsolate, rtlZone, zoneName } from './format';
import { dateTimeFormat } from './intl-cache';
import { isLocale, textDirection } from './locale';
import { readerDateZone, readerTimeZone, type DateZone } from './time-zone';

/** A gift's status in the reader's language. */
export function giftStatus(status: string): string {
  switch (status) {
    case 'succeeded':
      return m.status_succeeded();
    case 'partially_refunded':
      return m.status_partially_refunded();
    case 'refunded':
      return m.status_refunded();
    case 'disputed':
      return m.status_disputed();
    case 'failed':
      return m.status_failed();
    case 'pending':
      return m.status_pending();
    case 'canceled':
      return m.status_canceled();
    default:
      return status;
  }
}

/**
 * A receipt's closing line. Only a gift the appeal kept is a record of a gift: a donor may show
 * the page to a tax office, so a refunded, disputed or failed payment's page says it is not one.
 * `given` is what the donor paid in all after a partial refund (fees covered included), formatted.
 */
export function receiptNote(status: string, given: string): string {
  switch (status) {
    case 'partially_refunded':
      return m.receipt_fine_partial({ amount: given });
    case 'refunded':
      return m.receipt_fine_refunded();
    case 'disputed':
      return m.receipt_fine_disputed();
    case 'failed':
      return m.receipt_fine_failed();
    default:
      return m.receipt_fine();
  }
}

/** An appeal's status in the reader's language. */
export function appealStatus(status: string): string {
  if (status === 'draft') return m.status_draft();
  if (status === 'live') return m.status_live();
  if (status === 'closed') return m.status_closed();
  return status;
}

export function frequencyName(frequency: string): string {
  return frequency === 'monthly' ? m.frequency_monthly() : m.frequency_one_off();
}

/**
 * A day on the calendar of `zone` (the reader's, unless a page knows a better one). A zone the
 * reader's browser did not say is named: a donor in Tokyo reading a bare "6 December" takes it for
 * her own 6th, when her gift, made on the 7th at 05:00 there, was on the 6th only in UTC.
 * In Arabic one isolated piece (rtlIsolate), its zone's name another inside it (zoneName).
 */
export function formatDate(iso: string, locale: string, zone: DateZone = readerDateZone()): string {
  const at = new Date(iso);
  const date = dateTimeFormat(locale, { dateStyle: 'long', timeZone: zone.timeZone }).format(at);
  if (!zone.named) return rtlIsolate(locale, date);
  return rtlIsolate(locale, m.date_in_zone({ date, zone: zoneName(at, locale, zone.timeZone) }, { locale: isLocale(locale) ? locale : undefined }));
}

// Intl takes a zone's name only with the parts spelled out, not with dateStyle / timeStyle.
const momentParts = { year: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } as const;

/** A moment, in the reader's time zone, naming the zone: a treasurer compares it with Stripe's. */
export function formatDateTime(iso: string, locale: string, timeZone: string = readerTimeZone()): string {
  return moment(dateTimeFormat(locale, { ...momentParts, month: 'short', timeZone }), locale, new Date(iso));
}

/** A moment as `format` writes it: in Arabic one isolated piece, its zone's offset isolated too (rtlZone). */
function moment(format: Intl.DateTimeFormat, locale: string, at: Date): string {
  if (textDirection(locale) !== 'rtl') return format.format(at);
  return isolate(format.formatToParts(at).map((p) => (p.type === 'timeZoneName' ? rtlZone(p.value) : p.value)).join(''));
}

/** A dispute's status at Stripe in the reader's language; a status Stripe adds later shows as sent. */
/**
 * A paused monthly gift, as both its donor's page and the treasurer's say it: the day it charges
 * again (the first period end after Stripe's resumes_at), which is what the donor asks, else the
 * day Stripe resumes, else a pause with no end.
 */
export function pausedText(chargesAgainAt: string | null, pausedUntil: string | null, date: (iso: string) => string): string {
  const day = chargesAgainAt ?? pausedUntil;
  return day ? m.monthly_paused_until({ date: date(day) }) : m.monthly_paused_open();
}

export function disputeStatus(status: string): string {
  const labels: Record<string, () => string> = {
    needs_response: m.dispute_status_needs_response,
    under_review: m.dispute_status_under_review,
    won: m.dispute_status_won,
    lost: m.dispute_status_lost,
    warning_needs_response: m.dispute_status_warning_needs_response,
    warning_under_review: m.dispute_status_warning_under_review,
    warning_closed: m.dispute_status_warning_closed,
    prevented: m.dispute_status_prevented,
    appeal_needs_response: m.dispute_status_appeal_needs_response,
    appeal_under_review: m.dispute_status_appeal_under_review,
  };
  return labels[status]?.() ?? status;
}

/**
 * Why the card's bank sent a refund back (Stripe's failure_reason, or 'canceled'), in the reader's
 * language; one Stripe has not documented reads as none given.
 */
export function refundSentBackReason(reason: string): string {
  const labels: Record<string, () => string> = {
    expired_or_canceled_card: m.refund_sent_back_expired_or_canceled_card,
    lost_or_stolen_card: m.refund_sent_back_lost_or_stolen_card,
    declined: m.refund_sent_back_declined,
    insufficient_funds: m.refund_sent_back_insufficient_funds,
    merchant_request: m.refund_sent_back_merchant_request,
    charge_for_pending_refund_disputed: m.refund_sent_back_charge_for_pending_refund_disputed,
    canceled: m.refund_sent_back_canceled,
  };
  return (Object.hasOwn(labels, reason) ? labels[reason]! : m.refund_sent_back_unknown)();
}

/** Why the bank disputes a payment (Stripe's reasons), in the reader's language. */
export function disputeReason(reason: string): string {
  const labels: Record<string, () => string> = {
    bank_cannot_process: m.dispute_reason_bank_cannot_process,
    check_returned: m.dispute_reason_check_returned,
    credit_not_processed: m.dispute_reason_credit_not_processed,
    customer_initiated: m.dispute_reason_customer_initiated,
    debit_not_authorized: m.dispute_reason_debit_not_authorized,
    duplicate: m.dispute_reason_duplicate,
    fraudulent: m.dispute_reason_fraudulent,
    general: m.dispute_reason_general,
    incorrect_account_details: m.dispute_reason_incorrect_account_details,
    insufficient_funds: m.dispute_reason_insufficient_funds,
    noncompliant: m.dispute_reason_noncompliant,
    product_not_received: m.dispute_reason_product_not_received,
    product_unacceptable: m.dispute_reason_product_unacceptable,
    subscription_canceled: m.dispute_reason_subscription_canceled,
    unrecognized: m.dispute_reason_unrecognized,
  };
  return labels[reason]?.() ?? reason;
}

/**
 * When a dispute's answer is due, with the time and the time zone: Stripe's deadlines fall at an
 * hour of their own. In the reader's zone, named (UTC until the browser has said its zone).
 */
export function formatDeadline(iso: string, locale: string): string {
  return moment(dateTimeFormat(locale, { ...momentParts, month: 'long', timeZone: readerTimeZone() }), locale, new Date(iso));
}
