import type { DbOrTx } from '../../db/client';
import type { Appeal } from '../../db/schema/index';
import { recordAudit } from '../auth/audit';
import type { Viewer } from '../auth/permissions';

/** An audit record of a change around an appeal (its translations, cover, wall, updates), by whoever made it. */
export async function auditAround(
  tx: DbOrTx,
  p: { by: Viewer | null; requestId?: string; appeal: Appeal },
  action: string,
  e: { subjectType?: string; subjectId?: string; before?: unknown; after?: unknown },
): Promise<void> {
  await recordAudit(tx, {
    actorUserId: p.by?.userId ?? null,
    action,
    organizationId: p.appeal.organizationId,
    subjectType: e.subjectType ?? 'appeal',
    subjectId: e.subjectId ?? p.appeal.id,
    before: e.before,
    after: e.after,
    requestId: p.requestId,
  });
}
