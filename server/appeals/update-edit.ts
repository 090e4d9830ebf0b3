import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { appealUpdates, type Appeal } from '../../db/schema/index';
import { auditAround } from './appeal-audit';
import type { Viewer } from '../auth/permissions';
import { markdownRenderVersion, renderMarkdown } from '../content/markdown';
import { AppError } from '../errors';
import type { UpdateTextBody } from './manage-schemas';
import { correctUnsentUpdateMails } from './update-mail-correction';
import { lockedUpdateOfAppeal } from './update-translations';

type UpdateText = { title: string; bodyMarkdown: string };

/*
 * The audit keeps a fingerprint and the length of the title and of the text, never the words: a
 * correction is often made to take a name off the page (titles carry names as texts do), and an
 * append-only log that kept the old words would publish them to every later reader of the log.
 * The fingerprints say whether each changed; `changed` says it without comparing them.
 */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const auditView = (t: UpdateText) => ({ titleSha256: sha256(t.title), titleLength: t.title.length, bodySha256: sha256(t.bodyMarkdown), bodyLength: t.bodyMarkdown.length });
const changedParts = (from: UpdateText, to: UpdateText) => [...(from.title !== to.title ? ['title'] : []), ...(from.bodyMarkdown !== to.bodyMarkdown ? ['body'] : [])];

/**
 * Corrects a posted update's title and text (a typo, a wrong date, a name that must not be
 * published). The text is rendered and sanitized now, by this renderer, as posting does; the
 * update is marked edited so that its page can say the words changed since the mail went out.
 * Nobody is mailed again, and its translations stay as they are (the organizer corrects them); its
 * mails not sent yet carry the corrected words (correctUnsentUpdateMails).
 *
 * `from` is the text the organizer's form was drawn from: another organizer's correction meanwhile
 * is refused (409 appeal.update_text_changed), never silently overwritten.
 */
export async function editUpdateText(db: Db, p: { appeal: Appeal; updateId: string; body: UpdateTextBody; by: Viewer | null; requestId?: string; publicUrl: string }): Promise<void> {
  const { from, to } = p.body;
  await db.transaction(async (tx) => {
    // Locked until commit: a second correction waits for this one and then meets its `from`; the
    // stale-HTML job skips a row held here, and this write carries the current render version.
    const update = await lockedUpdateOfAppeal(tx, p.appeal.id, p.updateId, 'no key update');
    if (update.title !== from.title || update.bodyMarkdown !== from.bodyMarkdown) {
      throw new AppError(409, 'appeal.update_text_changed', "The update's title or text was changed meanwhile; read it again before correcting it.");
    }
    if (to.title === from.title && to.bodyMarkdown === from.bodyMarkdown) return;
    const bodyHtml = renderMarkdown(to.bodyMarkdown);
    await tx
      .update(appealUpdates)
      .set({ title: to.title, bodyMarkdown: to.bodyMarkdown, bodyHtml, bodyHtmlVersion: markdownRenderVersion, editedAt: sql`now()` })
      .where(eq(appealUpdates.id, update.id));
    await correctUnsentUpdateMails(tx, { updateId: update.id, from: update, to, publicUrl: p.publicUrl });
    await auditAround(tx, p, 'appeal.edit_update', { subjectType: 'appeal_update', subjectId: update.id, before: auditView(update), after: { ...auditView(to), changed: changedParts(update, to) } });
  });
}
