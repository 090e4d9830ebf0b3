import type { DbOrTx } from '../../db/client';
import { outboxEmails, type Appeal } from '../../db/schema/index';
import { greeting, isolated, mailAmount, mailDeadline, mailText } from '../mail/catalog';
import { isLocale } from '../../web/src/lib/locale';
import type { Platform } from '../auth/permissions';
import { treasurersOfGift } from './gift-treasurers';

export interface DisputeToAnswer {
  id: string;
  status: string;
  currency: string;
  amountMinor: bigint;
  evidenceDueBy: Date | null;
  donationId: string;
}

/**
 * Tells the treasurers of the gift's organization that a dispute now awaits their answer, with
 * its due date: Stripe mails only the account's owner, and an unanswered dispute is lost. Once
 * per dispute, status and treasurer (the dedupe key), in the outbox with the rest of the event's
 * writes. In each treasurer's language, else the appeal's (the organization's working one).
 */
export async function mailTreasurersOfDispute(tx: DbOrTx, platform: Platform, dispute: DisputeToAnswer, appeal: Appeal, publicUrl: string | undefined, reminder = false): Promise<void> {
  const treasurers = await treasurersOfGift(tx, platform, appeal.organizationId);
  if (treasurers.length === 0) return;
  const inquiry = dispute.status.startsWith('warning_');
  const mailIn = (locale: string, name: string) => {
    const values = {
      amount: mailAmount(locale, dispute.amountMinor, dispute.currency),
      appeal: isolated(locale, appeal.title),
      due: dispute.evidenceDueBy ? mailDeadline(locale, dispute.evidenceDueBy) : '—',
    };
    const body = mailText(locale, inquiry ? 'inquiry_body' : 'dispute_body', values);
    const link = publicUrl ? `\n\n${mailText(locale, 'dispute_see', { url: `${publicUrl}/treasury/donations/${dispute.donationId}` })}` : '';
    return {
      subject: mailText(locale, reminder ? 'dispute_reminder_subject' : inquiry ? 'inquiry_subject' : 'dispute_subject', values),
      textBody: `${greeting(locale, name || null)}\n\n${body}${link}\n\n${mailText(locale, 'closing')}\n`,
    };
  };
  await tx
    .insert(outboxEmails)
    .values(
      treasurers.map((t) => ({
        dedupeKey: `dispute:${dispute.id}:${dispute.status}:${reminder ? 'reminder:' : ''}${t.userId}`,
        toAddress: t.email,
        kind: reminder ? 'dispute_reminder' : 'dispute_needs_answer',
        ...mailIn(isLocale(t.locale) ? t.locale : appeal.language, t.name),
      })),
    )
    .onConflictDoNothing();
}
