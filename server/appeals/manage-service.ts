import { createHash } from 'node:crypto';
import { and, asc, desc, eq, inArray, lte, ne, notInArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client';
import {
  appealImages,
  appealTranslations,
  appealUpdateTranslations,
  appealUpdates,
  appeals,
  donations,
  organizations,
  outboxEmails,
  type Appeal,
  type Organization,
} from '../../db/schema/index';
import { recordAudit } from '../auth/audit';
import type { Viewer } from '../auth/permissions';
import { markdownRenderVersion, renderMarkdown } from '../content/markdown';
import { declaredImageSize } from './image-size';
import { coverImageUrl } from './service';
import { progressChannel } from './live';
import { checkAppealCursor } from './list-cursor';
import { auditAround } from './appeal-audit';
import { notifyAppealClosed } from './closed-appeal-wake';
import { countUpdateSubscribers, mailUpdate, updateMailKeyPrefix } from './update-email';
import { checkNotOriginal, publicTranslations, renderedTranslation, translationsOfUpdates } from './update-translations';
import { AppError, answerRefusal } from '../errors';
import { formatMinorAsDecimalString, stripeStepMinor } from '../ledger/money';
import type { CreateAppeal, TranslationBody, UpdateAppeal } from './manage-schemas';

interface Actor {
  by: Viewer | null;
  requestId?: string;
}

export async function appealBySlug(db: DbOrTx, slug: string): Promise<Appeal> {
  const [appeal] = await db.select().from(appeals).where(eq(appeals.slug, slug)).limit(1);
  if (!appeal) throw new AppError(404, 'appeal_not_found', `No appeal "${slug}".`);
  return appeal;
}

/** A gift exists (or is on its way through checkout): the database then refuses new money terms. */
async function termsLocked(db: DbOrTx, appealId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: donations.id })
    .from(donations)
    .where(and(eq(donations.appealId, appealId), notInArray(donations.status, ['failed', 'canceled'])))
    .limit(1);
  return row !== undefined;
}

const auditView = (a: Appeal) => ({
  slug: a.slug,
  title: a.title,
  status: a.status,
  currency: a.currency,
  goalMinor: a.goalMinor,
  unitName: a.unitName,
  unitPriceMinor: a.unitPriceMinor,
  deadlineAt: a.deadlineAt,
  beneficiary: a.beneficiary,
  language: a.language,
  storySha256: createHash('sha256').update(a.storyMarkdown).digest('hex'),
});

/**
 * Every instance's cached copy of the appeal and its open streams are told on the channel the
 * poster uses, at commit, so an edit shows at once everywhere.
 */
async function notifyChanged(tx: DbOrTx, appealId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_notify(${progressChannel}, ${appealId})`);
}

async function audit(tx: DbOrTx, actor: Actor, action: string, before: Appeal | null, after: Appeal): Promise<void> {
  if (before) await notifyChanged(tx, after.id);
  await recordAudit(tx, {
    actorUserId: actor.by?.userId ?? null,
    action,
    organizationId: after.organizationId,
    subjectType: 'appeal',
    subjectId: after.id,
    before: before ? auditView(before) : undefined,
    after: auditView(after),
    requestId: actor.requestId,
  });
}

// The guards live in the database (0003); their refusals become answers a person can act on.
const asTermsError = (err: unknown): never =>
  answerRefusal(err, {
    appeals_terms_locked: new AppError(409, 'appeal.terms_locked', 'Goal, currency and unit price are fixed once a gift exists.'),
    appeals_slug_unique: new AppError(409, 'appeal.slug_taken', 'Another appeal already has this address.'),
  });

/**
 * A unit of giving donors can actually give: its price a multiple of what Stripe charges the
 * currency in (KWD in steps of 0.010: a 0.005 "nail" would make 25 nails, 0.125, unpayable), no
 * more than the goal (a wall of no bricks), and a whole number of them making the goal.
 */
function checkUnit(currency: string, goalMinor: bigint, unit: { priceMinor: bigint } | null): void {
  if (!unit) return;
  const step = stripeStepMinor(currency);
  if (unit.priceMinor % step !== 0n) {
    throw new AppError(400, 'appeal.unit_price_not_payable', `Stripe charges ${currency} in steps of ${formatMinorAsDecimalString(step, currency)}: a unit's price must be a multiple of that.`, { stepMinor: step.toString() });
  }
  if (unit.priceMinor > goalMinor) throw new AppError(400, 'appeal.unit_above_goal', "A unit's price cannot be more than the goal.");
  // "Our goal is 1,300 bricks": a goal between two counts of units drew a complete wall short of it.
  if (goalMinor % unit.priceMinor !== 0n) {
    throw new AppError(400, 'appeal.goal_not_whole_units', 'The goal must be a whole number of units: a multiple of the unit\'s price.', { unitsBelow: (goalMinor / unit.priceMinor).toString() });
  }
}

