import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client';
import { auditLog } from '../../db/schema/index';

export interface AuditEntry {
  actorUserId: string | null;
  /** `<domain>.<verb>`, e.g. `appeal.publish`. */
  action: string;
  organizationId: string | null;
  subjectType: string;
  subjectId: string;
  before?: unknown;
  after?: unknown;
  requestId?: string;
}

/** Written in the same database transaction as the change it records, so neither exists without the other. */
export async function recordAudit(db: DbOrTx, e: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actorUserId: e.actorUserId,
    action: e.action,
    organizationId: e.organizationId,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    before: e.before === undefined ? null : jsonSafe(e.before),
    after: e.after === undefined ? null : jsonSafe(e.after),
    requestId: e.requestId ?? null,
  });
}

/**
 * An entry for something that happens once to its subject (a monthly gift ends, an ask's refund
 * is made), written unless the log already has it: same action and subject, and the same value of
 * each of `sameAfter`'s keys in `after`. Two requests that both did it (a double click, the button
 * and the job) leave one entry. The caller holds the subject's row locked, so the second waits for
 * the first's commit and then finds its entry.
 */
export async function recordAuditOnce(tx: Tx, e: AuditEntry, sameAfter: Record<string, string> = {}): Promise<void> {
  const [written] = await tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, e.subjectType), eq(auditLog.subjectId, e.subjectId), eq(auditLog.action, e.action), ...Object.entries(sameAfter).map(([k, v]) => sql`${auditLog.after}->>${k} = ${v}`)))
    .limit(1);
  if (!written) await recordAudit(tx, e);
}

// Rows carry bigint money and Dates; the log stores them as strings.
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
