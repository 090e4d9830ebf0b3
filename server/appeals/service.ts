import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { appealProgress, appeals, organizations, type Appeal, type AppealProgress } from '../../db/schema/index';
import { AppError } from '../errors';
import type { AppealDetail, AppealSummary } from './schemas';

const listColumns = { appeal: appeals, progress: appealProgress, orgSlug: organizations.slug, orgName: organizations.name };

type Row = { appeal: Appeal; progress: AppealProgress | null; orgSlug: string; orgName: string };

function baseQuery(db: DbOrTx) {
  return db
    .select(listColumns)
    .from(appeals)
    .innerJoin(organizations, eq(organizations.id, appeals.organizationId))
    .leftJoin(appealProgress, eq(appealProgress.appealId, appeals.id));
}

// Keyset pagination over (published_at desc, id desc): stable while new appeals go live.
function encodeCursor(a: Appeal): string {
  return Buffer.from(`${a.publishedAt?.toISOString() ?? ''}|${a.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { publishedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const publishedAt = new Date(at ?? '');
  if (!id || Number.isNaN(publishedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError(400, 'invalid_cursor', 'The cursor is not one this API gave out.');
  }
  return { publishedAt, id };
}

export async function listLiveAppeals(
  db: DbOrTx,
  params: { limit: number; cursor?: string; organization?: string; currency?: string },
): Promise<{ appeals: AppealSummary[]; nextCursor: string | null }> {
  const where: (SQL | undefined)[] = [eq(appeals.status, 'live')];
  if (params.organization) where.push(eq(organizations.slug, params.organization));
  if (params.currency) where.push(eq(appeals.currency, params.currency));
  if (params.cursor) {
    const c = decodeCursor(params.cursor);
    where.push(or(lt(appeals.publishedAt, c.publishedAt), and(eq(appeals.publishedAt, c.publishedAt), lt(appeals.id, c.id))));
  }
  const rows = await baseQuery(db)
    .where(and(...where))
    .orderBy(desc(appeals.publishedAt), desc(appeals.id))
    .limit(params.limit + 1);
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  return {
    appeals: page.map(toSummary),
    nextCursor: rows.length > params.limit && last ? encodeCursor(last.appeal) : null,
  };
}

export async function getPublicAppeal(db: DbOrTx, slug: string): Promise<AppealDetail> {
  const [row] = await baseQuery(db).where(eq(appeals.slug, slug)).limit(1);
  if (!row || row.appeal.status === 'draft') throw appealNotFound(slug);
  return toDetail(row);
}

export const appealNotFound = (slug: string) => new AppError(404, 'appeal_not_found', `No appeal "${slug}".`);

/** Public appeals by id in one query (drafts left out): the live hub re-reads every changed appeal at once. */
export async function getPublicAppealsByIds(db: DbOrTx, ids: string[]): Promise<AppealDetail[]> {
  if (ids.length === 0) return [];
  const rows = await baseQuery(db).where(inArray(appeals.id, ids));
  return rows.filter((r) => r.appeal.status !== 'draft').map(toDetail);
}

const toDetail = (row: Row): AppealDetail => ({ ...toSummary(row), storyMarkdown: row.appeal.storyMarkdown });

function toSummary({ appeal: a, progress: p, orgSlug, orgName }: Row): AppealSummary {
  const raisedGross = p?.raisedGrossMinor ?? 0n;
  return {
    id: a.id,
    slug: a.slug,
    title: a.title,
    summary: a.summary,
    beneficiary: a.beneficiary,
    language: a.language,
    currency: a.currency,
    goalMinor: a.goalMinor.toString(),
    unit: a.unitName && a.unitPriceMinor ? { name: a.unitName, priceMinor: a.unitPriceMinor.toString() } : null,
    deadlineAt: a.deadlineAt?.toISOString() ?? null,
    status: a.status,
    isDemo: a.isDemo,
    organization: { slug: orgSlug, name: orgName },
    progress: {
      raisedGrossMinor: raisedGross.toString(),
      raisedNetMinor: (p?.raisedNetMinor ?? 0n).toString(),
      donorCount: p?.donorCount ?? 0,
      giftCount: p?.giftCount ?? 0,
      unitsFilled: a.unitPriceMinor ? Number(raisedGross / a.unitPriceMinor) : null,
      shareOfGoalBasisPoints: Number((raisedGross * 10_000n) / a.goalMinor),
      lastGiftAt: p?.lastGiftAt?.toISOString() ?? null,
    },
  };
}