export async function createAppeal(db: Db, p: Actor & { org: Organization; body: CreateAppeal }): Promise<Appeal> {
  const b = p.body;
  if (b.deadlineAt && b.deadlineAt <= new Date()) throw new AppError(400, 'appeal.deadline_past', 'The deadline must be in the future.');
  checkUnit(b.currency, b.goalMinor, b.unit);
  return db
    .transaction(async (tx) => {
      const [created] = await tx
        .insert(appeals)
        .values({
          slug: b.slug,
          organizationId: p.org.id,
          title: b.title,
          summary: b.summary,
          storyMarkdown: b.storyMarkdown,
          storyHtml: renderMarkdown(b.storyMarkdown),
          storyHtmlVersion: markdownRenderVersion,
          beneficiary: b.beneficiary,
          language: b.language,
          currency: b.currency,
          goalMinor: b.goalMinor,
          unitName: b.unit?.name ?? null,
          unitPriceMinor: b.unit?.priceMinor ?? null,
          deadlineAt: b.deadlineAt,
          status: 'draft',
          createdBy: p.by?.userId ?? null,
        })
        .returning();
      await audit(tx, p, 'appeal.create', null, created!);
      return created!;
    })
    .catch(asTermsError);
}

export async function updateAppeal(db: Db, p: Actor & { appeal: Appeal; body: UpdateAppeal }): Promise<Appeal> {
  const b = p.body;
  const set: Partial<typeof appeals.$inferInsert> = { updatedAt: new Date() };
  if (b.title !== undefined) set.title = b.title;
  if (b.summary !== undefined) set.summary = b.summary;
  if (b.storyMarkdown !== undefined) Object.assign(set, { storyMarkdown: b.storyMarkdown, storyHtml: renderMarkdown(b.storyMarkdown), storyHtmlVersion: markdownRenderVersion });
  if (b.beneficiary !== undefined) set.beneficiary = b.beneficiary;
  if (b.language !== undefined) set.language = b.language;
  if (b.currency !== undefined) set.currency = b.currency;
  if (b.goalMinor !== undefined) set.goalMinor = b.goalMinor;
  if (b.unit !== undefined) Object.assign(set, { unitName: b.unit?.name ?? null, unitPriceMinor: b.unit?.priceMinor ?? null });
  if (b.deadlineAt !== undefined) set.deadlineAt = b.deadlineAt;
  return db
    .transaction(async (tx) => {
      // Checked against the appeal as it stands, locked until this edit commits: two organizers
      // changing the goal and the unit at once would each pass against the appeal they read, and
      // together leave a unit above the goal (or a close would slip in before the edit). The lock
      // an UPDATE takes anyway, which foreign-key checks on the appeal (gifts, progress) pass.
      const [current] = await tx.select().from(appeals).where(eq(appeals.id, p.appeal.id)).for('no key update');
      if (!current) throw new AppError(404, 'appeal_not_found', `No appeal "${p.appeal.slug}".`);
      if (current.status === 'closed') throw new AppError(409, 'appeal.closed', 'A closed appeal cannot be edited.');
      if (b.deadlineAt && b.deadlineAt <= new Date()) throw new AppError(400, 'appeal.deadline_past', 'The deadline must be in the future.');
      if (b.language !== undefined && b.language !== current.language) await checkNotTranslatedInto(tx, current, b.language);
      // The terms as they will stand, when they change: a new currency or goal must fit the unit kept.
      // An edit that leaves them alone is not refused for a unit made before this rule.
      if (b.currency !== undefined || b.goalMinor !== undefined || b.unit !== undefined) {
        const kept = current.unitPriceMinor === null ? null : { priceMinor: current.unitPriceMinor };
        checkUnit(b.currency ?? current.currency, b.goalMinor ?? current.goalMinor, b.unit === undefined ? kept : b.unit);
      }
      const [updated] = await tx.update(appeals).set(set).where(eq(appeals.id, current.id)).returning();
      await audit(tx, p, 'appeal.update', current, updated!);
      return updated!;
    })
    .catch(asTermsError);
}

