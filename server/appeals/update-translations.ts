import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client';
import { appealUpdateTranslations, appealUpdates, type Appeal } from '../../db/schema/index';
import { auditAround } from './appeal-audit';
import type { Viewer } from '../auth/permissions';
import { markdownRenderVersion, renderMarkdown } from '../content/markdown';
import { AppError } from '../errors';
import type { ManagedUpdate, UpdateTranslationBody } from './manage-schemas';

type UpdateTranslation = typeof appealUpdateTranslations.$inferSelect;

/** A translation as stored: its text rendered and sanitized once, when saved, like the update's. */
export const renderedTranslation = (updateId: string, t: { language: string; title: string; bodyMarkdown: string }) => ({
  updateId,
  language: t.language,
  title: t.title,
  bodyMarkdown: t.bodyMarkdown,
  bodyHtml: renderMarkdown(t.bodyMarkdown),
  bodyHtmlVersion: markdownRenderVersion,
  updatedAt: new Date(),
});

/** A translation in the update's own language would hide the original behind a copy of it. */
export function checkNotOriginal(updateLanguage: string, translationLanguage: string): void {
  if (translationLanguage === updateLanguage) {
    throw new AppError(400, 'appeal.update_translation_is_original', 'This is the language the update is written in: a translation must be in another.');
  }
}

/** Every translation of these updates, by update, in order of language. */
export async function translationsOfUpdates(db: DbOrTx, updateIds: string[]): Promise<Map<string, UpdateTranslation[]>> {
  const byUpdate = new Map<string, UpdateTranslation[]>();
  if (updateIds.length === 0) return byUpdate;
  const rows = await db.select().from(appealUpdateTranslations).where(inArray(appealUpdateTranslations.updateId, updateIds)).orderBy(asc(appealUpdateTranslations.language));
  for (const t of rows) byUpdate.set(t.updateId, [...(byUpdate.get(t.updateId) ?? []), t]);
  return byUpdate;
}

/** What a reader is given of an update's translations, in order of language: the rendered text, never the markdown. */
export const publicTranslations = (rows: UpdateTranslation[] | undefined) =>
  [...(rows ?? [])].sort((a, b) => a.language.localeCompare(b.language)).map((t) => ({ language: t.language, title: t.title, bodyHtml: t.bodyHtml }));

async function updateOfAppeal(db: DbOrTx, appealId: string, updateId: string) {
  const [update] = await db.select().from(appealUpdates).where(and(eq(appealUpdates.id, updateId), eq(appealUpdates.appealId, appealId)));
  if (!update) throw new AppError(404, 'appeal.update_not_found', 'This appeal has no update by that id.');
  return update;
}

/**
 * The update, its row locked until the transaction ends. A translation takes it `share` and a
 * change of the update's language `no key update`, which conflict: without that, a translation
 * into Spanish and a correction of the update to Spanish could each pass against the other's
 * before-state, and leave a Spanish update with a Spanish translation hiding it.
 */
export async function lockedUpdateOfAppeal(tx: DbOrTx, appealId: string, updateId: string, strength: 'share' | 'no key update') {
  const [update] = await tx.select().from(appealUpdates).where(and(eq(appealUpdates.id, updateId), eq(appealUpdates.appealId, appealId))).for(strength);
  if (!update) throw new AppError(404, 'appeal.update_not_found', 'This appeal has no update by that id.');
  return update;
}

/** An update of `appeal` as its organizers see it, with its translations' markdown to edit. */
export async function managedUpdate(db: DbOrTx, appeal: Appeal, updateId: string): Promise<ManagedUpdate> {
  const update = await updateOfAppeal(db, appeal.id, updateId);
  const translations = (await translationsOfUpdates(db, [update.id])).get(update.id) ?? [];
  return {
    id: update.id,
    title: update.title,
    bodyMarkdown: update.bodyMarkdown,
    bodyHtml: update.bodyHtml,
    language: update.language,
    publishedAt: update.publishedAt.toISOString(),
    editedAt: update.editedAt?.toISOString() ?? null,
    translations: translations.map((t) => ({ language: t.language, title: t.title, bodyMarkdown: t.bodyMarkdown, bodyHtml: t.bodyHtml })),
  };
}

