import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { refundAsks } from '../../db/schema/index';
import { recordAuditOnce, type AuditEntry } from '../auth/audit';

/**
 * A refund ask's refund, written to the audit log once, whoever learnt it from Stripe: the
 * treasurer's button, the same form sent again, the refund-ask job. Two of them learning the same
 * answer at once each counted as the one that learnt it, and the append-only log then showed two
 * refunds for one. The ask's row is locked while the log is looked at.
 */
export async function auditRefundOnce(db: Db, e: Omit<AuditEntry, 'action' | 'subjectType'> & { after: { askId: string } & Record<string, unknown> }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.select({ id: refundAsks.id }).from(refundAsks).where(eq(refundAsks.id, e.after.askId)).for('update');
    await recordAuditOnce(tx, { ...e, action: 'donation.refund', subjectType: 'donation' }, { askId: e.after.askId });
  });
}
