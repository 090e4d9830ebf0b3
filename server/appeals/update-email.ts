import { isolated, mailText } from '../mail/catalog';

interface UpdateEmailInput {
  update: { id: string; title: string; bodyMarkdown: string };
  appeal: { title: string };
  recipient: { email: string; locale: string };
  /** The appeal's page. */
  link: string;
  stop: { page: string; oneClick: string };
}

/**
 * An update as a donor who asked for news receives it: the organizer's words as written, then, in
 * the donor's language below the signature line, why it came and how to stop it.
 */
export function updateEmail({ update, appeal, recipient, link, stop }: UpdateEmailInput) {
  const { locale } = recipient;
  const footer = [mailText(locale, 'update_why', { appeal: isolated(locale, appeal.title) }), mailText(locale, 'update_stop', { url: stop.page })];
  return {
    dedupeKey: `update:${update.id}:${recipient.email}`,
    toAddress: recipient.email,
    subject: `${appeal.title}: ${update.title}`,
    textBody: `${update.bodyMarkdown}\n\n${link}\n\n-- \n${footer.join('\n')}\n`,
    kind: 'appeal_update',
    listUnsubscribeUrl: stop.oneClick,
  };
}
