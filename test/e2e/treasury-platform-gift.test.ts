import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { signInWithMail, useE2E } from './harness';

// The federation's own treasurer (a grant on the top-level organization that does not reach down)
// reconciles the platform's Stripe account: every local's appeal lines are on their statements,
// each with an "Open gift" link. That link answered "forbidden": a charge they could see in the
// ledger, but not the gift behind it. They now read the gift; refunding it stays with the local's
// own treasurers, and the page says so instead of offering a form the API would refuse.
// The demo's own gifts, paid through the emulator's Checkout and posted as any gift is (the server
// this file starts reads the variable; it is put back for the files after this one).
beforeAll(() => {
  process.env.DEMO_GIFTS = 'true';
});
afterAll(() => {
  delete process.env.DEMO_GIFTS;
});
const e2e = useE2E();

describe('a ledger line of a local, for the platform treasurer whose role does not reach down', () => {
  it('opens the gift behind it, which only the local’s treasurers refund', async () => {
    const db = e2e.db.database.db;
    const email = 'books@federation.example';
    const context = await e2e.context({ javaScriptEnabled: false, viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, email, '/');
    await db.execute(sql`
      INSERT INTO memberships (user_id, organization_id, role, includes_descendants)
      SELECT u.id, o.id, 'treasurer', false FROM users u, organizations o WHERE u.email = ${email} AND o.slug = 'demo-federation'`);
    // The demo's gifts to Local 222's drive, once the poster has put one in the ledger.
    const postedGift = () =>
      queryRows<{ account: string }>(
        db,
        sql`SELECT a.id::text AS account FROM ledger_accounts a
              JOIN appeals p ON a.code = 'appeal:' || p.id
              JOIN ledger_entries e ON e.account_id = a.id
              JOIN ledger_transactions t ON t.id = e.transaction_id
             WHERE p.slug = 'buck-a-brick' AND t.metadata ? 'donationId' LIMIT 1`,
      );
    await expect.poll(async () => (await postedGift()).length, { timeout: 30_000 }).toBe(1);
    const [{ account }] = (await postedGift()) as [{ account: string }];
    await page.goto(`${e2e.url}/treasury/accounts/${account}`);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Open gift' }).first().click()]);
    expect(page.url()).toMatch(/\/treasury\/donations\/[0-9a-f-]{36}$/);
    expect((await page.getByTestId('refund-elsewhere').textContent())?.replace(/[\u2068\u2069]/g, '')).toBe('Refunds of this gift are made by the treasurers of UE Local 222 (demo).');
    expect(await page.locator('form[action^="?/review"], form[action^="?/refund"]').count()).toBe(0);
    await context.close();
  });
});
