import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { supportedLocales } from '../../web/src/lib/locale';
import { signInContext } from './a11y-audit';
import { liveAppeal, screenshots, signInWithMail, startE2E, type E2E } from './harness';

// The manage page's list of gifts asked the API for 500 and showed them as if they were all: an
// organizer of a drive with thousands of gifts never saw the rest, nor that there was a rest. It
// now says how many gifts there are and pages through them with links (no JavaScript needed).
let e2e: E2E;
let signedIn: Awaited<ReturnType<Awaited<ReturnType<E2E['context']>>['storageState']>>;
const slug = 'many-bricks';
const gifts = 104;
// Giver 001 gave last; Giver 104 first, with a message waiting for review.
const newestFirst = Array.from({ length: gifts }, (_, i) => `Giver ${String(i + 1).padStart(3, '0')}`);

const db = () => e2e.db.database.db;

beforeAll(async () => {
  e2e = await startE2E();
  await liveAppeal(e2e.db, { slug, title: 'Many bricks', beneficiary: 'The hall', currency: 'USD', goalMinor: 1_000_000 });
  await db().execute(sql`
    INSERT INTO donations (appeal_id, currency, amount_minor, status, donor_name, donor_email, locale, request_key, created_at, succeeded_at, message, message_status)
    SELECT a.id, 'USD', 100, 'succeeded', 'Giver ' || lpad(i::text, 3, '0'), 'giver' || i || '@many-bricks.example.org', 'en', 'many-bricks:' || i,
           now() - i * interval '1 minute', now() - i * interval '1 minute',
           CASE WHEN i = ${gifts} THEN 'From the first day' END, CASE WHEN i = ${gifts} THEN 'pending'::message_status ELSE 'none'::message_status END
    FROM appeals a, generate_series(1, ${gifts}) AS i WHERE a.slug = ${slug}`);
  const context = await e2e.context();
  await signInWithMail(await context.newPage(), e2e.url, 'organizer@ue222.demo', `/manage/appeals/${slug}`);
  signedIn = await context.storageState();
  await context.close();
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

/** The donors' names in the order the table shows them. */
const namesIn = (table: Locator) => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('td:nth-child(2) bdi')?.textContent ?? ''));

