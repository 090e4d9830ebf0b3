import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client';
import { appealProgress, appeals, campaignAppeals, campaigns, organizations, type Campaign, type Organization } from '../../db/schema/index';
import { recordAudit } from '../auth/audit';
import { hasRole, type Viewer } from '../auth/permissions';
import { AppError, answerRefusal } from '../errors';

interface Actor {
  by: Viewer;
  requestId: string;
}

export async function campaignBySlug(db: DbOrTx, slug: string): Promise<Campaign> {
  const [c] = await db.select().from(campaigns).where(eq(campaigns.slug, slug)).limit(1);
  if (!c) throw new AppError(404, 'campaign_not_found', `No campaign "${slug}".`);
  return c;
}

const asDbError = (err: unknown): never =>
  answerRefusal(err, {
    campaign_appeals_in_tree: new AppError(409, 'campaign.appeal_outside_tree', "A campaign groups appeals of its own organization and of that organization's descendants."),
    campaigns_slug_unique: new AppError(409, 'campaign.slug_taken', 'Another campaign already has this address.'),
    campaigns_ends_after_start: new AppError(400, 'campaign.ends_before_start', 'A campaign must end after it starts.'),
  });

async function audit(tx: DbOrTx, a: Actor, action: string, c: Campaign, before?: unknown, after?: unknown) {
  await recordAudit(tx, { actorUserId: a.by.userId, action, organizationId: c.organizationId, subjectType: 'campaign', subjectId: c.id, before, after, requestId: a.requestId });
}

export async function createCampaign(db: Db, p: Actor & { org: Organization; body: { slug: string; title: string; summary: string; startsAt: Date | null; endsAt: Date | null } }) {
  return db
    .transaction(async (tx) => {
      const [c] = await tx.insert(campaigns).values({ ...p.body, organizationId: p.org.id }).returning();
      await audit(tx, p, 'campaign.create', c!, undefined, p.body);
      return c!;
    })
    .catch(asDbError);
}

export async function updateCampaign(db: Db, p: Actor & { campaign: Campaign; body: Partial<{ title: string; summary: string; startsAt: Date | null; endsAt: Date | null }> }) {
  return db.transaction(async (tx) => {
    // The audit's "before" is what this edit replaced, field by field: read under the lock its
    // UPDATE takes, not as the route read it, which another organizer's edit may have changed since.
    const [current] = await tx.select().from(campaigns).where(eq(campaigns.id, p.campaign.id)).for('no key update');
    const before = Object.fromEntries(Object.keys(p.body).map((k) => [k, current![k as keyof typeof p.body]]));
    const [c] = await tx.update(campaigns).set(p.body).where(eq(campaigns.id, p.campaign.id)).returning();
    await audit(tx, p, 'campaign.update', c!, before, p.body);
    return c!;
  }).catch(asDbError);
}

export async function setCampaignStatus(db: Db, p: Actor & { campaign: Campaign; to: 'live' | 'closed' }) {
  const from = p.to === 'live' ? 'draft' : 'live';
  if (p.campaign.status !== from) throw new AppError(409, `campaign.not_${from}`, `The campaign is ${p.campaign.status}, not ${from}.`);
  return db.transaction(async (tx) => {
    const [c] = await tx
      .update(campaigns)
      .set(p.to === 'live' ? { status: 'live', publishedAt: sql`now()` } : { status: 'closed' })
      .where(and(eq(campaigns.id, p.campaign.id), eq(campaigns.status, from)))
      .returning();
    if (!c) throw new AppError(409, `campaign.not_${from}`, 'The campaign changed meanwhile.');
    await audit(tx, p, p.to === 'live' ? 'campaign.publish' : 'campaign.close', c, { status: from }, { status: p.to });
    return c;
  });
}

export async function addAppealToCampaign(db: Db, p: Actor & { campaign: Campaign; appealSlug: string }) {
  await db
    .transaction(async (tx) => {
      const [appeal] = await tx.select().from(appeals).where(eq(appeals.slug, p.appealSlug));
      if (!appeal) throw new AppError(404, 'appeal_not_found', `No appeal "${p.appealSlug}".`);
      // A draft is only its own organizers' to show: adding it would reveal it in the campaign.
      if (appeal.status === 'draft' && !(await hasRole(tx, p.by, appeal.organizationId, 'organizer'))) {
        throw new AppError(404, 'appeal_not_found', `No appeal "${p.appealSlug}".`);
      }
      await tx.insert(campaignAppeals).values({ campaignId: p.campaign.id, appealId: appeal.id }).onConflictDoNothing();
      await audit(tx, p, 'campaign.add_appeal', p.campaign, undefined, { appeal: appeal.slug });
    })
    .catch(asDbError);
}

