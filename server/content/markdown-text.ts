import { decodeHTML, decodeHTMLAttribute } from 'entities';
import type { MarkedToken, Token, Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { foreignImageLink, markdownTokens } from './markdown';

/**
 * Organizer-written markdown as a plain-text mail reads it: what the page shows, without the
 * markup. Bold and italics lose their markers, a link reads "text (url)", list items "- item" or
 * "1. item", headings and paragraphs are lines of their own, and entities are the characters they
 * stand for. Rendered from marked's tokens, so the mail and the page read the same markdown.
 * `baseUrl` makes a link to one of our pages ("/appeals/x") one a mail can follow.
 */
export function markdownToText(markdown: string, baseUrl: string): string {
  return blocks(markdownTokens(markdown), baseUrl, '\n\n');
}

function blocks(tokens: Token[], baseUrl: string, between: string): string {
  return tokens
    .map((t) => block(t, baseUrl))
    .filter((text) => text !== '')
    .join(between);
}

function block(token: Token, baseUrl: string): string {
  // Marked's own tokens by their type; anything else comes from an extension (the default).
  const t = token as MarkedToken;
  switch (t.type) {
    case 'paragraph':
    case 'heading':
      return inline(t.tokens, baseUrl);
    case 'text':
      return t.tokens ? inline(t.tokens, baseUrl) : decodeHTML(t.text);
    case 'list':
      return list(t, baseUrl);
    case 'blockquote':
      return prefixLines(blocks(t.tokens, baseUrl, '\n\n'), '> ', '>');
    case 'code':
      return t.text;
    case 'hr':
      return '---';
    case 'html':
      return htmlText(t.text, baseUrl).trim();
    case 'table':
      return [t.header, ...t.rows].map((row) => row.map((cell) => inline(cell.tokens, baseUrl)).join(' | ')).join('\n');
    case 'space':
    case 'def':
    case 'checkbox':
      return '';
    default:
      return extensionText(token, baseUrl);
  }
}

/** A token of a marked extension: its words, whatever it is. */
function extensionText(token: Tokens.Generic, baseUrl: string): string {
  return token.tokens ? inline(token.tokens, baseUrl) : typeof token.text === 'string' ? decodeHTML(token.text) : '';
}

function list(t: Tokens.List, baseUrl: string): string {
  const first = typeof t.start === 'number' ? t.start : 1;
  return t.items
    .map((item, i) => {
      const marker = t.ordered ? `${first + i}.` : '-';
      const box = item.task ? (item.checked ? '[x] ' : '[ ] ') : '';
      // A loose item's paragraphs keep their blank line; a nested list sits under its item.
      const body = blocks(item.tokens, baseUrl, item.loose ? '\n\n' : '\n');
      return `${marker} ${box}${prefixLines(body, ' '.repeat(marker.length + 1), '').trimStart()}`;
    })
    .join(t.loose ? '\n\n' : '\n');
}

function inline(tokens: Token[], baseUrl: string): string {
  if (!tokens.some((t) => t.type === 'html')) return tokens.map((t) => inlineToken(t, baseUrl)).join('');
  // Inline HTML comes as one token per tag ("<a href=…>", "words", "</a>"): read alone, a tag
  // loses what it means for the words between (a link's address, a style's rules), so the run is
  // put back together as HTML, its markdown as escaped text, and read whole.
  return htmlText(tokens.map((t) => (t.type === 'html' ? t.text : escapeHtml(inlineToken(t, baseUrl)))).join(''), baseUrl);
}

function inlineToken(token: Token, baseUrl: string): string {
  const t = token as MarkedToken;
  switch (t.type) {
    case 'text':
      return 'tokens' in t && t.tokens ? inline(t.tokens, baseUrl) : decodeHTML(t.text);
    case 'strong':
    case 'em':
    case 'del':
      return inline(t.tokens, baseUrl);
    // Literal by definition: a backslash escape, and code, whose entities CommonMark leaves as typed.
    case 'escape':
    case 'codespan':
      return t.text;
    case 'br':
      return '\n';
    case 'link':
      return link(t, baseUrl);
    case 'image': {
      // As the page shows it: a picture from another site is a link, our own is its description.
      const href = foreignImageLink(t);
      return href ? linkText(decodeHTML(t.text), mailableUrl(decodeHTMLAttribute(href), baseUrl)) : decodeHTML(t.text);
    }
    case 'html':
      return htmlText(t.text, baseUrl);
    case 'checkbox':
      return '';
    default:
      return extensionText(token, baseUrl);
  }
}

/**
 * "text (url)", or the text alone when it is the address already (an autolink) or when the page
 * would not link it either (a scheme the page's sanitizer refuses, such as javascript:).
 */
function link(t: Tokens.Link, baseUrl: string): string {
  return linkText(inline(t.tokens, baseUrl), mailableUrl(decodeHTMLAttribute(t.href), baseUrl));
}

function linkText(text: string, href: string | null): string {
  if (!href) return text;
  const shown = href.startsWith('mailto:') ? href.slice('mailto:'.length) : href;
  if (text === shown || href === `http://${text}`) return text;
  return text ? `${text} (${shown})` : shown;
}

/** An address a mail reader can open: http(s) and mailto as written, our own paths made absolute. */
function mailableUrl(href: string, baseUrl: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href)?.[1]?.toLowerCase();
  if (scheme === 'mailto') return href;
  // As a URL writes it ("a b" as "a%20b"): a mail reader ends a link at its first space.
  if (scheme) return ['http', 'https'].includes(scheme) && URL.canParse(href) ? (/\s/.test(href) ? new URL(href).href : href) : null;
  // Protocol-relative ("//elsewhere.example") is refused on the page too.
  if (href === '' || href.startsWith('//')) return null;
  try {
    return new URL(href, baseUrl).toString();
  } catch {
    return null;
  }
}

/**
 * Raw HTML in the markdown as the page shows it, in text: its words (script and style contents
 * dropped), a link as "text (url)" like a markdown one, a <br> as a line break, entities decoded.
 */
function htmlText(html: string, baseUrl: string): string {
  // The page's own schemes: a link the page would not make reads as its words alone.
  const clean = sanitizeHtml(html, { allowedTags: ['a', 'br'], allowedAttributes: { a: ['href'] }, allowedSchemes: ['https', 'http', 'mailto'] });
  let text = clean.replace(/<br \/>/g, '\n');
  // Innermost anchors first, each with its own </a>; an anchor around one reads next, its words
  // then holding the inner link's. A bound on the rounds, then whatever tag is left goes.
  for (let round = 0; round < anchorNestingMax && text.includes('<a'); round++) {
    text = text.replace(innermostAnchor, (_, href: string | undefined, words: string) =>
      escapeHtml(linkText(decodeHTML(words), href === undefined ? null : mailableUrl(decodeHTMLAttribute(href), baseUrl))),
    );
  }
  return decodeHTML(text.replace(/<\/?a\b[^>]*>/g, ''));
}

const anchorNestingMax = 8;
const innermostAnchor = /<a(?: href="([^"]*)")?>((?:(?!<a[\s>])[\s\S])*?)<\/a>/g;

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Each line of `text` behind `prefix`; an empty line behind `emptyPrefix`. */
function prefixLines(text: string, prefix: string, emptyPrefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? emptyPrefix : prefix + line))
    .join('\n');
}