/**
 * Adds or replaces a translation of a posted update. Its mail went out when the update was posted,
 * so a translation written now is for the page only: no one is mailed again.
 */
export async function upsertUpdateTranslation(
  db: Db,
  p: { appeal: Appeal; updateId: string; language: string; body: UpdateTranslationBody; createOnly: boolean; by: Viewer | null; requestId?: string },
): Promise<void> {
  const { from, ...text } = p.body;
  if (from && p.createOnly) throw new AppError(400, 'appeal.update_translation_from_with_create_only', 'If-None-Match: * only adds a translation and `from` only replaces one: send one of them.');
  await db.transaction(async (tx) => {
    const update = await lockedUpdateOfAppeal(tx, p.appeal.id, p.updateId, 'share');
    checkNotOriginal(update.language, p.language);
    const values = renderedTranslation(update.id, { language: p.language, ...text });
    const insert = tx.insert(appealUpdateTranslations).values(values);
    if (from) {
      await checkUpdateTranslationAsRead(tx, { updateId: update.id, language: p.language, from });
      await tx.update(appealUpdateTranslations).set(values).where(and(eq(appealUpdateTranslations.updateId, update.id), eq(appealUpdateTranslations.language, p.language)));
    } else if (p.createOnly) {
      // Adding, not editing: one saved meanwhile (another tab, another organizer) is not overwritten unseen.
      const added = await insert.onConflictDoNothing().returning({ language: appealUpdateTranslations.language });
      if (added.length === 0) throw new AppError(412, 'appeal.update_translation_exists', `A ${p.language} translation of this update exists already; edit it instead.`);
    } else {
      await insert.onConflictDoUpdate({ target: [appealUpdateTranslations.updateId, appealUpdateTranslations.language], set: values });
    }
    await auditAround(tx, p, 'appeal.translate_update', { subjectType: 'appeal_update', subjectId: update.id, after: { language: p.language, title: text.title } });
  });
}

/**
 * As for the appeal's translations: an edit replaces the translation its organizer read, and one
 * changed or removed meanwhile is refused (409) rather than overwritten or brought back unseen.
 */
async function checkUpdateTranslationAsRead(tx: DbOrTx, p: { updateId: string; language: string; from: NonNullable<UpdateTranslationBody['from']> }): Promise<void> {
  const [stored] = await tx
    .select()
    .from(appealUpdateTranslations)
    .where(and(eq(appealUpdateTranslations.updateId, p.updateId), eq(appealUpdateTranslations.language, p.language)))
    .for('update');
  if (!stored) throw new AppError(409, 'appeal.update_translation_removed', `The ${p.language} translation of this update was removed meanwhile; nothing was saved.`, { language: p.language });
  if (stored.title !== p.from.title || stored.bodyMarkdown !== p.from.bodyMarkdown) {
    throw new AppError(409, 'appeal.update_translation_changed', `The ${p.language} translation of this update was changed meanwhile; read it again before replacing it.`, { language: p.language });
  }
}

/**
 * Removes a translation of a posted update: its readers get the update as written again. Nothing
 * is mailed, as nothing was when a translation was added after posting.
 */
export async function deleteUpdateTranslation(db: Db, p: { appeal: Appeal; updateId: string; language: string; by: Viewer | null; requestId?: string }): Promise<void> {
  await db.transaction(async (tx) => {
    const update = await updateOfAppeal(tx, p.appeal.id, p.updateId);
    const [gone] = await tx
      .delete(appealUpdateTranslations)
      .where(and(eq(appealUpdateTranslations.updateId, update.id), eq(appealUpdateTranslations.language, p.language)))
      .returning({ title: appealUpdateTranslations.title });
    if (!gone) throw new AppError(404, 'appeal.update_translation_not_found', `This update has no ${p.language} translation.`);
    await auditAround(tx, p, 'appeal.untranslate_update', { subjectType: 'appeal_update', subjectId: update.id, before: { language: p.language, title: gone.title } });
  });
}
