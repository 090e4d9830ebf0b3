import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// The organizer's list of an appeal's gifts used to stop at the limit asked for (the manage page
// asked for 500) with nothing saying there were more: Buck-a-Brick has thousands. It now comes a
// page at a time with a cursor and says how many gifts there are in all.
let h: PaymentsHarness;
let organizer: string;

beforeAll(async () => {
  h = await startPaymentsHarness();
  organizer = await signIn(h.app, 'organizer@ue222.demo');
  // A second drive of the same local, so each test counts gifts of its own.
  const created = await h.app.inject({
    method: 'POST',
    url: '/api/organizations/ue-local-222/appeals',
    headers: { cookie: organizer },
    payload: { slug: 'paging-drive', title: 'Paging drive', beneficiary: 'The hall', currency: 'USD', goalMinor: '100000' },
  });
  expect(created.statusCode).toBe(201);
});

afterAll(async () => {
  await h?.close();
});

interface Listed {
  donors: { donationId: string; name: string | null; email: string | null; amountMinor: string; refundedMinor: string; status: string; at: string }[];
  nextCursor: string | null;
  total: number;
}

const list = async (slug: string, query = '') => h.app.inject({ url: `/api/appeals/${slug}/donors${query}`, headers: { cookie: organizer } });

/** A gift as the poster leaves it, made at `at`; the database picks its id. */
async function gift(slug: string, p: { name: string; at: string; status?: string }): Promise<string> {
  const [row] = await h.testDb.database.rows<{ id: string }>(sql`
    INSERT INTO donations (appeal_id, currency, amount_minor, status, donor_name, donor_email, locale, request_key, created_at)
    SELECT a.id, a.currency, 500, ${p.status ?? 'succeeded'}::donation_status, ${p.name}, ${`${p.name.toLowerCase().replace(/\W+/g, '.')}@paging.example.org`}, 'en', ${randomUUID()}, ${p.at}::timestamptz
    FROM appeals a WHERE a.slug = ${slug} RETURNING id`);
  return row!.id;
}

/** Every page from the newest, following nextCursor: the names in the order shown, and each page's total. */
async function everyPage(slug: string, limit: number) {
  const names: (string | null)[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const res = await list(slug, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    const page = res.json() as Listed;
    expect(page.donors.length).toBeLessThanOrEqual(limit);
    names.push(...page.donors.map((d) => d.name));
    totals.push(page.total);
    // Read as a page that follows the link it is given: none, and the list ends here.
    cursor = page.nextCursor ?? null;
    if (cursor === null) return { names, totals };
  }
  throw new Error('more than 50 pages');
}

describe('GET /api/appeals/:slug/donors, a page at a time', () => {
  // Three gifts share one instant (a batch of renewals posted together): the id orders them, so a
  // page boundary between them neither skips nor repeats one. Open and abandoned checkouts are no
  // gifts: neither listed nor counted.
  it('pages through every gift once, newest first, and says how many there are in all', async () => {
    const slug = 'paging-drive';
    const tied = '2026-03-01T12:00:00.123456Z';
    const ids = new Map<string, string>();
    for (const [name, at] of [['Oldest', '2026-01-01T00:00:00Z'], ['Tie A', tied], ['Tie B', tied], ['Tie C', tied], ['Newer', '2026-03-01T12:00:00.123457Z'], ['Newest', '2026-04-01T00:00:00Z'], ['Refused', '2026-02-01T00:00:00Z']] as const) {
      ids.set(name, await gift(slug, { name, at, status: name === 'Refused' ? 'failed' : 'succeeded' }));
    }
    await gift(slug, { name: 'Still at checkout', at: '2026-04-02T00:00:00Z', status: 'pending' });
    await gift(slug, { name: 'Left checkout', at: '2026-04-03T00:00:00Z', status: 'canceled' });
    const ties = ['Tie A', 'Tie B', 'Tie C'].sort((a, b) => (ids.get(a)! < ids.get(b)! ? 1 : -1));
    const newestFirst = ['Newest', 'Newer', ...ties, 'Refused', 'Oldest'];

    for (const limit of [1, 2, 3, 100]) {
      const { names, totals } = await everyPage(slug, limit);
      expect(names, `limit ${limit}`).toEqual(newestFirst);
      expect(new Set(totals)).toEqual(new Set([7]));
    }
    // A caller that never asked for pages gets what it always got, and a last page says so.
    const all = (await list(slug)).json() as Listed;
    expect(all.donors.map((d) => d.name)).toEqual(newestFirst);
    expect(all.nextCursor).toBeNull();
    expect(Object.keys(all.donors[0]!)).toEqual(expect.arrayContaining(['donationId', 'name', 'email', 'anonymous', 'amountMinor', 'refundedMinor', 'currency', 'frequency', 'status', 'message', 'messageLanguage', 'messageStatus', 'updatesOptIn', 'at']));
  });

  // Gifts keep arriving while an organizer reads: a new one goes on top, and the next page is the
  // one that followed the page read (an offset would repeat the last gift of that page).
  it('keeps the older pages as they were when a gift arrives between two pages', async () => {
    const slug = 'buck-a-brick';
    for (let i = 1; i <= 5; i++) await gift(slug, { name: `Before ${i}`, at: `2026-05-0${i}T00:00:00Z` });
    const first = (await list(slug, '?limit=2')).json() as Listed;
    expect(first.donors.map((d) => d.name)).toEqual(['Before 5', 'Before 4']);
    expect(first.total).toBe(5);

    await gift(slug, { name: 'Arrived meanwhile', at: new Date().toISOString() });
    const second = (await list(slug, `?limit=2&cursor=${first.nextCursor}`)).json() as Listed;
    expect(second.donors.map((d) => d.name)).toEqual(['Before 3', 'Before 2']);
    expect(second.total).toBe(6);
    const third = (await list(slug, `?limit=2&cursor=${second.nextCursor}`)).json() as Listed;
    expect([third.donors.map((d) => d.name), third.nextCursor]).toEqual([['Before 1'], null]);
    expect(((await list(slug, '?limit=2')).json() as Listed).donors[0]!.name).toBe('Arrived meanwhile');
  });

  // A cursor is only ever one this API gave out for this appeal: anything else is the caller's
  // mistake, said as such (never a 500 from a uuid column fed other text, never another appeal's page).
  it('refuses a cursor it did not give out for this appeal with 400 invalid_cursor', async () => {
    const elsewhere = await gift('osaka-care-strike-fund', { name: 'Elsewhere', at: '2026-01-01T00:00:00Z' });
    for (const cursor of ['nope', '12345', randomUUID(), elsewhere, `${elsewhere}x`, "' OR 1=1 --"]) {
      const res = await list('buck-a-brick', `?cursor=${encodeURIComponent(cursor)}`);
      expect([cursor, res.statusCode, res.json().error?.code]).toEqual([cursor, 400, 'invalid_cursor']);
    }
    const tooLong = await list('buck-a-brick', `?cursor=${'a'.repeat(101)}`);
    expect(tooLong.statusCode).toBe(400);
    // The cursor does not open the list to anyone else.
    const member = await signIn(h.app, 'member@ue222.demo');
    const first = (await list('buck-a-brick', '?limit=1')).json() as Listed;
    const asMember = await h.app.inject({ url: `/api/appeals/buck-a-brick/donors?cursor=${first.nextCursor}`, headers: { cookie: member } });
    expect(asMember.statusCode).toBe(403);
  });
});