export async function publishAppeal(db: Db, p: Actor & { appeal: Appeal }): Promise<Appeal> {
  if (p.appeal.status !== 'draft') throw new AppError(409, 'appeal.not_draft', `The appeal is ${p.appeal.status}, not a draft.`);
  if (p.appeal.deadlineAt && p.appeal.deadlineAt <= new Date()) {
    throw new AppError(409, 'appeal.deadline_past', 'The deadline has passed; set a new one before publishing.');
  }
  return db.transaction(async (tx) => {
    const [live] = await tx
      .update(appeals)
      .set({ status: 'live', publishedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(appeals.id, p.appeal.id), eq(appeals.status, 'draft')))
      .returning();
    if (!live) throw new AppError(409, 'appeal.not_draft', 'The appeal was published or changed meanwhile.');
    await audit(tx, p, 'appeal.publish', p.appeal, live);
    return live;
  });
}

export async function closeAppeal(db: Db, p: Actor & { appeal: Appeal }): Promise<Appeal> {
  if (p.appeal.status !== 'live') throw new AppError(409, 'appeal.not_live', `The appeal is ${p.appeal.status}, not live.`);
  return db.transaction(async (tx) => {
    const [closed] = await tx
      .update(appeals)
      .set({ status: 'closed', closedAt: sql`now()`, closedReason: 'manual', updatedAt: sql`now()` })
      .where(and(eq(appeals.id, p.appeal.id), eq(appeals.status, 'live')))
      .returning();
    if (!closed) throw new AppError(409, 'appeal.not_live', 'The appeal was closed meanwhile.');
    await audit(tx, p, 'appeal.close', p.appeal, closed);
    await notifyAppealClosed(tx, closed.id);
    return closed;
  });
}

/** The scheduled job: live appeals whose deadline passed close, each with its audit record. */
export async function closeExpiredAppeals(db: Db, limit = 100): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(appeals)
      .where(and(eq(appeals.status, 'live'), lte(appeals.deadlineAt, sql`now()`)))
      .orderBy(asc(appeals.deadlineAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    for (const appeal of due) {
      const [closed] = await tx
        .update(appeals)
        .set({ status: 'closed', closedAt: sql`now()`, closedReason: 'deadline', updatedAt: sql`now()` })
        .where(eq(appeals.id, appeal.id))
        .returning();
      await audit(tx, { by: null }, 'appeal.close_deadline', appeal, closed!);
      await notifyAppealClosed(tx, appeal.id);
    }
    return due.length;
  });
}

/**
 * An appeal marked with a language it has a translation into would have two texts in that
 * language, the translation hiding the original from its readers: refused, as for an update
 * (409), and the organizer removes that translation first, on purpose. A translation being saved
 * holds the appeal FOR SHARE, so this sees it once it commits, or it sees the language changed.
 */
async function checkNotTranslatedInto(tx: DbOrTx, appeal: Appeal, language: string): Promise<void> {
  const [translated] = await tx
    .select({ language: appealTranslations.language })
    .from(appealTranslations)
    .where(and(eq(appealTranslations.appealId, appeal.id), eq(appealTranslations.language, language)));
  if (translated) {
    throw new AppError(409, 'appeal.language_translated', `This appeal has a ${language} translation: remove it before marking the appeal itself ${language}.`, { language });
  }
}

