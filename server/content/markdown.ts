import { Marked, type Token } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { AppError } from '../errors';

const marked = new Marked({ gfm: true, breaks: false, async: false });

/** Images only from our own uploads: anything else could be a tracking pixel. */
const ownImagePath = /^\/api\/appeals\/[a-z0-9-]+\/(cover|images\/[0-9a-f-]{36})$/;

const policy: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'hr', 'h2', 'h3', 'h4', 'strong', 'em', 'del', 'blockquote', 'ul', 'ol', 'li', 'a', 'code', 'pre', 'img', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  allowedAttributes: { a: ['href', 'title', 'rel'], img: ['src', 'alt', 'title'], th: ['align'], td: ['align'] },
  allowedSchemes: ['https', 'http', 'mailto'],
  allowedSchemesByTag: { img: [] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // Headings in a story sit under the page's own h1.
    h1: 'h2',
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'nofollow noopener noreferrer ugc' } }),
  },
  exclusiveFilter: (frame) => frame.tag === 'img' && !ownImagePath.test(frame.attribs.src ?? ''),
};

/**
 * Markdown nested deeper than marked's recursion goes (a few thousand ">", "- " or "*" in a row
 * overflow its stack): refused with a 400 the writer can act on, never a 500.
 */
export class MarkdownTooDeep extends AppError {
  constructor() {
    super(400, 'content.too_deeply_nested', 'This text nests quotes, lists or emphasis too deeply to be shown: write it with fewer levels.');
  }
}

function withinMarkedDepth<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof RangeError) throw new MarkdownTooDeep();
    throw err;
  }
}

/** Markdown read as the pages read it, as marked's tokens (the mails render them as plain text). */
export function markdownTokens(markdown: string): Token[] {
  return withinMarkedDepth(() => marked.lexer(markdown));
}

/**
 * Organizer-written markdown to HTML that is safe to put in a page: no script, no event
 * handlers, no javascript: or data: links, no images from other sites. Rendered once, when saved.
 */
export function renderMarkdown(markdown: string): string {
  const html = withinMarkedDepth(() => marked.parse(markdown) as string);
  return sanitizeHtml(html, policy);
}
