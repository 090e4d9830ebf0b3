import type { AppealUpdateList } from './types';

type Update = AppealUpdateList['updates'][number];

export interface UpdateText {
  /** The language title and body are written in, to mark them with. */
  language: string;
  title: string;
  bodyHtml: string;
  /** The reader is shown a translation. */
  translated: boolean;
  /** The update has a translation into the reader's language, shown or not: she can switch. */
  translatable: boolean;
}

/**
 * What a reader of `locale` is shown of an update: the organizers' translation into her language
 * where there is one, unless she asked for the original; else the original.
 */
export function updateTextFor(update: Update, locale: string, asWritten: boolean): UpdateText {
  const translation = update.language === locale ? undefined : update.translations.find((t) => t.language === locale);
  if (!translation || asWritten) return { language: update.language, title: update.title, bodyHtml: update.bodyHtml, translated: false, translatable: translation !== undefined };
  return { language: translation.language, title: translation.title, bodyHtml: translation.bodyHtml, translated: true, translatable: true };
}

/** The search parameter naming each update shown as written, so a page without JavaScript keeps the choice. */
export const originalParam = 'original';

/**
 * The page's address with `updateId` added to the updates shown as written (or taken off, when it
 * is one), at that update: the link that switches between a translation and its original.
 */
/** The updates shown as written once `updateId` is switched: added, or taken off when it is one. */
export const toggled = (asWritten: string[], updateId: string): string[] => (asWritten.includes(updateId) ? asWritten.filter((id) => id !== updateId) : [...asWritten, updateId]);

export function switchedHref(url: URL, asWritten: string[], updateId: string): string {
  const next = new URL(url);
  next.searchParams.delete(originalParam);
  for (const id of toggled(asWritten, updateId)) next.searchParams.append(originalParam, id);
  next.hash = `update-${updateId}`;
  return `${next.pathname}${next.search}${next.hash}`;
}