export async function upsertTranslation(
  db: Db,
  p: Actor & { appeal: Appeal; language: string; body: TranslationBody; createOnly?: boolean },
): Promise<void> {
  // Refused, not dropped: like an unknown field, a unit name with nothing to name is the caller's
  // mistake, and silently saving less than was sent would look like success.
  const { from, ...text } = p.body;
  if (from && p.createOnly) throw new AppError(400, 'appeal.translation_from_with_create_only', 'If-None-Match: * only adds a translation and `from` only replaces one: send one of them.');
  if (text.unitName !== null && p.appeal.unitName === null) {
    throw new AppError(400, 'appeal.translation_unit_without_unit', 'This appeal has no unit of giving, so a translation cannot name one; give the appeal a unit first, or leave unitName out.');
  }
  await db.transaction(async (tx) => {
    // The language as it stands, held until commit: an organizer marking the appeal itself with
    // this language meanwhile waits for this translation and is refused, or is seen here first.
    const current = await openAppealLocked(tx, p.appeal, 'share');
    if (p.language === current.language) {
      throw new AppError(400, 'appeal.translation_is_original', 'This is the language the appeal is written in; edit the appeal itself.');
    }
    const values = { ...text, storyHtml: renderMarkdown(text.storyMarkdown), storyHtmlVersion: markdownRenderVersion, updatedAt: new Date() };
    const insert = tx.insert(appealTranslations).values({ appealId: p.appeal.id, language: p.language, ...values });
    if (from) {
      await checkTranslationAsRead(tx, { appealId: p.appeal.id, language: p.language, from });
      await tx.update(appealTranslations).set(values).where(and(eq(appealTranslations.appealId, p.appeal.id), eq(appealTranslations.language, p.language)));
    } else if (p.createOnly) {
      // Adding, not editing: one saved meanwhile (another tab, another organizer) is not overwritten unseen.
      const added = await insert.onConflictDoNothing().returning({ language: appealTranslations.language });
      if (added.length === 0) throw new AppError(412, 'appeal.translation_exists', `A ${p.language} translation exists already; edit it instead.`);
    } else {
      await insert.onConflictDoUpdate({ target: [appealTranslations.appealId, appealTranslations.language], set: values });
    }
    await notifyChanged(tx, p.appeal.id);
    await auditAround(tx, p, 'appeal.translate', { after: { language: p.language, title: text.title, unitName: text.unitName } });
  });
}

/**
 * An edit replaces the translation its organizer read, and no other: one changed or removed by
 * another organizer meanwhile is refused (409), never overwritten or brought back unseen. The row
 * is locked until commit, so a second edit read at the same text waits for this one and then
 * meets its words.
 */
async function checkTranslationAsRead(tx: DbOrTx, p: { appealId: string; language: string; from: NonNullable<TranslationBody['from']> }): Promise<void> {
  const [stored] = await tx
    .select()
    .from(appealTranslations)
    .where(and(eq(appealTranslations.appealId, p.appealId), eq(appealTranslations.language, p.language)))
    .for('update');
  if (!stored) throw new AppError(409, 'appeal.translation_removed', `The ${p.language} translation was removed meanwhile; nothing was saved.`, { language: p.language });
  const { from } = p;
  if (stored.title !== from.title || stored.summary !== from.summary || stored.storyMarkdown !== from.storyMarkdown || stored.unitName !== from.unitName) {
    throw new AppError(409, 'appeal.translation_changed', `The ${p.language} translation was changed meanwhile; read it again before replacing it.`, { language: p.language });
  }
}

export async function deleteTranslation(db: Db, p: Actor & { appeal: Appeal; language: string }): Promise<void> {
  await db.transaction(async (tx) => {
    await openAppealLocked(tx, p.appeal, 'share');
    const gone = await tx
      .delete(appealTranslations)
      .where(and(eq(appealTranslations.appealId, p.appeal.id), eq(appealTranslations.language, p.language)))
      .returning();
    if (gone.length === 0) throw new AppError(404, 'appeal.translation_not_found', `No ${p.language} translation.`);
    await notifyChanged(tx, p.appeal.id);
    await auditAround(tx, p, 'appeal.untranslate', { before: { language: p.language, title: gone[0]!.title } });
  });
}

/**
 * The appeal as it stands, locked until commit, refused once closed: a closed appeal's own words
 * cannot be edited (updateAppeal), and neither can what readers get with them, its translations and
 * its cover. A close meanwhile waits for this lock, or is seen here.
 */
