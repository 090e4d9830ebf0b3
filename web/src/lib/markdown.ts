// A very small, safe subset of Markdown for appeal stories: paragraphs, "##" headings, "-" lists,
// **bold**, _italic_ / *italic* and [links](https://…). It returns data, never HTML, so the page
// renders it as text nodes: nothing in a story can inject markup or script.

export type Inline = { kind: 'text' | 'strong' | 'em'; text: string } | { kind: 'link'; text: string; href: string };
export type Block = { kind: 'p' | 'h'; inlines: Inline[] } | { kind: 'ul'; items: Inline[][] };

const inlinePattern = /\*\*(.+?)\*\*|__(.+?)__|(?<![\p{L}\p{N}])[_*](.+?)[_*](?![\p{L}\p{N}])|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/gu;

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  for (const match of text.matchAll(inlinePattern)) {
    if (match.index > last) out.push({ kind: 'text', text: text.slice(last, match.index) });
    const [, strong1, strong2, em, linkText, href] = match;
    if (strong1 ?? strong2) out.push({ kind: 'strong', text: (strong1 ?? strong2)! });
    else if (em) out.push({ kind: 'em', text: em });
    else out.push({ kind: 'link', text: linkText!, href: href! });
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}

/** Blocks are separated by blank lines; a story is capped so a huge one cannot stall a render. */
export function parseStory(markdown: string, maxBlocks = 200): Block[] {
  return markdown
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((b) => b.trim())
    .filter(Boolean)
    .slice(0, maxBlocks)
    .map((block): Block => {
      const lines = block.split('\n');
      if (lines.every((l) => /^\s*[-*]\s+/.test(l))) return { kind: 'ul', items: lines.map((l) => parseInline(l.replace(/^\s*[-*]\s+/, ''))) };
      if (/^#{1,6}\s/.test(block)) return { kind: 'h', inlines: parseInline(block.replace(/^#{1,6}\s+/, '').replace(/\n/g, ' ')) };
      return { kind: 'p', inlines: parseInline(lines.join(' ')) };
    });
}
