import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { startE2E, type E2E } from './harness';

// The sign-in link's page did not say which account it signs into. A link someone else asked for
// (his own address), planted in a page or a message, was one press of "Sign in" from signing the
// visitor in as him, her gifts then going to his account. The page now names the address the
// link is for, read without spending the token or extending it, with and without JavaScript; a
// link that no longer works says so at once.
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

/** Asks for a link for `email` as the sign-in page does, and answers the path of the link mailed. */
async function linkFor(email: string): Promise<string> {
  const asked = await fetch(`${e2e.url}/api/auth/sign-in/magic-link`, { method: 'POST', headers: { 'content-type': 'application/json', origin: e2e.url }, body: JSON.stringify({ email, callbackURL: '/account' }) });
  expect(asked.status).toBe(200);
  const [mail] = await queryRows<{ text_body: string }>(e2e.db.database.db, sql`SELECT text_body FROM outbox_emails WHERE to_address = ${email} ORDER BY created_at DESC LIMIT 1`);
  const url = new URL(mail!.text_body.match(/https?:\/\/\S+\/signin\/confirm\S*/)![0]);
  return url.pathname + url.search;
}

const linkExpiries = async () => (await queryRows<{ at: string }>(e2e.db.database.db, sql`SELECT expires_at::text AS at FROM verifications ORDER BY id`)).map((r) => r.at);

describe('the sign-in link’s page names the account', () => {
  for (const javaScriptEnabled of [true, false]) {
    it(`says which address the link signs in as, and signs in only on the button (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const email = `planted-${javaScriptEnabled ? 'js' : 'plain'}@example.org`;
      const link = await linkFor(email);
      const expiries = await linkExpiries();
      const context = await e2e.context({ javaScriptEnabled });
      const page = await context.newPage();
      await page.goto(`${e2e.url}${link}`);
      expect(await page.getByTestId('confirm-account').textContent()).toContain(email);
      // Reading the address neither spent the token nor made it last longer.
      expect(await linkExpiries()).toEqual(expiries);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL((url) => url.pathname === '/account');
      expect(await page.locator('main').textContent()).toContain(email);
      await context.close();
    });
  }

  it('says at once that a used link no longer works, and names no one', async () => {
    const email = 'used@example.org';
    const link = await linkFor(email);
    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${e2e.url}${link}`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/account');
    const other = await e2e.context();
    const again = await other.newPage();
    await again.goto(`${e2e.url}${link}`);
    expect(await again.getByTestId('confirm-error').textContent()).toBe('This sign-in link has expired or was already used. Links work once, for 15 minutes.');
    expect(await again.getByRole('button', { name: 'Sign in', exact: true }).count()).toBe(0);
    expect(await again.locator('main').textContent()).not.toContain(email);
    await other.close();
    await context.close();
  });
});
