import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { signInWithMail, startE2E, type E2E } from './harness';

// A federation's staff running the people of many locals from a phone, without JavaScript: the
// waiting invitations page past the first 50 (the list stopped at 200 without a word), and a
// removal that would leave a local below with no admin says which local, with the way there.
let e2e: E2E;
const invited = 250;
const phone = { viewport: { width: 375, height: 740 }, javaScriptEnabled: false };

beforeAll(async () => {
  e2e = await startE2E();
  // A whole workplace invited at once by the federation admin (their role reaches every local).
  await e2e.db.database.db.execute(sql`
    INSERT INTO invitations (organization_id, email, role, token_hash, invited_by, expires_at, created_at)
    SELECT o.id, 'worker-' || lpad(i::text, 3, '0') || '@local222.example', 'member', md5('people-federation-' || i), u.id, now() + interval '7 days', now() - i * interval '1 second'
      FROM organizations o, users u, generate_series(1, ${invited}) AS i
     WHERE o.slug = 'ue-local-222' AND u.email = 'admin@federation.demo'`);
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

/** The page is no wider than the phone: nothing to scroll sideways to. */
const widthOverflowPx = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('the people page, for a federation admin on a phone without JavaScript', () => {
  it('reaches every waiting invitation, a page at a time, and comes back to the newest', async () => {
    const context = await e2e.context(phone);
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, 'admin@federation.demo', '/manage/ue-local-222/people');
    const seen: string[] = [];
    let lastPage: string[] = [];
    for (let pages = 0; pages < 8; pages++) {
      lastPage = await page.getByTestId('waiting').locator('tbody tr td:first-child').allTextContents();
      seen.push(...lastPage);
      expect(await widthOverflowPx(page)).toBeLessThanOrEqual(0);
      const more = page.getByRole('navigation', { name: 'Pages of invitations' }).getByRole('link', { name: 'More invitations' });
      if ((await more.count()) === 0) break;
      await Promise.all([page.waitForEvent('load'), more.click()]);
    }
    const workers = seen.filter((email) => email.endsWith('@local222.example'));
    expect(new Set(workers).size).toBe(invited);
    expect(await page.getByTestId('waiting-count').textContent()).toBe(`Showing ${lastPage.length} of ${seen.length}`);
    // A withdrawal from a later page is confirmed on that page.
    await page.getByTestId('waiting').getByRole('link', { name: /^Withdraw/ }).first().click();
    await expect.poll(() => page.locator('#confirm-withdraw').count()).toBe(1);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Back to the newest invitations' }).click()]);
    expect(await page.getByTestId('waiting').locator('tbody tr td:first-child').first().textContent()).toBe(seen[0]);
    await context.close();
  });

  // A national union run only from the federation holds no role of its own: the page said "No one
  // here matches this search" (and "Showing 0 of 0") when nobody had searched.
  it('says a union run from above has no roles of its own, not that a search found nothing', async () => {
    const context = await e2e.context(phone);
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, 'admin@federation.demo', '/manage/ue-demo/people');
    expect(await page.getByTestId('people-none').textContent()).toBe('No one holds a role in this organization itself yet.');
    expect(await page.getByTestId('people-count').count()).toBe(0);
    expect(await page.getByTestId('inherited').getByText('admin@federation.demo').count()).toBe(1);
    // A search that finds nobody still says so.
    await page.goto(`${e2e.url}/manage/ue-demo/people?q=nobody`);
    expect(await page.getByTestId('people-none').textContent()).toBe('No one here matches this search.');
    expect(await page.getByTestId('people-count').textContent()).toBe('Showing 0 of 0');
    await context.close();
  });

  // An admin leaving office steps down on the page (it offered no Remove on one's own row, though
  // the API takes it): confirmed first, in words that say it is their own role, then gone.
  it('lets an admin step down from their own role, after a confirmation that says so', async () => {
    const context = await e2e.context(phone);
    const page = await context.newPage();
    const email = 'outgoing.secretary@oran.example';
    await signInWithMail(page, e2e.url, email, '/');
    const db = e2e.db.database.db;
    await db.execute(sql`INSERT INTO organizations (slug, name, kind, default_currency) VALUES ('oran-union', 'Oran union', 'union', 'DZD')`);
    await db.execute(sql`INSERT INTO memberships (user_id, organization_id, role) SELECT u.id, o.id, 'admin' FROM users u, organizations o WHERE u.email = ${email} AND o.slug = 'oran-union'`);
    await db.execute(sql`INSERT INTO users (id, name, email, email_verified) VALUES ('oran-incoming', '', 'incoming.secretary@oran.example', true)`);
    await db.execute(sql`INSERT INTO memberships (user_id, organization_id, role) SELECT 'oran-incoming', id, 'admin' FROM organizations WHERE slug = 'oran-union'`);
    await page.goto(`${e2e.url}/manage/oran-union/people`);
    const own = page.getByTestId('members').locator('tr', { hasText: email });
    await Promise.all([page.waitForEvent('load'), own.getByRole('link', { name: /^Remove/ }).click()]);
    expect((await page.getByTestId('confirm-self').textContent())?.replace(/[\u2068\u2069]/g, '')).toMatch(/^You will lose the role “[^”]+” in Oran union at once/);
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Step down' }).click()]);
    // Without the role the people page has nothing to show them: the manage overview does.
    expect(new URL(page.url()).pathname).toBe('/manage');
    const left = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM memberships m JOIN users u ON u.id = m.user_id JOIN organizations o ON o.id = m.organization_id WHERE u.email = ${email} AND o.slug = 'oran-union'`);
    expect(left[0]!.n).toBe(0);
    // Stepping down from a role already gone (another tab was first) lands there too, not on a page
    // that is now forbidden.
    await db.execute(sql`INSERT INTO memberships (user_id, organization_id, role) SELECT u.id, o.id, 'admin' FROM users u, organizations o WHERE u.email = ${email} AND o.slug = 'oran-union'`);
    await page.goto(`${e2e.url}/manage/oran-union/people`);
    await Promise.all([page.waitForEvent('load'), own.getByRole('link', { name: /^Remove/ }).click()]);
    await db.execute(sql`DELETE FROM memberships m USING users u, organizations o WHERE m.user_id = u.id AND m.organization_id = o.id AND u.email = ${email} AND o.slug = 'oran-union'`);
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Step down' }).click()]);
    expect(new URL(page.url()).pathname).toBe('/manage');
    await context.close();
  });

  it('names the local below that a removal would leave with no admin, with a link to its people', async () => {
    const context = await e2e.context(phone);
    const page = await context.newPage();
    const email = 'reaching.admin@kabylie.example';
    await signInWithMail(page, e2e.url, email, '/');
    // A union of its own (no federation admin reaches it): this admin's grant is all that runs its local.
    const db = e2e.db.database.db;
    await db.execute(sql`INSERT INTO organizations (slug, name, kind, default_currency) VALUES ('kabylie-union', 'Kabylie union', 'union', 'DZD')`);
    await db.execute(sql`INSERT INTO organizations (slug, name, kind, default_currency, parent_id) SELECT 'kabylie-local', 'Kabylie local', 'local', 'DZD', id FROM organizations WHERE slug = 'kabylie-union'`);
    const [own] = await queryRows<{ id: string }>(
      db,
      sql`INSERT INTO memberships (user_id, organization_id, role, includes_descendants)
          SELECT u.id, o.id, 'admin', true FROM users u, organizations o WHERE u.email = ${email} AND o.slug = 'kabylie-union' RETURNING id`,
    );
    await db.execute(sql`INSERT INTO users (id, name, email, email_verified) VALUES ('kabylie-secretary', '', 'secretary@kabylie.example', true)`);
    await db.execute(sql`INSERT INTO memberships (user_id, organization_id, role) SELECT 'kabylie-secretary', id, 'admin' FROM organizations WHERE slug = 'kabylie-union'`);
    // Stepping down, as the form posts it.
    const res = await context.request.post(`${e2e.url}/manage/kabylie-union/people?/revoke`, { form: { membershipId: own!.id }, headers: { origin: e2e.url, accept: 'text/html' }, maxRedirects: 0 });
    expect(res.status()).toBe(409);
    await page.setContent(await res.text());
    // The name is set apart for right-to-left pages (FSI … PDI).
    expect((await page.getByRole('alert').textContent())?.replace(/[\u2068\u2069]/g, '')).toContain('“Kabylie local”, an organization below, has no other admin: make someone admin there first, then remove this role.');
    expect(await page.getByRole('alert').getByRole('link').getAttribute('href')).toBe('/manage/kabylie-local/people');
    await context.close();
  });
});