async function openAppealLocked(tx: DbOrTx, appeal: Appeal, strength: 'share' | 'no key update'): Promise<{ language: string }> {
  const [current] = await tx.select({ language: appeals.language, status: appeals.status }).from(appeals).where(eq(appeals.id, appeal.id)).for(strength);
  if (!current) throw new AppError(404, 'appeal_not_found', `No appeal "${appeal.slug}".`);
  if (current.status === 'closed') throw new AppError(409, 'appeal.closed', 'A closed appeal cannot be edited.');
  return current;
}

export async function translationsOf(db: DbOrTx, appealId: string) {
  return db.select().from(appealTranslations).where(eq(appealTranslations.appealId, appealId)).orderBy(appealTranslations.language);
}

/** An appeal as its organizers see it; `updateSubscribers` when the caller counted them for many appeals at once. */
export async function managedView(db: DbOrTx, appeal: Appeal, updateSubscribers?: number) {
  const [org] = await db.select().from(organizations).where(eq(organizations.id, appeal.organizationId));
  const translations = await translationsOf(db, appeal.id);
  return {
    id: appeal.id,
    slug: appeal.slug,
    organization: { slug: org!.slug, name: org!.name },
    title: appeal.title,
    summary: appeal.summary,
    storyMarkdown: appeal.storyMarkdown,
    storyHtml: appeal.storyHtml,
    beneficiary: appeal.beneficiary,
    language: appeal.language,
    currency: appeal.currency,
    goalMinor: appeal.goalMinor.toString(),
    unit: appeal.unitName && appeal.unitPriceMinor ? { name: appeal.unitName, priceMinor: appeal.unitPriceMinor.toString() } : null,
    deadlineAt: appeal.deadlineAt?.toISOString() ?? null,
    status: appeal.status,
    termsLocked: await termsLocked(db, appeal.id),
    coverImageUrl: coverImageUrl(appeal),
    translations: translations.map((t) => ({ language: t.language, title: t.title, summary: t.summary, storyMarkdown: t.storyMarkdown, storyHtml: t.storyHtml, unitName: t.unitName })),
    publishedAt: appeal.publishedAt?.toISOString() ?? null,
    closedAt: appeal.closedAt?.toISOString() ?? null,
    closedReason: appeal.closedReason,
    updateSubscribers: updateSubscribers ?? (await countUpdateSubscribers(db, [appeal.id])).get(appeal.id) ?? 0,
  };
}

export async function listOrganizationAppeals(db: DbOrTx, organizationId: string) {
  return db.select().from(appeals).where(eq(appeals.organizationId, organizationId)).orderBy(desc(appeals.createdAt)).limit(500);
}

/**
 * An update goes on the appeal page and, by email, to every donor who asked for updates (once per
 * address), in her language where a translation posted with it has one. With an idempotency key
 * it is posted once: a second request with the key (a double click, a resent form, a retry after a
 * lost answer) gets the first update back and mails no one, and one with the key but other words
 * or another language is refused (409) rather than taken for the first. Its translations are not
 * compared: they may have been edited since, and the mail they went out with is gone either way.
 */
export async function postUpdate(
  db: Db,
  p: Actor & { appeal: Appeal; title: string; bodyMarkdown: string; language?: string; translations?: UpdateTranslationText[]; publicUrl: string; idempotencyKey?: string },
) {
  if (p.appeal.status === 'draft') throw new AppError(409, 'appeal.not_published', 'Publish the appeal before posting updates.');
  const language = p.language ?? p.appeal.language;
  const translations = p.translations ?? [];
  for (const t of translations) checkNotOriginal(language, t.language);
  return db.transaction(async (tx) => {
    const values = {
      appealId: p.appeal.id,
      language,
      title: p.title,
      bodyMarkdown: p.bodyMarkdown,
      bodyHtml: renderMarkdown(p.bodyMarkdown),
      bodyHtmlVersion: markdownRenderVersion,
      authorUserId: p.by?.userId ?? null,
      idempotencyKey: p.idempotencyKey ?? null,
    };
    // Two requests with one key at once: the unique index makes the second wait for the first
    // and then insert nothing, so only the request that inserted mails.
    const [update] = await tx
      .insert(appealUpdates)
      .values(values)
      .onConflictDoNothing({ target: [appealUpdates.appealId, appealUpdates.idempotencyKey] })
      .returning();
    if (!update) return replayedUpdate(tx, p.appeal.id, p.idempotencyKey!, values);
    const translated = translations.length === 0 ? [] : await tx.insert(appealUpdateTranslations).values(translations.map((t) => renderedTranslation(update.id, t))).returning();
    const emailedTo = await mailUpdate(tx, { update: { ...update, translations }, appeal: p.appeal, publicUrl: p.publicUrl });
    await auditAround(tx, p, 'appeal.post_update', {
      subjectType: 'appeal_update',
      subjectId: update.id,
      after: { appealId: p.appeal.id, title: p.title, language, translations: translations.map((t) => t.language), emailedTo },
    });
    return updateView(update, translated, emailedTo);
  });
}

