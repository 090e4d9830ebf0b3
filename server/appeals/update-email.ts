import { createHash } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { inIdList } from '../../db/id-list';
import { donations, outboxEmails } from '../../db/schema/index';
import { markdownToText } from '../content/markdown-text';
import { isolated, mailText } from '../mail/catalog';
import { languageName } from '../../web/src/lib/format';
import { appealTitleIn, appealTitles } from '../payments/donations-store';
import { getsUpdates, issueStopTokens, stopLinks } from './update-stops';

/** How many addresses an update posted now would go to (the ones mailUpdate mails), by appeal; absent is none. */
export async function countUpdateSubscribers(db: DbOrTx, appealIds: string[]): Promise<Map<string, number>> {
  if (appealIds.length === 0) return new Map();
  const rows = await db
    .select({ appealId: donations.appealId, n: sql<number>`count(DISTINCT lower(${donations.donorEmail}))::int` })
    .from(donations)
    .where(and(inIdList(donations.appealId, appealIds), getsUpdates))
    .groupBy(donations.appealId);
  return new Map(rows.map((r) => [r.appealId, r.n]));
}

/** Mails per INSERT: 6 bound values each, and a body of up to 20,000 characters. */
const mailsPerInsert = 500;

interface UpdateToMail {
  /** With its translations, none in its own language. */
  update: { id: string; title: string; bodyMarkdown: string; language: string; translations: { language: string; title: string; bodyMarkdown: string }[] };
  appeal: { id: string; slug: string; title: string; language: string };
  publicUrl: string;
}

/**
 * Puts the update in the outbox for every address that asked for the appeal's news (once per
 * address, in the language of its latest gift there: the update's translation into it where there
 * is one, else as written), each with its own stop link. Returns how many were mailed.
 */
export async function mailUpdate(tx: DbOrTx, { update, appeal, publicUrl }: UpdateToMail): Promise<number> {
  const recipients = await tx
    .selectDistinctOn([sql`lower(${donations.donorEmail})`], { email: sql<string>`lower(${donations.donorEmail})`, locale: donations.locale })
    .from(donations)
    .where(and(eq(donations.appealId, appeal.id), getsUpdates))
    .orderBy(sql`lower(${donations.donorEmail})`, desc(donations.createdAt));
  const tokens = await issueStopTokens(tx, appeal.id, recipients.map((r) => r.email));
  const titled = { ...appeal, titles: await appealTitles(tx, appeal.id) };
  const words = wordsByLanguage(update, publicUrl);
  const original = words.get(update.language)!;
  for (let from = 0; from < recipients.length; from += mailsPerInsert) {
    const mails = recipients.slice(from, from + mailsPerInsert).map((recipient, i) =>
      updateEmail({
        update: { id: update.id, ...(words.get(recipient.locale) ?? original) },
        appealTitle: appealTitleIn(titled, recipient.locale),
        recipient,
        link: appealLink(publicUrl, appeal.slug, recipient.locale, update.id),
        stop: stopLinks(publicUrl, tokens[from + i]!, recipient.locale),
      }),
    );
    await tx.insert(outboxEmails).values(mails).onConflictDoNothing();
  }
  return recipients.length;
}

/**
 * The update's words in each language it has, as plain text (the markdown's asterisks and brackets
 * would reach the donor as typed): its own, and each translation's, which names the original's.
 */
function wordsByLanguage(update: UpdateToMail['update'], publicUrl: string): Map<string, MailedWords> {
  const words = new Map<string, MailedWords>([[update.language, { title: update.title, body: markdownToText(update.bodyMarkdown, publicUrl), translatedFrom: null }]]);
  for (const t of update.translations) words.set(t.language, { title: t.title, body: markdownToText(t.bodyMarkdown, publicUrl), translatedFrom: update.language });
  return words;
}

interface MailedWords {
  title: string;
  /** As plain text (markdownToText). */
  body: string;
  /** The language of the original these words translate; null for the original itself. */
  translatedFrom: string | null;
}

/** Where every appeal's page is: an update mail of the original's words has a link under it right after its text. */
export const appealPagesPath = '/appeals/';

/** The update on the appeal's page (its newest, so on the first page), in the donor's language whatever their browser says. */
function appealLink(publicUrl: string, slug: string, locale: string, updateId: string): string {
  const link = new URL(`${appealPagesPath}${slug}`, publicUrl);
  link.searchParams.set('lang', locale);
  link.hash = `update-${updateId}`;
  return link.toString();
}

interface UpdateEmailInput {
  /** In the donor's language where it was translated into it. */
  update: MailedWords & { id: string };
  /** As the donor read it: in their language where the organizer translated it. */
  appealTitle: string;
  recipient: { email: string; locale: string };
  /** The appeal's page. */
  link: string;
  stop: { page: string; oneClick: string };
}

/** After the update's words in a mail's text; then the line naming the original's language (a translation) or the link. */
export const afterMailedText = '\n\n';

/** Between the appeal's title and the update's in a mail's subject: a correction finds the update's title after it. */
export const subjectTitleSeparator = ': ';

/** What every mail of one update's dedupe key begins with: the outbox counts an update's mails by it. */
export const updateMailKeyPrefix = (updateId: string) => `update:${updateId}:`;

/**
 * An update as a donor who asked for news receives it: the organizer's words as the page shows
 * them, in plain text (a translation says so, and that the original is on the page), then, in the
 * donor's language below the signature line, why it came and how to stop it.
 */
function updateEmail({ update, appealTitle, recipient, link, stop }: UpdateEmailInput) {
  const { locale } = recipient;
  const footer = [mailText(locale, 'update_why', { appeal: isolated(locale, appealTitle) }), mailText(locale, 'update_stop', { url: stop.page })];
  const translated = update.translatedFrom ? `${mailText(locale, 'update_translated', { language: languageName(update.translatedFrom, locale) })}\n` : '';
  return {
    // The key outlives the mail's text (MAIL_KEEP_DAYS): it names the address only by a hash.
    dedupeKey: `${updateMailKeyPrefix(update.id)}${createHash('sha256').update(recipient.email).digest('hex')}`,
    toAddress: recipient.email,
    subject: `${appealTitle}${subjectTitleSeparator}${update.title}`,
    textBody: `${update.body}${afterMailedText}${translated}${link}\n\n-- \n${footer.join('\n')}\n`,
    kind: 'appeal_update',
    listUnsubscribeUrl: stop.oneClick,
  };
}
