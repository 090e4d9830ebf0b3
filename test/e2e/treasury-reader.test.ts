import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { post } from '../../server/ledger/service';
import { accountIds } from '../../server/payments/chart';
import { zoneName } from '../../web/src/lib/format';
import { signInWithMail, useE2E } from './harness';
import ja from '../../web/messages/ja.json' with { type: 'json' };

// The treasury pages as two treasurers read them: one far from UTC, whose statement days are her
// own, and a local's treasurer, who is not shown what only the platform's treasurers can see.
const e2e = useE2E();

/** A zone whose calendar day differs from UTC's right now: west of UTC before noon UTC, else east. */
function zoneOnAnotherDay(now: Date): string {
  return now.getUTCHours() < 11 ? 'Pacific/Pago_Pago' : 'Pacific/Kiritimati';
}

/** The day (2026-12-07) a moment falls on in a zone. */
const dayIn = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

describe('treasury pages for the reader in front of them', () => {
  it("a statement's From and To are days in the treasurer's own time zone, as its lines are", async () => {
    // An account of its own, with three postings made just now.
    const db = e2e.db.database.db;
    const [here, there] = await accountIds(db, [
      { code: 'test:reader-zone', currency: 'USD', type: 'asset', allowNegative: true },
      { code: 'test:reader-zone-other', currency: 'USD', type: 'asset', allowNegative: true },
    ]);
    await post(
      db,
      [1n, 2n, 3n].map((n) => ({ idempotencyKey: `test:reader-zone:${n}`, kind: 'test', entries: [{ accountId: here!, amountMinor: 100n * n }, { accountId: there!, amountMinor: -100n * n }] })),
    );
    const [range] = await queryRows<{ first: Date | string; last: Date | string }>(
      db,
      sql`SELECT min(t.posted_at) AS first, max(t.posted_at) AS last FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id WHERE e.account_id = ${here!.toString()}::bigint`,
    );
    const account = { id: here!.toString(), n: '3' };
    const zone = zoneOnAnotherDay(new Date(range!.last));
    const first = dayIn(new Date(range!.first), zone);
    const last = dayIn(new Date(range!.last), zone);
    // Her days are not UTC's: asked as UTC days, the range would miss these postings.
    expect(last).not.toBe(new Date(range!.last).toISOString().slice(0, 10));

    const context = await e2e.context({ javaScriptEnabled: false, timezoneId: zone });
    await context.addCookies([{ name: 'tz', value: zone, url: e2e.url }]);
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, 'treasurer@federation.demo', `/treasury/accounts/${account.id}`);
    const all = await page.getByTestId('statement').locator('tbody tr').count();
    expect(all).toBe(Number(account.n));

    await page.goto(`${e2e.url}/treasury/accounts/${account.id}?from=${first}&to=${last}`);
    expect(await page.getByTestId('statement').locator('tbody tr').count()).toBe(all);
    // The page says whose days they are, the zone its times name.
    expect(await page.getByTestId('statement-zone').textContent()).toBe(`Days in ${zoneName(new Date(), 'en', zone)}, the time zone of the times below.`);
    expect(await page.getByRole('form', { name: `Postings between two dates (${zoneName(new Date(), 'en', zone)})` }).count()).toBe(1);
    // The days before hers hold none of them.
    const dayBefore = new Date(Date.parse(`${first}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${e2e.url}/treasury/accounts/${account.id}?from=${dayBefore}&to=${dayBefore}`);
    expect(await page.getByTestId('statement').count()).toBe(0);
    await context.close();
  });

  it("a local's treasurer is not told that no Stripe event is parked: that list is the platform treasurers'", async () => {
    const id = `evt_parked_local_${Date.now()}`;
    const payload = JSON.stringify({ id, object: 'event', type: 'checkout.session.completed', data: { object: {} } });
    await queryRows(
      e2e.db.database.db,
      sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload, status, attempts, last_error) VALUES (${id}, 'checkout.session.completed', now(), ${payload}, 'parked', 8, 'Stripe did not answer') RETURNING id`,
    );
    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signInWithMail(page, e2e.url, 'tesorera@ue222.demo', '/account');
    await queryRows(e2e.db.database.db, sql`INSERT INTO memberships (user_id, organization_id, role) SELECT u.id, o.id, 'treasurer' FROM users u, organizations o WHERE u.email = 'tesorera@ue222.demo' AND o.slug = 'ue-local-222' RETURNING id`);
    await page.goto(`${e2e.url}/treasury`);
    // Her page is a treasurer's (her local's disputes), but the parked events are not hers to see or retry.
    expect(await page.getByTestId('disputes').count()).toBe(1);
    expect(await page.locator('main').textContent()).not.toContain('No parked events.');
    expect(await page.getByTestId('parked').count()).toBe(0);

    // The platform's treasurer sees it, with its retry.
    const platform = await e2e.context({ javaScriptEnabled: false });
    const own = await platform.newPage();
    await signInWithMail(own, e2e.url, 'treasurer@federation.demo', '/treasury');
    expect(await own.getByTestId('parked').locator('tr', { hasText: id }).count()).toBe(1);
    await platform.close();
    await context.close();
  });

  it('says when more events are parked than the page lists, in her language', async () => {
    const db = e2e.db.database.db;
    await queryRows(
      db,
      sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload, status, attempts, last_error)
          SELECT 'evt_parked_many_' || n, 'charge.refunded', now(), '{}', 'parked', 8, 'Stripe did not answer' FROM generate_series(1, 60) AS n RETURNING id`,
    );
    try {
      const context = await e2e.context({ javaScriptEnabled: false });
      const page = await context.newPage();
      await signInWithMail(page, e2e.url, 'treasurer@federation.demo', '/treasury');
      await page.goto(`${e2e.url}/treasury?lang=ja`);
      expect(await page.getByTestId('parked').locator('tbody tr').count()).toBe(50);
      expect(await page.getByTestId('parked-more').textContent()).toBe(ja.treasury_parked_more.replace('{shown}', '50'));
      await context.close();
    } finally {
      await queryRows(db, sql`DELETE FROM stripe_events WHERE id LIKE 'evt_parked_many_%' RETURNING id`);
    }
  });
});
