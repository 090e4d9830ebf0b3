import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations } from '../../db/schema/index';
import { createAppeal } from '../../server/appeals/manage-service';
import { signInContext } from './a11y-audit';
import { seriousAxeViolations, startE2E, type E2E } from './harness';

// Publish took one click, and cannot be undone: a live appeal never goes back to draft, and donors
// can give at once (after which its goal, currency and unit price are fixed). Close already asked
// first; Publish asks the same way: a link to a confirmation that says where the appeal will be
// public and what can no longer change, whose button publishes and whose Cancel keeps the draft,
// with and without JavaScript. The keyboard's next stop after following the link is the question's
// button, as the fragment it links to puts it there. Publishing answers with a redirect, as the
// update form does, so that a reload does not publish again.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  const db = e2e.db.database.db;
  const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  for (const slug of ['publish-asks-js', 'publish-asks-plain']) {
    await createAppeal(db, {
      by: null,
      org: org!,
      body: {
        slug, title: `A roof for the hall (${slug})`, summary: 'Tiles for the roof.', storyMarkdown: 'The hall needs a roof.', beneficiary: 'UE Local 222 (demo)',
        language: 'en', currency: 'USD', goalMinor: 250_000n, unit: { name: 'tile', priceMinor: 500n }, deadlineAt: null,
      },
    });
  }
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const status = async (slug: string) => (await e2e.db.database.rows<{ status: string }>(sql`SELECT status FROM appeals WHERE slug = ${slug}`))[0]!.status;

describe('publishing an appeal asks first', () => {
  for (const [javaScriptEnabled, slug] of [[true, 'publish-asks-js'], [false, 'publish-asks-plain']] as const) {
    it(`${javaScriptEnabled ? 'with' : 'without'} JavaScript: Publish asks, Cancel keeps the draft, confirming publishes`, async () => {
      const context = await e2e.context({ javaScriptEnabled, bypassCSP: true });
      await signInContext(e2e, context, 'organizer@ue222.demo');
      const page = await context.newPage();
      await page.goto(`${e2e.url}/manage/appeals/${slug}`);
      await page.waitForLoadState('networkidle');
      const section = page.locator('section[aria-labelledby="status-title"]');
      // The status section's Publish, a button before and a link now: whichever it is, one press.
      const publish = section.locator('a, button', { hasText: /^Publish/ }).first();
      const confirm = page.getByRole('group', { name: 'Publish this appeal?' });
      const live = page.getByTestId('appeal-status').filter({ hasText: 'Live' });

      await publish.click();
      await Promise.race([confirm.waitFor(), live.waitFor()]);
      expect(await status(slug), 'one click published the appeal').toBe('draft');
      const asked = ((await confirm.textContent()) ?? '').replace(/\s+/g, ' ');
      expect(asked).toContain(`${e2e.url}/appeals/${slug}`);
      expect(asked).toContain('people can give to it at once');
      expect(asked).toContain('cannot go back to being a draft');
      expect(asked).toContain('goal, currency and unit price can no longer change');
      // axe needs its script in the page, and our CSP rightly refuses it unless bypassed.
      if (javaScriptEnabled) expect(await seriousAxeViolations(page)).toEqual([]);
      // The link's fragment is the question: the next Tab is its button, not the top of the page.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Yes, publish it');

      await confirm.getByRole('link', { name: 'Keep it a draft' }).click();
      await confirm.waitFor({ state: 'detached' });
      expect(await status(slug)).toBe('draft');
      expect((await fetch(`${e2e.url}/api/appeals/${slug}`)).status, 'a draft is not public').toBe(404);

      await publish.click();
      await confirm.getByRole('button', { name: 'Yes, publish it' }).click();
      await live.waitFor();
      await page.getByText('Published: the appeal is live.').waitFor();
      expect(await status(slug)).toBe('live');
      expect(await confirm.count()).toBe(0);
      expect((await fetch(`${e2e.url}/api/appeals/${slug}`)).status).toBe(200);

      // Post/Redirect/Get: the page after publishing is the appeal's page got anew, so a reload
      // sends nothing again (it re-posted, and said the appeal had changed meanwhile), and the
      // notice, said once, is not said again.
      await page.reload();
      await live.waitFor();
      expect(await page.getByRole('alert').allTextContents()).toEqual([]);
      expect(await page.getByText('Published: the appeal is live.').count()).toBe(0);
      expect(new URL(page.url()).search).toBe('');

      // Closing says so once too: it redirected to ?closed=1, which said it again on each reload.
      await section.getByRole('link', { name: 'Close the appeal…' }).click();
      await page.getByRole('button', { name: 'Yes, close it' }).click();
      await page.getByText('The appeal is closed.').waitFor();
      expect(await status(slug)).toBe('closed');
      await page.reload();
      await page.getByTestId('appeal-status').filter({ hasText: 'Closed' }).waitFor();
      expect(await page.getByText('The appeal is closed.').count()).toBe(0);
      expect(new URL(page.url()).search).toBe('');
      await context.close();
    });
  }
});
