import { Marked, type Token, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { AppError } from '../errors';

/** Images only from our own uploads: anything else could be a tracking pixel. */
export const ownImagePath = /^\/api\/appeals\/[a-z0-9-]+\/(cover|images\/[0-9a-f-]{36})$/;

type MarkedImage = Tokens.Image & { insideLink?: boolean };

// A link cannot hold a link: an image inside one is told so before it is drawn.
function markImagesInsideLinks(token: Token): void {
  if (token.type !== 'link') return;
  marked.walkTokens((token as Tokens.Link).tokens, (inner) => {
    if (inner.type === 'image') (inner as MarkedImage).insideLink = true;
  });
}

/**
 * A picture from another site would load in every donor's browser (a tracking pixel), so it is
 * not drawn; but the organizer's picture is not lost either: it becomes a link named by its
 * description, which the reader may follow. Inside a link, or with an address that is not
 * http(s), only its description is left.
 */
export function foreignImageLink(token: Tokens.Image): string | null {
  if (ownImagePath.test(token.href) || (token as MarkedImage).insideLink) return null;
  return /^https?:\/\//i.test(token.href) ? token.href : null;
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  walkTokens: markImagesInsideLinks,
  renderer: {
    image(token) {
      if (ownImagePath.test(token.href)) return false;
      const described = token.tokens ? this.parser.parseInline(token.tokens, this.parser.textRenderer) : token.text;
      const words = escapeHtml(described || token.title || '');
      const href = foreignImageLink(token);
      return href ? `<a href="${escapeHtml(href)}">${words || escapeHtml(href)}</a>` : words;
    },
  },
});

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// As marked escapes: an entity the organizer typed (&amp;) stays one entity, not "&amp;amp;".
const escapeHtml = (text: string) => text.replace(/[<>"']|&(?!#?\w+;)/g, (c) => htmlEscapes[c]!);

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
    // An <img> written as HTML keeps its description, as text.
    img: (tagName, attribs) => (ownImagePath.test(attribs.src ?? '') ? { tagName, attribs } : { tagName: 'span', attribs: {}, text: attribs.alt ?? '' }),
  },
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
  return withinMarkedDepth(() => {
    const tokens = marked.lexer(markdown);
    marked.walkTokens(tokens, markImagesInsideLinks);
    return tokens;
  });
}

/**
 * The version of what renderMarkdown makes of a given markdown, stored beside each rendered HTML
 * (story_html_version, body_html_version). Raise it with any change to the renderer's output: HTML
 * an older version made is rendered again in the background (server/content/stale-html.ts), so a
 * story saved before the change reads as one saved after it.
 *   1: a picture from another site is a link named by its description, not nothing (fee23c0).
 */
export const markdownRenderVersion = 1;

/**
 * Organizer-written markdown to HTML that is safe to put in a page: no script, no event
 * handlers, no javascript: or data: links, no images from other sites. Rendered once, when saved.
 */
export function renderMarkdown(markdown: string): string {
  const html = withinMarkedDepth(() => marked.parse(markdown) as string);
  return sanitizeHtml(html, policy);
}
