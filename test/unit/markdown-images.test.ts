import { describe, expect, it } from 'vitest';
import { markdownToText } from '../../server/content/markdown-text';
import { renderMarkdown } from '../../server/content/markdown';

// A picture from another site must not load in a donor's browser (it could count who reads), but
// the organizer who put one in her story must not find it gone without a trace either.
describe('pictures in a story', () => {
  const rel = 'rel="nofollow noopener noreferrer ugc"';
  const page = (markdown: string) => renderMarkdown(markdown).trim();
  const mail = (markdown: string) => markdownToText(markdown, 'https://give.example.org');

  it('shows a picture from another site as a link named by its description', () => {
    expect(page('The hall: ![our new roof](https://photos.example/roof.jpg "Roof")')).toBe(`<p>The hall: <a href="https://photos.example/roof.jpg" ${rel}>our new roof</a></p>`);
    expect(page('![](https://photos.example/roof.jpg)')).toBe(`<p><a href="https://photos.example/roof.jpg" ${rel}>https://photos.example/roof.jpg</a></p>`);
    expect(page('![a *b* &amp; <c>](https://p.example/i.png?a=1&b=2)')).toBe(`<p><a href="https://p.example/i.png?a=1&amp;b=2" ${rel}>a b &amp; &lt;c&gt;</a></p>`);
    expect(mail('The hall: ![our new roof](https://photos.example/roof.jpg)')).toBe('The hall: our new roof (https://photos.example/roof.jpg)');
  });

  it('keeps only the description inside a link, or when the address is not a web page', () => {
    expect(page('[![the hall](https://photos.example/hall.jpg)](https://ue222.example)')).toBe(`<p><a href="https://ue222.example" ${rel}>the hall</a></p>`);
    expect(mail('[![the hall](https://photos.example/hall.jpg)](https://ue222.example)')).toBe('the hall (https://ue222.example)');
    expect(page('![pixel](data:image/png;base64,AAAA) ![x](javascript:alert(1)) ![rel](/elsewhere.png)')).toBe('<p>pixel x rel</p>');
    expect(page('<img src="https://track.example/p.gif" alt="a pixel" onerror="alert(1)">')).toBe('a pixel');
  });

  it('draws the appeal\'s own cover as an image', () => {
    expect(page('![the cover](/api/appeals/buck-a-brick/cover)')).toBe('<p><img src="/api/appeals/buck-a-brick/cover" alt="the cover" /></p>');
    expect(mail('![the cover](/api/appeals/buck-a-brick/cover)')).toBe('the cover');
  });
});
