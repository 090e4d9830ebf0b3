import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../db/client';
import { outboxEmails } from '../../db/schema/index';
import { markdownToText } from '../content/markdown-text';
import { afterMailedText, appealPagesPath, subjectTitleSeparator, updateMailKeyPrefix } from './update-email';

type UpdateText = { title: string; bodyMarkdown: string };

/**
 * Carries a correction of an update's words into its mails not sent yet, in the correction's own
 * transaction, so that a name taken off the page does not still go out by mail. Returns how many
 * mails were rewritten.
 *
 * Only the original's words are replaced, in place: the subject's update title and the text's
 * opening, as updateEmail wrote them. Everything else in the mail stays byte for byte: the appeal's
 * title as she read it, the footer in her language, her own stop link (no new token), the address.
 * A mail of a translation opens with the translation's words, not the original's, so it is left
 * as it is (the correction does not change translations). The words must be followed by the
 * appeal's link, which a translation's mail has only after the line naming the original's
 * language: even a translation identical to the original is told apart.
 *
 * A mail the sender holds (claimed FOR UPDATE SKIP LOCKED, being sent now) is skipped, not waited
 * for: the correction must not hang on an SMTP server. It goes out with the old words, as mail sent
 * before the correction did. Sent mail is never touched, and no mail is added: a donor who asked
 * for news after the update was posted was not mailed it, and is not now.
 */
export async function correctUnsentUpdateMails(tx: DbOrTx, p: { updateId: string; from: UpdateText; to: UpdateText; publicUrl: string }): Promise<number> {
  const oldText = markdownToText(p.from.bodyMarkdown, p.publicUrl);
  const newText = markdownToText(p.to.bodyMarkdown, p.publicUrl);
  const oldOpening = `${oldText}${afterMailedText}${new URL(appealPagesPath, p.publicUrl).toString()}`;
  const oldTitleEnd = `${subjectTitleSeparator}${p.from.title}`;
  // Lengths in characters, as Postgres counts them (left/substr), not JavaScript's UTF-16 units.
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`
    UPDATE ${outboxEmails} AS o
       SET subject = left(o.subject, char_length(o.subject) - char_length(${p.from.title})) || ${p.to.title},
           text_body = ${newText} || substr(o.text_body, char_length(${oldText}) + 1)
      FROM (SELECT id FROM ${outboxEmails}
             WHERE sent_at IS NULL AND kind = 'appeal_update' AND dedupe_key LIKE ${`${updateMailKeyPrefix(p.updateId)}%`}
               AND starts_with(text_body, ${oldOpening}) AND right(subject, char_length(${oldTitleEnd})) = ${oldTitleEnd}
             FOR UPDATE SKIP LOCKED) AS unsent
     WHERE o.id = unsent.id AND o.sent_at IS NULL
    RETURNING o.id`,
  );
  return rows.length;
}
