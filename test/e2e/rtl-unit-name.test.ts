import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2E, type E2E } from './harness';

// An Arabic reader of an appeal whose unit has no Arabic name ("brick"): the sentence
// "{unit}: {filled} من {goal}" starts with the Latin name, which ran together with the count as one
// left-to-right piece, so that the count came first in reading order. The name, isolated, comes
// first (rightmost), as the sentence is written.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

describe('an untranslated unit name on an Arabic page', () => {
  it('is read first in the wall’s sentence, right of the count', async () => {
    const context = await e2e.context({ language: 'ar' });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick?lang=ar`);
    const strong = page.getByTestId('wall-text').locator('strong');
    const order = await strong.evaluate((el) => {
      const node = el.firstChild as Text;
      const text = node.textContent ?? '';
      const x = (at: number) => {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + 1);
        const box = range.getBoundingClientRect();
        return box.left + box.width / 2;
      };
      const name = text.indexOf('brick');
      const count = text.search(/\d/);
      return { text, nameRightOfCount: x(name) > x(count) };
    });
    await context.close();
    expect(order.text).toContain('brick');
    expect(order.nameRightOfCount).toBe(true);
  });
});