describe("the manage page's gifts, a page at a time", () => {
  it('without JavaScript: the newest 100, how many in all, older gifts behind a link and back', async () => {
    const context = await e2e.context({ javaScriptEnabled: false, storageState: signedIn });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    const donors = page.getByTestId('donors-table');
    expect(await donors.getByRole('heading', { level: 2 }).textContent()).toBe(`Donors (${gifts})`);
    expect(await namesIn(donors)).toEqual(newestFirst.slice(0, 100));
    expect(await donors.getByTestId('donors-shown').textContent()).toBe(`Showing 100 of ${gifts} gifts, newest first.`);
    const pages = donors.getByRole('navigation', { name: 'Pages of gifts' });
    expect(await pages.getByRole('link', { name: 'Newest gifts' }).count()).toBe(0);

    await Promise.all([page.waitForEvent('load'), pages.getByRole('link', { name: 'Older gifts' }).click()]);
    expect(page.url()).toMatch(/\?donors=[0-9a-f-]{36}#donors-title$/);
    expect(await namesIn(donors)).toEqual(newestFirst.slice(100));
    expect(await donors.getByTestId('donors-shown').textContent()).toBe(`Showing 4 of ${gifts} gifts, newest first.`);
    expect(await pages.getByRole('link', { name: 'Older gifts' }).count()).toBe(0);

    // Moderating on an older page, the form comes back to that page, with the row it moved.
    await Promise.all([page.waitForEvent('load'), donors.getByRole('button', { name: 'Show on the wall · Giver 104' }).click()]);
    expect(await namesIn(donors)).toEqual(newestFirst.slice(100));
    expect(await donors.getByRole('status').textContent()).toBe('On the wall · Giver 104');

    await Promise.all([page.waitForEvent('load'), pages.getByRole('link', { name: 'Newest gifts' }).click()]);
    expect(new URL(page.url()).search).toBe('');
    expect(await namesIn(donors)).toEqual(newestFirst.slice(0, 100));
    await context.close();
  });

  // A name goes up on the public wall unread, so "Giver 001" could as well be an insult or an advert:
  // the organizer takes it down from the list, and puts it back, without JavaScript.
  it('takes a donor name off the public wall and puts it back, without JavaScript', async () => {
    const context = await e2e.context({ javaScriptEnabled: false, storageState: signedIn });
    const page = await context.newPage();
    const onTheWall = async () => ((await (await fetch(`${e2e.url}/api/appeals/${slug}/wall?limit=10`)).json()) as { donors: { name: string | null }[] }).donors.map((d) => d.name);
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    const donors = page.getByTestId('donors-table');
    expect(await onTheWall()).toContain('Giver 001');

    await Promise.all([page.waitForEvent('load'), donors.getByRole('button', { name: 'Take name off the wall · Giver 001' }).click()]);
    expect(await donors.getByRole('status').textContent()).toBe('Name off the wall · Giver 001');
    expect(await donors.locator('tbody tr').first().getByTestId('name-off-wall').textContent()).toBe('Name off the wall');
    expect(await onTheWall()).not.toContain('Giver 001');
    expect(await onTheWall()).toContain('Giver 002');

    await Promise.all([page.waitForEvent('load'), donors.getByRole('button', { name: 'Put name back on the wall · Giver 001' }).click()]);
    expect(await donors.getByRole('status').textContent()).toBe('Name back on the wall · Giver 001');
    expect(await donors.getByTestId('name-off-wall').count()).toBe(0);
    expect(await onTheWall()).toContain('Giver 001');
    await context.close();
  });

  // A page link edited by hand, or one from another appeal: the newest gifts, not an error page.
  it('shows the newest gifts for a page link the API does not know', async () => {
    const context = await e2e.context({ javaScriptEnabled: false, storageState: signedIn });
    const page = await context.newPage();
    const [elsewhere] = await e2e.db.database.rows<{ id: string }>(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, status, donor_email, locale, request_key)
      SELECT a.id, a.currency, 500, 'succeeded', 'elsewhere@many-bricks.example.org', 'en', 'many-bricks:elsewhere' FROM appeals a WHERE a.slug = 'buck-a-brick' RETURNING id`);
    for (const cursor of ['not-a-cursor', '00000000-0000-4000-8000-000000000000', elsewhere!.id]) {
      const res = await page.goto(`${e2e.url}/manage/appeals/${slug}?donors=${cursor}`);
      expect([cursor, res?.status()]).toEqual([cursor, 200]);
      expect(await namesIn(page.getByTestId('donors-table'))).toEqual(newestFirst.slice(0, 100));
    }
    await context.close();
  });

  // A treasurer reconciling with Stripe reads the charge as the gift and the fees its donor added,
  // and the refund as what went back of it: the table showed only the gift. In the appeal's own
  // currency, formatted as the amounts beside them (KWD has three decimals).
  it('shows what each donor added to cover the fees and what was refunded, as money', async () => {
    await liveAppeal(e2e.db, { slug: 'kuwait-fees', title: 'Relief (KWD)', beneficiary: 'Dismissed workers', currency: 'KWD', goalMinor: 1_000_000 });
    await db().execute(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, cover_fees_minor, refunded_minor, status, donor_name, donor_email, locale, request_key, created_at)
      SELECT a.id, 'KWD', g.amount, g.cover, g.refunded, g.status::donation_status, g.name, g.email, 'en', g.key, now() - g.ago * interval '1 minute'
      FROM appeals a, (VALUES (10000, 320, 2500, 'partially_refunded', 'Covered Fees', 'covered@kuwait-fees.example.org', 'kuwait-fees:1', 1),
                              (5000, 0, 0, 'succeeded', 'Plain Gift', 'plain@kuwait-fees.example.org', 'kuwait-fees:2', 2))
        AS g(amount, cover, refunded, status, name, email, key, ago)
      WHERE a.slug = 'kuwait-fees'`);
    const context = await e2e.context({ javaScriptEnabled: false, storageState: signedIn });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/kuwait-fees`);
    const donors = page.getByTestId('donors-table');
    const headings = await donors.locator('thead th').allTextContents();
    expect(headings.slice(2, 5)).toEqual(['Amount', 'Fees covered', 'Refunded']);
    const cells = async (name: string) => {
      const row = donors.locator('tbody tr', { hasText: name });
      return [await row.locator('td').nth(2).textContent(), await row.getByTestId('fees-covered').textContent(), await row.getByTestId('refunded').textContent()];
    };
    // Intl puts a no-break space between the code and the number.
    const kwd = (amount: string) => `KWD\u00a0${amount}`;
    expect(await cells('Covered Fees')).toEqual([kwd('10.000'), kwd('0.320'), kwd('2.500')]);
    expect(await cells('Plain Gift')).toEqual([kwd('5.000'), kwd('0.000'), kwd('0.000')]);
    await context.close();

    // The treasurer's page of the gift names the fees as this table does: "Fees you covered" is the
    // donor's own receipt speaking to the donor, and no treasurer covered them.
    const [covered] = await e2e.db.database.rows<{ id: string }>(sql`SELECT id FROM donations WHERE request_key = 'kuwait-fees:1'`);
    const treasury = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, treasury, 'treasurer@federation.demo');
    const gift = await treasury.newPage();
    await gift.goto(`${e2e.url}/treasury/donations/${covered!.id}`);
    const facts = gift.getByTestId('gift-facts');
    expect(await facts.locator('dt', { hasText: /^Fees/ }).allTextContents()).toEqual(['Fees covered']);
    expect(await facts.locator('dt', { hasText: 'Fees covered' }).locator('+ dd').textContent()).toBe(kwd('0.320'));
    await treasury.close();

    // Two more columns on a phone, where the table stacks each cell under its column's name: no
    // name of them is broken mid-word in any language (screenshots checks, and keeps them to look at).
    for (const language of supportedLocales) {
      const reader = await e2e.context({ javaScriptEnabled: false, storageState: signedIn, language });
      const read = await reader.newPage();
      // ?lang= as the language menu sets it: the organizer's own setting wins over the browser's.
      await read.goto(`${e2e.url}/manage/appeals/kuwait-fees?lang=${language}#donors-title`);
      expect(await read.locator('html').getAttribute('lang')).toBe(language);
      await screenshots(read, `manage-donors-fees-${language}`);
      await reader.close();
    }
  }, 120_000);
});
