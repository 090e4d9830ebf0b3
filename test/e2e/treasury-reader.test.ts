import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { signInWithMail, useE2E } from './harness';

// The treasury pages as treasurers read them: a local's treasurer is not shown what only the
// platform's treasurers can see.
const e2e = useE2E();

describe('treasury pages for the reader in front of them', () => {
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
});
