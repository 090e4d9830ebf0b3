import type { DbOrTx } from '../../db/client';
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

// Rows carry bigint money and Dates; the log stores them as strings.
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
