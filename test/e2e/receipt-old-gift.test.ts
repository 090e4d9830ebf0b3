import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { signInWithMail, useE2E } from './harness';

const e2e = useE2E();

// A monthly donor of many years has more gifts than the account page lists: the receipt of the
// first one still opens, and stays theirs alone.
describe('a receipt behind 500 newer gifts', () => {
  it('opens for its donor and is missing for anyone else', { timeout: 90_000 }, async () => {
    const db = e2e.db.database.db;
    const [oldest] = await queryRows<{ id: string }>(db, sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, frequency, status, donor_email, donor_name, request_key, created_at, succeeded_at)
      SELECT id, 'USD', 700, 'one_off', 'succeeded', 'years@ue222.demo', 'Years of giving', 'e2e-old-receipt-first', now() - interval '6 years', now() - interval '6 years'
      FROM appeals WHERE slug = 'buck-a-brick' RETURNING id`);
    await db.execute(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, frequency, status, donor_email, request_key, created_at, succeeded_at)
      SELECT a.id, 'USD', 1000, 'monthly', 'succeeded', 'years@ue222.demo', 'e2e-old-receipt-' || n, now() - n * interval '1 day', now() - n * interval '1 day'
      FROM appeals a, generate_series(1, 500) AS n WHERE a.slug = 'buck-a-brick'`);
    const receipt = `/account/receipts/${oldest!.id}`;

    const donor = await e2e.context({ javaScriptEnabled: false });
    const page = await donor.newPage();
    await signInWithMail(page, e2e.url, 'years@ue222.demo', receipt);
    expect(await page.getByTestId('receipt-total').textContent()).toBe('$7.00');
    expect(await page.getByTestId('receipt').textContent()).toContain('Years of giving · years@ue222.demo');
    await donor.close();

    const stranger = await e2e.context({ javaScriptEnabled: false });
    const theirs = await stranger.newPage();
    await signInWithMail(theirs, e2e.url, 'member@ue222.demo', '/account');
    expect((await theirs.goto(`${e2e.url}${receipt}`))?.status()).toBe(404);
    // A malformed id is as missing as another's.
    expect((await theirs.goto(`${e2e.url}/account/receipts/not-a-gift`))?.status()).toBe(404);
    // So is one shaped like an id that no version of the standard writes (the API refuses it with 400).
    expect((await theirs.goto(`${e2e.url}/account/receipts/11111111-1111-1111-1111-111111111111`))?.status()).toBe(404);
    await stranger.close();
  });
});
