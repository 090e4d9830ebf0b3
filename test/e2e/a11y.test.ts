import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appealBySlug, moderateWallEntry, postUpdate } from '../../server/appeals/manage-service';
import { giftReaches, signInContext, startGift, wcagViolations, withAxe } from './a11y-audit';
import { startE2E, type E2E } from './harness';

// The accessibility audit: axe-core's WCAG 2.2 A/AA rules on every kind of page, as each kind of
// person meets it (signed out, member, organizer, treasurer, admin, a person invited), in English
// and in Arabic (right to left), on a 360 px phone and a desktop, including the states that show
// errors. Any serious or critical violation fails, listed with its rule, its element and its page.
// What axe cannot see (keyboard, errors on fields, enlarged text) is in a11y-keyboard.test.ts.
let e2e: E2E;
const widths = [1280, 360];
/** Pages that exist only once something has happened: gifts, mails, an invitation. */
const made = { memberGift: '', disputedGift: '', checkout: '', paidCheckout: '', account: '', updatesStop: '', invitation: '', signInConfirm: '' };

/** The path and query of the first link in the newest mail to `to` that holds `path`. */
async function mailedLink(to: string, path: string): Promise<string> {
  const [mail] = await queryRows<{ text_body: string }>(e2e.db.database.db, sql`SELECT text_body FROM outbox_emails WHERE to_address = ${to} AND text_body LIKE ${`%${path}%`} ORDER BY created_at DESC LIMIT 1`);
  if (!mail) throw new Error(`no mail to ${to} with a link to ${path}`);
  const url = new URL(mail.text_body.match(new RegExp(`https?://\\S*${path}\\S*`))![0]);
  return url.pathname + url.search;
}

