import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInContext } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// A gift whose chargeback the appeal lost stays 'disputed': the organizers' table said "Disputed"
// for it as for one still open, though the money had gone back to the card. It says the loss.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
  const db = e2e.db.database.db;
  for (const [name, disputeStatus] of [['Lost Chargeback', 'lost'], ['Open Chargeback', 'needs_response']] as const) {
    const [gift] = await e2e.db.database.rows<{ id: string }>(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, status, donor_name, donor_email, locale, request_key, charge_id, succeeded_at)
      SELECT a.id, 'USD', 4000, 'disputed', ${name}, ${`${disputeStatus}@donors.example.org`}, 'en', ${`dispute-e2e:${disputeStatus}`}, ${`ch_e2e_${disputeStatus}`}, now()
      FROM appeals a WHERE a.slug = 'buck-a-brick' RETURNING id`);
    await db.execute(sql`
      INSERT INTO disputes (id, donation_id, charge_id, currency, amount_minor, reason, status, livemode, opened_at, reported_at)
      VALUES (${`dp_e2e_${disputeStatus}`}, ${gift!.id}, ${`ch_e2e_${disputeStatus}`}, 'USD', 4000, 'fraudulent', ${disputeStatus}, false, now(), now())`);
  }
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

describe("the manage page's gifts with a chargeback", () => {
  it('says a lost chargeback apart from an open one, without JavaScript', async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    await signInContext(e2e, context, 'organizer@ue222.demo');
    const page = await context.newPage();
    await page.goto(`${e2e.url}/manage/appeals/buck-a-brick`);
    const status = async (name: string) => (await page.locator('tbody tr', { hasText: name }).locator('td[data-label="Status"]').textContent())?.trim();
    expect(await status('Lost Chargeback')).toBe('Chargeback lost');
    expect(await status('Open Chargeback')).toBe('Disputed');
    await context.close();
  });
});
