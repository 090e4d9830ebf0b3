import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { appealProgress, appealTranslations, appeals, donations, organizations, type Appeal, type AppealProgress } from '../../db/schema/index';
import { AppError } from '../errors';
import { isStorableTime } from '../storable-time';
import { isUuidText } from '../uuid-text';
import { renderMarkdown } from '../content/markdown';
import type { AppealDetail, AppealSummary, DonorWall } from './schemas';
import { wallStatuses } from './wall';
import { messageLanguageOf } from '../payments/donations-store';

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
  if (!isUuidText(id) || !isStorableTime(publishedAt.getTime())) {
    throw new AppError(400, 'invalid_cursor', 'The cursor is not one this API gave out.');
  }
  return { publishedAt, id };
}

export async function listLiveAppeals(
  db: DbOrTx,
  params: { limit: number; cursor?: string; organization?: string; campaign?: string; currency?: string; status?: 'live' | 'closed' },
): Promise<{ appeals: AppealSummary[]; nextCursor: string | null }> {
  const where: (SQL | undefined)[] = [eq(appeals.status, params.status ?? 'live')];
  if (params.organization) where.push(eq(organizations.slug, params.organization));
  if (params.campaign) {
    where.push(sql`${appeals.id} IN (SELECT ca.appeal_id FROM campaign_appeals ca JOIN campaigns c ON c.id = ca.campaign_id WHERE c.slug = ${params.campaign} AND c.status <> 'draft')`);
  }
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
  const translations = await translationsByAppeal(db, page);
  return {
    appeals: page.map((r) => toSummary(r, translations)),
    nextCursor: rows.length > params.limit && last ? encodeCursor(last.appeal) : null,
  };
}

export async function getPublicAppeal(db: DbOrTx, slug: string): Promise<AppealDetail> {
  const [row] = await baseQuery(db).where(eq(appeals.slug, slug)).limit(1);
  if (!row || row.appeal.status === 'draft') throw appealNotFound(slug);
  return toDetail(row, await translationsByAppeal(db, [row]));
}

export const appealNotFound = (slug: string) => new AppError(404, 'appeal_not_found', `No appeal "${slug}".`);

/** Public appeals by id in one query (drafts left out): the live hub re-reads every changed appeal at once. */
export async function getPublicAppealsByIds(db: DbOrTx, ids: string[]): Promise<AppealDetail[]> {
  if (ids.length === 0) return [];
  const rows = (await baseQuery(db).where(inArray(appeals.id, ids))).filter((r) => r.appeal.status !== 'draft');
  const translations = await translationsByAppeal(db, rows);
  return rows.map((r) => toDetail(r, translations));
}

/**
 * The cover's address names the image: the cover is served for minutes from browsers' caches, so
 * an address kept across a new upload went on showing the old picture, to the organizer who had
 * just replaced it too. The route itself ignores `v`.
 */
export const coverImageUrl = (a: Pick<Appeal, 'slug' | 'coverImageId'>): string | null => (a.coverImageId ? `/api/appeals/${a.slug}/cover?v=${a.coverImageId}` : null);

type Translation = AppealDetail['translations'][number];

/**
 * Every translation of these appeals: the page picks the reader's language, else the original. A
 * unit name is given only while the appeal has a unit: one kept from before its unit was removed
 * names nothing a donor can give.
 */
async function translationsByAppeal(db: DbOrTx, appealRows: Row[]): Promise<Map<string, Translation[]>> {
  const ids = appealRows.map((r) => r.appeal.id);
  const withUnit = new Set(appealRows.filter((r) => r.appeal.unitName !== null).map((r) => r.appeal.id));
  const byAppeal = new Map<string, Translation[]>();
  if (ids.length === 0) return byAppeal;
  const rows = await db.select().from(appealTranslations).where(inArray(appealTranslations.appealId, ids)).orderBy(appealTranslations.language);
  for (const t of rows) {
    const list = byAppeal.get(t.appealId) ?? [];
    list.push({ language: t.language, title: t.title, summary: t.summary, storyHtml: t.storyHtml, unitName: withUnit.has(t.appealId) ? t.unitName : null });
    byAppeal.set(t.appealId, list);
  }
  return byAppeal;
}

const toDetail = (row: Row, translations: Map<string, Translation[]>): AppealDetail => ({
  ...toSummary(row, translations),
  storyMarkdown: row.appeal.storyMarkdown,
  // Appeals saved before stories were rendered on save get rendered here.
  storyHtml: row.appeal.storyHtml || (row.appeal.storyMarkdown ? renderMarkdown(row.appeal.storyMarkdown) : ''),
  coverImageUrl: coverImageUrl(row.appeal),
  translations: translations.get(row.appeal.id) ?? [],
});

function toSummary({ appeal: a, progress: p, orgSlug, orgName }: Row, translations: Map<string, Translation[]>): AppealSummary {
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
    closedAt: a.status === 'closed' ? (a.closedAt?.toISOString() ?? null) : null,
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
    translations: (translations.get(a.id) ?? []).map((t) => ({ language: t.language, title: t.title, summary: t.summary })),
  };
}

/**
 * The latest confirmed gifts of a public appeal, newest first. A renewal of a monthly gift is not
 * a new donor, so only first gifts are listed; refunded and disputed gifts drop off the wall.
 */
export async function listDonorWall(db: DbOrTx, slug: string, params: { limit: number }): Promise<DonorWall> {
  const [appeal] = await db.select({ id: appeals.id, status: appeals.status }).from(appeals).where(eq(appeals.slug, slug));
  if (!appeal || appeal.status === 'draft') throw new AppError(404, 'appeal_not_found', `No appeal "${slug}".`);
  const rows = await db
    .select({ name: donations.donorName, anonymous: donations.anonymous, nameHidden: donations.nameHidden, message: donations.message, messageStatus: donations.messageStatus, locale: donations.locale, at: donations.succeededAt, createdAt: donations.createdAt })
    .from(donations)
    .where(and(eq(donations.appealId, appeal.id), inArray(donations.status, [...wallStatuses]), isNull(donations.parentDonationId)))
    .orderBy(desc(donations.createdAt))
    .limit(params.limit);
  return {
    donors: rows.map((r) => ({
      name: r.anonymous || r.nameHidden ? null : r.name,
      message: r.messageStatus === 'approved' ? r.message : null,
      messageLanguage: r.messageStatus === 'approved' ? messageLanguageOf(r) : null,
      givenAt: (r.at ?? r.createdAt).toISOString(),
    })),
  };
}