type UpdateTranslationText = { language: string; title: string; bodyMarkdown: string };
type UpdateRow = typeof appealUpdates.$inferSelect;
type UpdateTranslationRow = typeof appealUpdateTranslations.$inferSelect;

const publicUpdate = (u: UpdateRow, translations: UpdateTranslationRow[] | undefined) => ({
  id: u.id,
  title: u.title,
  bodyHtml: u.bodyHtml,
  language: u.language,
  publishedAt: u.publishedAt.toISOString(),
  editedAt: u.editedAt?.toISOString() ?? null,
  translations: publicTranslations(translations),
});
const updateView = (u: UpdateRow, translations: UpdateTranslationRow[] | undefined, emailedTo: number) => ({ ...publicUpdate(u, translations), emailedTo });

/** The update a key already posted, as it was answered then: emailedTo counts the mails it put in the outbox. */
async function replayedUpdate(tx: DbOrTx, appealId: string, key: string, asked: { title: string; bodyMarkdown: string; language: string }) {
  const [first] = await tx.select().from(appealUpdates).where(and(eq(appealUpdates.appealId, appealId), eq(appealUpdates.idempotencyKey, key)));
  // The insert met this row's key, and rows are never deleted: it is there to read.
  if (!first) throw new Error(`postUpdate: key ${key} conflicted but no update holds it`);
  if (first.title !== asked.title || first.bodyMarkdown !== asked.bodyMarkdown || first.language !== asked.language) {
    throw new AppError(409, 'appeal.update_idempotency_conflict', 'This idempotency key already posted a different update; use a new key for a new update.', { updateId: first.id });
  }
  const [mailed] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(outboxEmails)
    .where(and(eq(outboxEmails.kind, 'appeal_update'), sql`${outboxEmails.dedupeKey} LIKE ${`${updateMailKeyPrefix(first.id)}%`}`));
  return updateView(first, (await translationsOfUpdates(tx, [first.id])).get(first.id), mailed?.n ?? 0);
}

/**
 * One page of an appeal's updates, newest first. Keyset paging over (published_at desc, id desc)
 * with the last update's id as the cursor: the database compares its own microsecond timestamp, so
 * no update is skipped between pages, and a new update does not shift the older pages.
 */
