import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { appeals, donations, outboxEmails, type Donation } from '../../db/schema/index';
import { recordAuditOnce } from '../auth/audit';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { greeting, isolated, mailAmount, mailDate, mailText } from '../mail/catalog';
import { treasurersOf } from '../auth/permissions';
import { hasVisibleText } from '../visible-text';
import { isLocale } from '../../web/src/lib/locale';
import { givenBy } from './service';

export const refundRequestSchema = z.strictObject({
  reason: z.string().trim().max(500).refine((r) => r === '' || hasVisibleText(r), { error: 'a reason with a visible character; omit it for none' }).default(''),
});

/** A payment with money left to give back: one not refunded whole, failed or still pending. */
const refundable = ['succeeded', 'partially_refunded'] as const;

/**
 * A donor asks for one of their own payments back (a mistyped amount, a gift given twice). Only a
 * treasurer can refund, in the treasury: the request goes to the treasurers of the appeal's
 * organization (and the platform's), each once, with the donor's words and a link to the gift,
 * whose page has the refund form. Asking again is answered as asked: nobody is mailed twice, until
 * part of the payment is refunded (the request may be for the rest).
 * Someone else's gift answers like a missing one.
 */
export async function askForRefund(db: Db, viewer: Viewer, donationId: string, reason: string, c: { publicUrl: string; requestId: string }) {
  return db.transaction(async (tx) => {
    const [gift] = await tx
      .select({ d: donations, organizationId: appeals.organizationId, title: appeals.title, language: appeals.language })
      .from(donations)
      .innerJoin(appeals, eq(appeals.id, donations.appealId))
      .where(and(eq(donations.id, donationId), givenBy(viewer)))
      .for('update', { of: donations });
    if (!gift) throw new AppError(404, 'donation_not_found', 'No gift of yours by that id.');
    if (!(refundable as readonly string[]).includes(gift.d.status) || gift.d.refundedMinor >= gift.d.amountMinor + gift.d.coverFeesMinor) {
      throw new AppError(409, 'refund_request.not_refundable', 'This payment has nothing left to give back: it is refunded, disputed, or was never taken.');
    }
    // Those who can refund it: the platform's treasurers whose role stops at the top are told of
    // what Stripe does to a gift, but its refund is not theirs to give.
    const treasurers = await treasurersOf(tx, gift.organizationId);
    if (treasurers.length === 0) throw new AppError(409, 'refund_request.no_treasurer', 'Nobody can refund this gift yet: the appeal has no treasurer.');
    await tx
      .insert(outboxEmails)
      .values(treasurers.map((t) => ({ dedupeKey: `refund_request:${donationId}:${gift.d.refundedMinor}:${t.userId}`, toAddress: t.email, kind: 'refund_request', ...requestMail(isLocale(t.locale) ? t.locale : gift.language, t.name, gift.d, gift.title, reason, c.publicUrl) })))
      .onConflictDoNothing();
    await recordAuditOnce(tx, { actorUserId: viewer.userId, action: 'donation.refund_requested', organizationId: gift.organizationId, subjectType: 'donation', subjectId: donationId, requestId: c.requestId });
    return { requested: true as const };
  });
}

function requestMail(locale: string, name: string, d: Donation, appealTitle: string, reason: string, publicUrl: string) {
  const values = {
    amount: mailAmount(locale, d.amountMinor + d.coverFeesMinor, d.currency),
    appeal: isolated(locale, appealTitle),
    date: mailDate(locale, d.succeededAt ?? d.createdAt),
    donor: isolated(locale, d.donorEmail ?? ''),
  };
  const why = reason ? `\n\n${mailText(locale, 'refund_request_reason')}\n${reason}` : '';
  return {
    subject: mailText(locale, 'refund_request_subject', values),
    textBody: `${greeting(locale, name || null)}\n\n${mailText(locale, 'refund_request_body', values)}${why}\n\n${mailText(locale, 'refund_request_todo', { url: `${publicUrl}/treasury/donations/${d.id}` })}\n\n${mailText(locale, 'closing')}\n`,
  };
}
