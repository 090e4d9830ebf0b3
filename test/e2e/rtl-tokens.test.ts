import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportedLocales, textDirection } from '../../web/src/lib/locale';
import { signInContext } from './a11y-audit';
import { misreadTokens } from './bidi';
import { startE2E, type E2E } from './harness';

// Latin ids, prefixes, addresses and Markdown in a right-to-left sentence: a treasurer told in
// Arabic to paste ids that "start with _pi", a Markdown link shown as "(…//:https)[روابط]".
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

const messagesDir = new URL('../../web/messages/', import.meta.url);

describe('Latin tokens in right-to-left languages', () => {
  // Every message, so that a new one with the same mistake fails here. A parameter stands in as the
  // pages set a name or an amount, isolated.
  for (const locale of supportedLocales.filter((l) => textDirection(l) === 'rtl')) {
    it(`read in the order they are written in every ${locale} message`, async () => {
      const catalog = JSON.parse(readFileSync(new URL(`${locale}.json`, messagesDir), 'utf8')) as Record<string, unknown>;
      const messages = Object.entries(catalog).filter((e): e is [string, string] => e[0] !== '$schema' && typeof e[1] === 'string');
      expect(messages.length).toBeGreaterThan(400);
      const page = await e2e.browser.newPage();
      await page.setContent(`<!doctype html><html lang="${locale}" dir="rtl"><body></body></html>`);
      await page.evaluate((all) => {
        for (const [key, text] of all) {
          const p = document.createElement('p');
          p.dataset.key = key;
          p.textContent = text.replace(/\{(\w+)\}/g, '\u2068$1\u2069');
          document.body.append(p);
        }
      }, messages);
      const misread: string[] = [];
      for (const [key] of messages) misread.push(...(await misreadTokens(page.locator(`p[data-key="${key}"]`))).map((m) => `${key}: ${m}`));
      await page.close();
      expect(misread).toEqual([]);
    });
  }

  // As the pages show them: the treasury's find hint and its error, the appeal form's Markdown hint.
  it('read in order on the Arabic treasury page and appeal form', async () => {
    const treasurer = await e2e.context({ language: 'ar' });
    await signInContext(e2e, treasurer, 'treasurer@federation.demo');
    const page = await treasurer.newPage();
    await page.goto(`${e2e.url}/treasury?notfound=1`);
    const misread = [...(await misreadTokens(page.locator('#find-hint'))), ...(await misreadTokens(page.locator('#find-error')))];
    await treasurer.close();

    const organizer = await e2e.context({ language: 'ar' });
    await signInContext(e2e, organizer, 'organizer@ue222.demo');
    const form = await organizer.newPage();
    await form.goto(`${e2e.url}/manage/ue-local-222/new`);
    misread.push(...(await misreadTokens(form.locator('#story-hint'))));
    await organizer.close();
    expect(misread).toEqual([]);
  });
});

// An Arabic reader of an appeal whose unit has no Arabic name ("brick"): the sentence
// "{unit}: {filled} من {goal}" starts with the Latin name, which ran together with the count as one
// left-to-right piece, so that the count came first in reading order. The name, isolated, comes
// first (rightmost), as the sentence is written.
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
