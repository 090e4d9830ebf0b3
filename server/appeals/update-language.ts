import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { appealUpdateTranslations, appealUpdates, type Appeal } from '../../db/schema/index';
import { auditAround } from './appeal-audit';
import type { Viewer } from '../auth/permissions';
import { AppError } from '../errors';
import { lockedUpdateOfAppeal } from './update-translations';

/**
 * Corrects the language a posted update is marked with (posted as Japanese, written in Spanish), so
 * that pages mark it right: a screen reader's voice, Arabic's direction. Only the mark changes: the
 * words and their rendered HTML stay as they are, and nobody is mailed (the mail went at posting).
 *
 * `from` is the language the organizer saw: another organizer's correction meanwhile is not undone
 * unseen (409 appeal.update_language_changed). A translation into `to` would leave the update with
 * two texts in one language and the translation hiding the original, so it is refused (409
 * appeal.update_language_translated): the organizer removes that translation first, on purpose.
 */
export async function changeUpdateLanguage(db: Db, p: { appeal: Appeal; updateId: string; from: string; to: string; by: Viewer | null; requestId?: string }): Promise<void> {
  await db.transaction(async (tx) => {
    // Locked until commit, against a translation added meanwhile (that takes the row FOR SHARE first).
    const update = await lockedUpdateOfAppeal(tx, p.appeal.id, p.updateId, 'no key update');
    if (update.language !== p.from) {
      throw new AppError(409, 'appeal.update_language_changed', `The update's language was changed meanwhile: it is ${update.language} now.`, { language: update.language });
    }
    if (p.from === p.to) return;
    const [translated] = await tx
      .select({ title: appealUpdateTranslations.title })
      .from(appealUpdateTranslations)
      .where(and(eq(appealUpdateTranslations.updateId, update.id), eq(appealUpdateTranslations.language, p.to)));
    if (translated) {
      throw new AppError(409, 'appeal.update_language_translated', `This update has a ${p.to} translation: remove it before marking the update itself ${p.to}.`, { language: p.to });
    }
    await tx.update(appealUpdates).set({ language: p.to }).where(eq(appealUpdates.id, update.id));
    await auditAround(tx, p, 'appeal.update_language', { subjectType: 'appeal_update', subjectId: update.id, before: { language: p.from }, after: { language: p.to } });
  });
}
