import { describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { useE2E } from './harness';

// An organizer edits the appeal in two tabs (a phone and a laptop, say): the second save used to
// send every field as its form still showed it, and undid the first save's other fields while both
// said "Changes saved". A save sends what its own form changed.
const e2e = useE2E();

const stored = async () => (await (await fetch(`${e2e.url}/api/appeals/buck-a-brick`)).json()) as { title: string; summary: string };

describe('editing an appeal in two tabs', () => {
  for (const javaScriptEnabled of [true, false]) {
    it(`keeps what each tab changed${javaScriptEnabled ? '' : ', without JavaScript'}`, async () => {
      const context = await e2e.context({ javaScriptEnabled });
      await signInContext(e2e, context, 'organizer@ue222.demo');
      const [a, b] = [await context.newPage(), await context.newPage()];
      for (const tab of [a, b]) {
        await tab.goto(`${e2e.url}/manage/appeals/buck-a-brick`);
        if (javaScriptEnabled) await tab.waitForLoadState('networkidle');
      }
      const before = await stored();
      const summary = `A summary from tab A (${javaScriptEnabled ? 'js' : 'no js'})`;
      const title = `${before.title.slice(0, 100)} · tab B ${javaScriptEnabled ? 'js' : 'no js'}`;

      await a.bringToFront();
      await a.locator('#appeal-form').getByLabel('Summary', { exact: true }).fill(summary);
      await a.getByRole('button', { name: 'Save changes' }).click();
      await a.getByTestId('saved').waitFor();
      expect((await stored()).summary).toBe(summary);

      // Tab B, drawn before A saved, still shows the old summary; it changes the title only.
      await b.bringToFront();
      await b.locator('#appeal-form').getByLabel('Title', { exact: true }).fill(title);
      await b.getByRole('button', { name: 'Save changes' }).click();
      await b.getByTestId('saved').waitFor();
      expect(await stored()).toMatchObject({ title, summary });
      await context.close();
    });
  }
});
