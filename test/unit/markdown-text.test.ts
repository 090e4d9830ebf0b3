import { describe, expect, it } from 'vitest';
import { markdownToText } from '../../server/content/markdown-text';

// An update mail is plain text: the organizer's markdown must read as the page shows it.
const text = (markdown: string) => markdownToText(markdown, 'https://give.example.org');

describe('markdown as plain text', () => {
  it('drops the markers of bold, italics and strikethrough', () => {
    expect(text('**全員** came, *really*, __all__ of _us_ ~~maybe~~.')).toBe('全員 came, really, all of us maybe.');
  });

  it('keeps what a backslash escapes, and code as typed', () => {
    expect(text('\\*not bold\\* and `a **b** &amp; <c>`')).toBe('*not bold* and a **b** &amp; <c>');
    expect(text('```\nx < y && z\n```')).toBe('x < y && z');
  });

  it('writes a link as "text (url)", an address once, and our own paths in full', () => {
    expect(text('See [the hall](https://example.org/hall?a=1&amp;b=2 "Title").')).toBe('See the hall (https://example.org/hall?a=1&b=2).');
    expect(text('<https://example.org/x> and www.example.org')).toBe('https://example.org/x and www.example.org');
    expect(text('[Write to us](mailto:local222@example.org) or <local222@example.org>')).toBe('Write to us (local222@example.org) or local222@example.org');
    expect(text('[the appeal](/appeals/buck-a-brick#updates)')).toBe('the appeal (https://give.example.org/appeals/buck-a-brick#updates)');
    // A space would end the link in a mail reader: written as a URL writes it.
    expect(text('[the photos](<https://example.org/a b>)')).toBe('the photos (https://example.org/a%20b)');
  });

  it('leaves out an address the page would not link either', () => {
    expect(text('[click](javascript:alert(1)) [there](//elsewhere.example/x)')).toBe('click there');
  });

  it('writes lists as "- item" and "1. item", nested under their item', () => {
    expect(text('* bread\n* soup **hot**\n  + spoons\n\n3. march\n4. rally')).toBe('- bread\n- soup hot\n  - spoons\n\n3. march\n4. rally');
    expect(text('- [x] banner\n- [ ] flyers')).toBe('- [x] banner\n- [ ] flyers');
  });

  it('puts headings, paragraphs, quotes and rules on lines of their own', () => {
    expect(text('# Day three\nWe marched.\n\n> Solidarity\n> forever\n\n---\n\nEnd')).toBe('Day three\n\nWe marched.\n\n> Solidarity\n> forever\n\n---\n\nEnd');
    expect(text('Line one  \nline two\nline three')).toBe('Line one\nline two\nline three');
  });

  it('leaves no HTML tag or entity', () => {
    expect(text('Tom &amp; Jerry &eacute;t&eacute; &#x2764; &lt;3 <b>bold</b> a<br>b')).toBe('Tom & Jerry été ❤ <3 bold a\nb');
    expect(text('<div class="x">block <i>html</i> &copy;<script>alert(1)</script></div>')).toBe('block html ©');
  });

  // Inline HTML reaches the text as the page shows it: a tag read alone would drop a link's address
  // and leave a style's rules as words.
  it('reads inline HTML whole: a link keeps its address, a style its silence', () => {
    expect(text('Join us <a href="https://ue222.example/rally">at the rally</a> on **Friday**.')).toBe('Join us at the rally (https://ue222.example/rally) on Friday.');
    expect(text('See <a href="/appeals/buck-a-brick">the appeal</a>, <a href="javascript:alert(1)">this</a> and <a href="mailto:hall@ue222.example">hall@ue222.example</a>.')).toBe(
      'See the appeal (https://give.example.org/appeals/buck-a-brick), this and hall@ue222.example.',
    );
    expect(text('Before <style>p { color: red }</style>after <span>&lt;3</span> 1 < 2 &amp; <b>**bold**</b>')).toBe('Before after <3 1 < 2 & bold');
    expect(text('<p>Block <a href="https://ue222.example">link</a></p>')).toBe('Block link (https://ue222.example)');
    expect(text('<a href="https://a.example"><a href="https://b.example">x</a></a>')).toBe('x (https://b.example) (https://a.example)');
  });

  it('writes a table as rows of cells, and an image as its description', () => {
    expect(text('| day | bricks |\n|---|---|\n| 1 | **40** |')).toBe('day | bricks\n1 | 40');
    expect(text('![The new roof](/api/appeals/x/cover)')).toBe('The new roof');
  });
});