export async function listUpdates(db: DbOrTx, p: { appealId: string; limit: number; cursor?: string }) {
  const where = [eq(appealUpdates.appealId, p.appealId)];
  if (p.cursor !== undefined) {
    await checkAppealCursor(db, appealUpdates, { appealId: p.appealId, cursor: p.cursor });
    where.push(sql`(${appealUpdates.publishedAt}, ${appealUpdates.id}) < (SELECT u.published_at, u.id FROM appeal_updates u WHERE u.id = ${p.cursor})`);
  }
  const rows = await db
    .select()
    .from(appealUpdates)
    .where(and(...where))
    .orderBy(desc(appealUpdates.publishedAt), desc(appealUpdates.id))
    .limit(p.limit + 1);
  const page = rows.slice(0, p.limit);
  const translations = await translationsOfUpdates(db, page.map((u) => u.id));
  return {
    updates: page.map((u) => publicUpdate(u, translations.get(u.id))),
    nextCursor: rows.length > p.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

const imageSignatures: { type: string; test: (b: Buffer) => boolean }[] = [
  { type: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
];
export const coverImageMaxBytes = 2 * 1024 * 1024;
/**
 * What a cover may declare: a phone's photo (4,000 × 3,000) and more, while a donor's phone still
 * draws it (40 MP is 160 MB decoded); 2 MB of compressed pixels can declare far more.
 */
export const coverImageSideMaxPx = 8_000;
export const coverImagePixelsMax = 40_000_000;

/** A cover is taken only if its bytes are the image type it claims (no SVG: it can carry script). */
export async function setCover(db: Db, p: Actor & { appeal: Appeal; contentType: string; bytes: Buffer }): Promise<void> {
  const kind = imageSignatures.find((s) => s.type === p.contentType);
  if (!kind) throw new AppError(415, 'cover.unsupported_type', 'A cover must be a PNG, JPEG or WebP image.');
  if (p.bytes.length === 0 || p.bytes.length > coverImageMaxBytes) throw new AppError(413, 'cover.too_large', 'A cover must be at most 2 MB.');
  if (!kind.test(p.bytes)) throw new AppError(415, 'cover.not_an_image', `The file is not a ${p.contentType} image.`);
  const size = declaredImageSize(p.contentType, p.bytes);
  if (size && (Math.max(size.width, size.height) > coverImageSideMaxPx || size.width * size.height > coverImagePixelsMax)) {
    throw new AppError(422, 'cover.too_many_pixels', `A cover can be at most ${coverImageSideMaxPx} pixels wide or high, and ${coverImagePixelsMax / 1_000_000} megapixels in all.`, { ...size });
  }
  await db.transaction(async (tx) => {
    await openAppealLocked(tx, p.appeal, 'no key update');
    const sha256 = createHash('sha256').update(p.bytes).digest('hex');
    const [image] = await tx
      .insert(appealImages)
      .values({ appealId: p.appeal.id, contentType: p.contentType, sizeBytes: p.bytes.length, sha256, bytes: p.bytes })
      .returning({ id: appealImages.id });
    await tx.update(appeals).set({ coverImageId: image!.id, updatedAt: sql`now()` }).where(eq(appeals.id, p.appeal.id));
    await notifyChanged(tx, p.appeal.id);
    await auditAround(tx, p, 'appeal.set_cover', { after: { imageId: image!.id, contentType: p.contentType, sizeBytes: p.bytes.length, sha256 } });
  });
}

export async function coverOf(db: DbOrTx, appeal: Appeal) {
  if (!appeal.coverImageId) return null;
  const [image] = await db.select().from(appealImages).where(eq(appealImages.id, appeal.coverImageId));
  return image ?? null;
}

/**
 * What the public wall shows of one gift: its message (approved or hidden) and its donor's name
 * (shown or taken down), in one transaction. A message to moderate must exist; a name to take down
 * must be one the wall shows (a first gift, not an anonymous one).
 */
export async function moderateWallEntry(db: Db, p: Actor & { appeal: Appeal; donationId: string; messageStatus?: 'approved' | 'hidden'; nameHidden?: boolean }): Promise<void> {
  await db.transaction(async (tx) => {
    const [before] = await tx
      .select({ messageStatus: donations.messageStatus, nameHidden: donations.nameHidden, named: sql<boolean>`${donations.donorName} IS NOT NULL AND NOT ${donations.anonymous} AND ${donations.parentDonationId} IS NULL` })
      .from(donations)
      .where(and(eq(donations.id, p.donationId), eq(donations.appealId, p.appeal.id)))
      .for('update');
    if (p.messageStatus !== undefined && (!before || before.messageStatus === 'none')) throw new AppError(404, 'donation.no_message', 'No gift with a message by that id on this appeal.');
    if (p.nameHidden !== undefined && (!before || !before.named)) throw new AppError(404, 'donation.no_name', 'No gift by that id whose name the wall shows on this appeal.');
    await tx
      .update(donations)
      .set({ ...(p.messageStatus !== undefined ? { messageStatus: p.messageStatus } : {}), ...(p.nameHidden !== undefined ? { nameHidden: p.nameHidden } : {}) })
      .where(eq(donations.id, p.donationId));
    const subject = { subjectType: 'donation', subjectId: p.donationId } as const;
    if (p.messageStatus !== undefined) await auditAround(tx, p, 'appeal.moderate_message', { ...subject, before: { messageStatus: before!.messageStatus }, after: { messageStatus: p.messageStatus } });
    if (p.nameHidden !== undefined) await auditAround(tx, p, 'appeal.moderate_name', { ...subject, before: { nameHidden: before!.nameHidden }, after: { nameHidden: p.nameHidden } });
  });
}