beforeAll(async () => {
  e2e = await startE2E();
  const db = e2e.db.database.db;
  // A member's gift with a message on the wall (receipt, account, thank-you, treasury), a gift
  // charged back (disputes), and a checkout left open (the emulator's payment page).
  const member = await startGift(e2e, { donorEmail: 'member@ue222.demo', donorName: 'Member of Local 222', message: 'Solidarity from Local 222!', updatesOptIn: true }, '4242 4242 4242 4242');
  const disputed = await startGift(e2e, { donorEmail: 'disputed@example.org' }, '4000 0000 0000 0259');
  made.checkout = (await startGift(e2e, { donorEmail: 'keyboard@example.org' }, null)).checkoutUrl;
  Object.assign(made, { memberGift: member.id, disputedGift: disputed.id, paidCheckout: member.checkoutUrl });
  await giftReaches(e2e, member.id, 'succeeded');
  await giftReaches(e2e, disputed.id, 'disputed');
  const brick = await appealBySlug(db, 'buck-a-brick');
  await moderateWallEntry(db, { appeal: brick, by: null, donationId: member.id, messageStatus: 'approved' });
  // Posted after the gift that asked for news, so that its mail (with a link to stop them) goes out.
  await postUpdate(db, { appeal: brick, by: null, title: 'The walls are up', bodyMarkdown: 'Thank you: **600 bricks** laid.', publicUrl: e2e.url });
  made.updatesStop = await mailedLink('member@ue222.demo', '/updates/stop');
  const [account] = await queryRows<{ id: string }>(db, sql`SELECT id::text FROM ledger_accounts WHERE code LIKE 'appeal:%' AND currency = 'USD' LIMIT 1`);
  made.account = `/treasury/accounts/${account!.id}`;
  // A sign-in link not used yet, and an invitation waiting to be accepted.
  await fetch(`${e2e.url}/api/auth/sign-in/magic-link`, { method: 'POST', headers: { 'content-type': 'application/json', origin: e2e.url }, body: JSON.stringify({ email: 'unused@example.org', callbackURL: '/' }) });
  made.signInConfirm = await mailedLink('unused@example.org', '/signin/confirm');
  const admin = await e2e.context();
  await signInContext(e2e, admin, 'admin@federation.demo');
  const invited = await admin.request.post(`${e2e.url}/api/organizations/ue-local-222/invitations`, { data: { email: 'invited@ue222.demo', role: 'treasurer' }, headers: { origin: e2e.url } });
  if (!invited.ok()) throw new Error(`the invitation answered ${invited.status()}: ${await invited.text()}`);
  await admin.close();
  made.invitation = await mailedLink('invited@ue222.demo', '/invitations/accept');
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

type Visit = { name: string; path: string | (() => string); then?: (page: Page) => Promise<unknown> };

/**
 * Opens each page as `email` (or signed out) reading `language`, brings it to the state `then`
 * leaves it in, and runs axe on it at each width. Fails with every finding, one line each.
 */
async function audit(email: string | null, language: string, visits: Visit[]): Promise<void> {
  const context = await e2e.context({ language, bypassCSP: true });
  await withAxe(context);
  if (email) await signInContext(e2e, context, email);
  const page = await context.newPage();
  const found: string[] = [];
  for (const visit of visits) {
    await page.setViewportSize({ width: widths[0]!, height: 800 });
    const path = typeof visit.path === 'function' ? visit.path() : visit.path;
    await page.goto(path.startsWith('http') ? path : `${e2e.url}${path}`);
    await visit.then?.(page);
    for (const width of widths) {
      await page.setViewportSize({ width, height: 800 });
      found.push(...(await wcagViolations(page, `${visit.name} (${new URL(path, e2e.url).pathname}) [${language}, ${width} px]`)));
    }
  }
  await context.close();
  expect(found, 'serious or critical WCAG 2.2 A/AA violations').toEqual([]);
}

/** Fills the fields (selector → value), submits with `submit`, and waits for `shown` in the answer. */
const submitted = (submit: string, shown: string, fill: Record<string, string> = {}) => async (page: Page) => {
  for (const [selector, value] of Object.entries(fill)) await page.locator(selector).fill(value);
  await page.locator(submit).click();
  await page.locator(shown).first().waitFor();
};

describe('axe finds no serious WCAG 2.2 A/AA violation', () => {
  for (const language of ['en', 'ar']) {
    it(`signed out, in ${language}`, async () => {
      await audit(null, language, [
        { name: 'home', path: '/' },
        { name: 'appeal with a unit', path: '/appeals/buck-a-brick' },
        { name: 'appeal, gift refused', path: '/appeals/buck-a-brick', then: submitted('#give button[type="submit"]', '#give-error', { 'input[name="unitsOther"]': '-3' }) },
        { name: 'appeal in Japanese, back from checkout', path: '/appeals/osaka-care-strike-fund?canceled=1' },
        { name: 'thank-you', path: () => `/appeals/buck-a-brick/thanks?donation=${made.memberGift}` },
        { name: 'sign-in', path: '/signin' },
        { name: 'sign-in, address refused', path: '/signin', then: submitted('form button.btn', '#signin-error', { 'input[name="email"]': 'not-an-address' }) },
        { name: 'sign-in, link sent', path: '/signin', then: submitted('form button.btn', '[data-testid="signin-sent"]', { 'input[name="email"]': `a11y-${language}@example.org` }) },
        { name: 'sign-in, confirm', path: () => made.signInConfirm },
        { name: 'stop update mail', path: () => made.updatesStop },
        { name: 'dev mail', path: '/dev/mail' },
        { name: 'not found', path: '/appeals/no-such-appeal' },
      ]);
    });

    it(`a member, in ${language}`, async () => {
      await audit('member@ue222.demo', language, [
        { name: 'account', path: '/account' },
        { name: 'receipt', path: () => `/account/receipts/${made.memberGift}` },
        { name: 'treasury, not a treasurer', path: '/treasury' },
      ]);
    });

    it(`an organizer, in ${language}`, async () => {
      await audit('organizer@ue222.demo', language, [
        { name: 'manage', path: '/manage' },
        { name: 'launch a drive', path: '/manage/ue-local-222/new' },
        { name: 'launch a drive, errors', path: '/manage/ue-local-222/new', then: submitted('#appeal-form .actions button', '[aria-invalid="true"]') },
        // Edit, story, cover, translations, updates and the donors' messages are sections of one page.
        { name: 'manage an appeal', path: '/manage/appeals/buck-a-brick' },
        { name: 'manage an appeal, update refused', path: '/manage/appeals/buck-a-brick', then: submitted('form[action^="?/update"] button[type="submit"]', '#update-error') },
        { name: 'manage an appeal, closing', path: '/manage/appeals/buck-a-brick?close=1' },
      ]);
    });

    it(`a treasurer, in ${language}`, async () => {
      await audit('treasurer@federation.demo', language, [
        { name: 'treasury', path: '/treasury' },
        { name: 'statement', path: () => made.account },
        { name: 'disputes', path: '/treasury/disputes' },
        { name: 'gift and refund', path: () => `/treasury/donations/${made.memberGift}` },
        { name: 'refund refused', path: () => `/treasury/donations/${made.memberGift}`, then: submitted('form[action^="?/review"] button[type="submit"]', '#refund-error') },
        { name: 'refund to confirm', path: () => `/treasury/donations/${made.memberGift}`, then: submitted('form[action^="?/review"] button[type="submit"]', '[data-testid="refund-confirm"]', { '#refund-amount': '5' }) },
        { name: 'gift charged back', path: () => `/treasury/donations/${made.disputedGift}` },
      ]);
    });

    it(`an admin and the person invited, in ${language}`, async () => {
      await audit('admin@federation.demo', language, [
        { name: 'people', path: '/manage/ue-local-222/people' },
        { name: 'people, invitation refused', path: '/manage/ue-local-222/people', then: submitted('form[action^="?/invite"] button[type="submit"]', '#invite-error', { 'form[action^="?/invite"] input[name="email"]': 'not-an-address' }) },
      ]);
      await audit('invited@ue222.demo', language, [{ name: 'invitation', path: () => made.invitation }]);
    });
  }

  it('the Osaka appeal, for a Japanese reader', async () => {
    await audit(null, 'ja', [{ name: 'appeal in Japanese', path: '/appeals/osaka-care-strike-fund' }]);
  });

  // The emulator's pages stand in for Stripe's, which speak no Arabic: in English only.
  it('the emulator’s hosted checkout', async () => {
    await audit(null, 'en', [
      { name: 'checkout', path: () => made.checkout },
      { name: 'checkout, card refused', path: () => made.checkout, then: submitted('form button[type="submit"]', '#errors') },
      { name: 'checkout, already paid', path: () => made.paidCheckout },
    ]);
  });
});