export async function removeAppealFromCampaign(db: Db, p: Actor & { campaign: Campaign; appealSlug: string }) {
  await db.transaction(async (tx) => {
    const [found] = await tx.select().from(appeals).where(eq(appeals.slug, p.appealSlug));
    // As for adding: another organization's draft is not there for this organizer, neither to
    // learn of (a 200 where adding says 404) nor to take out of the campaign.
    const appeal = found && (found.status !== 'draft' || (await hasRole(tx, p.by, found.organizationId, 'organizer'))) ? found : undefined;
    const gone = appeal
      ? await tx.delete(campaignAppeals).where(and(eq(campaignAppeals.campaignId, p.campaign.id), eq(campaignAppeals.appealId, appeal.id))).returning()
      : [];
    if (gone.length === 0) throw new AppError(404, 'campaign.appeal_not_in_campaign', `"${p.appealSlug}" is not in this campaign.`);
    await audit(tx, p, 'campaign.remove_appeal', p.campaign, { appeal: p.appealSlug }, undefined);
  });
}

/**
 * A campaign with combined progress per currency and each appeal's share of its currency's total.
 * `draftsOf`: the organizations whose draft appeals the reader may see (those they organize). A
 * campaign can hold a local's draft, put there by an organizer whose grant reaches the local; the
 * campaign's other organizers read the campaign, not the local's drafts.
 */
export async function campaignView(db: DbOrTx, c: Campaign, opts: { draftsOf: string[] }) {
  const [org] = await db.select().from(organizations).where(eq(organizations.id, c.organizationId));
  const rows = await db
    .select({ appeal: appeals, progress: appealProgress, orgSlug: organizations.slug, orgName: organizations.name })
    .from(campaignAppeals)
    .innerJoin(appeals, eq(appeals.id, campaignAppeals.appealId))
    .innerJoin(organizations, eq(organizations.id, appeals.organizationId))
    .leftJoin(appealProgress, eq(appealProgress.appealId, appeals.id))
    .where(and(eq(campaignAppeals.campaignId, c.id), or(inArray(appeals.status, ['live', 'closed']), opts.draftsOf.length > 0 ? inArray(appeals.organizationId, opts.draftsOf) : undefined)))
    .orderBy(appeals.currency, desc(appealProgress.raisedGrossMinor), appeals.slug);
  const totals = new Map<string, { raisedGrossMinor: bigint; raisedNetMinor: bigint; goalMinor: bigint; donorCount: number; appealCount: number }>();
  for (const { appeal, progress } of rows) {
    const t = totals.get(appeal.currency) ?? { raisedGrossMinor: 0n, raisedNetMinor: 0n, goalMinor: 0n, donorCount: 0, appealCount: 0 };
    t.raisedGrossMinor += progress?.raisedGrossMinor ?? 0n;
    t.raisedNetMinor += progress?.raisedNetMinor ?? 0n;
    t.goalMinor += appeal.goalMinor;
    // Donors are counted per appeal; one person giving to two appeals counts twice here.
    t.donorCount += progress?.donorCount ?? 0;
    t.appealCount += 1;
    totals.set(appeal.currency, t);
  }
  return {
    id: c.id,
    slug: c.slug,
    title: c.title,
    summary: c.summary,
    status: c.status,
    organization: { slug: org!.slug, name: org!.name },
    startsAt: c.startsAt?.toISOString() ?? null,
    endsAt: c.endsAt?.toISOString() ?? null,
    totals: [...totals].map(([currency, t]) => ({
      currency,
      raisedGrossMinor: t.raisedGrossMinor.toString(),
      raisedNetMinor: t.raisedNetMinor.toString(),
      goalMinor: t.goalMinor.toString(),
      donorCount: t.donorCount,
      appealCount: t.appealCount,
    })),
    appeals: rows.map(({ appeal, progress, orgSlug, orgName }) => {
      const total = totals.get(appeal.currency)!.raisedGrossMinor;
      const raised = progress?.raisedGrossMinor ?? 0n;
      return {
        slug: appeal.slug,
        title: appeal.title,
        status: appeal.status,
        organization: { slug: orgSlug, name: orgName },
        currency: appeal.currency,
        goalMinor: appeal.goalMinor.toString(),
        raisedGrossMinor: raised.toString(),
        donorCount: progress?.donorCount ?? 0,
        shareOfCurrencyTotalBasisPoints: total > 0n ? Number((raised * 10_000n) / total) : 0,
      };
    }),
  };
}

export async function listLiveCampaigns(db: DbOrTx, limit: number) {
  return db.select().from(campaigns).where(eq(campaigns.status, 'live')).orderBy(desc(campaigns.publishedAt)).limit(limit);
}
