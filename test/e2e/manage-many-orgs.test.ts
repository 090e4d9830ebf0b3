import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { signInWithMail, startE2E, type E2E } from './harness';

// The manage page showed the first 50 organizations a person runs drives for and stopped there,
// without a word: a federation admin whose role reaches every local never saw the rest, nor a
// link to launch a drive or manage the people there. It now pages through them with links (no
// JavaScript needed) and says how many there are.
let e2e: E2E;
const locals = 60;

beforeAll(async () => {
  e2e = await startE2E();
  await e2e.db.database.db.execute(sql`
    INSERT INTO organizations (slug, name, kind, parent_id, default_currency)
    SELECT 'many-local-' || lpad(i::text, 3, '0'), 'Many local ' || lpad(i::text, 3, '0'), 'local', f.id, 'USD'
      FROM organizations f, generate_series(1, ${locals}) AS i WHERE f.slug = 'demo-federation'`);
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

describe('the manage page, for someone who runs many organizations', () => {
  it('reaches every organization, a page at a time, without JavaScript', async () => {
    // The federation admin's role reaches down: every organization is theirs to run.
    const [{ n: total }] = (await queryRows<{ n: number }>(e2e.db.database.db, sql`SELECT count(*)::int AS n FROM organizations`)) as [{ n: number }];
    expect(total).toBeGreaterThan(50);
    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, 'admin@federation.demo', '/manage');
    const seen: string[] = [];
    for (let pages = 0; pages < 5; pages++) {
      const shown = await page.locator('section[data-testid^="org-"]').evaluateAll((sections) => sections.map((s) => s.getAttribute('data-testid')!));
      seen.push(...shown);
      const more = page.getByRole('navigation', { name: 'Pages of organizations' }).getByRole('link', { name: 'More organizations' });
      if ((await more.count()) === 0) break;
      await Promise.all([page.waitForEvent('load'), more.click()]);
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toContain(`org-many-local-0${locals}`);
    expect(await page.getByTestId('orgs-shown').textContent()).toBe(`Showing ${total - 50} of ${total} organizations.`);
    // The last page leads back to the first; each organization there still offers its People link.
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Previous organizations' }).click()]);
    expect(await page.locator('section[data-testid^="org-"]').first().getAttribute('data-testid')).toBe(seen[0]);
    expect(await page.getByRole('link', { name: /^People · / }).count()).toBe(await page.locator('section[data-testid^="org-"]').count());
    // An offset no page gave out is the first page.
    await page.goto(`${e2e.url}/manage?orgs=99999`);
    expect(await page.locator('section[data-testid^="org-"]').first().getAttribute('data-testid')).toBe(seen[0]);
    await context.close();
  });
});
