import { m } from './paraglide/messages';

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

export function formatDateTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
