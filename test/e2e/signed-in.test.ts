import { randomUUID } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { queryRows } from '../../db/client';
import { memberships, organizations, users } from '../../db/schema/index';
import { accountIds, chart } from '../../server/payments/chart';
import ar from '../../web/messages/ar.json' with { type: 'json' };
import { appealProgress, holdAppScripts, payOnCheckout, screenshots, seriousAxeViolations, settledGiftStatus, signInWithMail, startE2E, type E2E } from './harness';

// The signed-in side, as the people who use it: an organizer launches and publishes a drive, a
// member gives monthly while someone else watches the total move live, the member finds the gift
// and ends the monthly gift (without JavaScript), and a treasurer refunds part of it.
let e2e: E2E;
const slug = 'roof-for-the-tijuana-hall';
const title = 'Roof for the Tijuana hall';
let giftId = '';

beforeAll(async () => {
  e2e = await startE2E();
}, 120_000);

afterAll(async () => {
  await e2e?.close();
});

const progress = () => appealProgress(e2e.url, slug);

async function axeAndShots(page: Page, name: string): Promise<void> {
  expect(await seriousAxeViolations(page), name).toEqual([]);
  await screenshots(page, name);
}

// A 1×1 PNG: enough for the API's magic-byte check and for the page to show a cover.
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** A grey PNG of `width` × `height`, for telling one cover from another by its size. */
function pngOf(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.from([0, ...new Array<number>(width).fill(128)])));
  return Buffer.concat([png.subarray(0, 8), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

describe('signed in', () => {
  let organizer: BrowserContext;

  it('an organizer signs in with the mailed link, launches a drive with a unit and publishes it', async () => {
    organizer = await e2e.context({ bypassCSP: true });
    const page = await organizer.newPage();
    await page.goto(`${e2e.url}/signin?next=%2Fmanage`);
    await axeAndShots(page, 'signin');
    await signInWithMail(page, e2e.url, 'organizer@ue222.demo', '/manage');
    expect(await page.getByTestId('signed-in-as').textContent()).toContain('Local 222 organizer');
    expect(await page.getByTestId('org-ue-local-222').textContent()).toContain('Buck-a-Brick');
    // An organizer runs drives; the organization's people are its admins' to manage.
    expect(await page.getByRole('link', { name: /^People/ }).count()).toBe(0);
    await axeAndShots(page, 'manage');

    await page.getByRole('link', { name: /Launch a drive · UE Local 222/ }).click();
    await page.waitForURL(/\/manage\/ue-local-222\/new$/);
    await page.getByLabel('Title', { exact: true }).fill(title);
    await page.getByLabel('Web address (optional)', { exact: true }).fill(slug);
    await page.getByLabel('Summary', { exact: true }).fill('Winter is coming: the hall needs a roof before the rains.');
    await page.getByLabel('Story', { exact: true }).fill('The hall has walls. **It needs a roof.**\n\n- 500 tiles\n- one weekend of work');
    // The preview follows the typing, rendered by the same renderer as the saved story.
    await expect.poll(() => page.getByTestId('story-preview').innerHTML(), { timeout: 5000 }).toContain('<strong>It needs a roof.</strong>');
    await page.getByLabel('Beneficiary', { exact: true }).fill('Independent municipal workers’ union, Tijuana (demo)');
    await page.getByLabel('Goal', { exact: true }).fill('2,500.00');
    await page.getByLabel('Unit name', { exact: true }).fill('tile');
    await page.getByLabel('Price of one unit', { exact: true }).fill('5');
    // Past the next month's charge whatever the month (the member's monthly gift is told its next
    // charge; one the deadline came first would be told it ends with the appeal instead).
    const deadline = new Date(Date.now() + 45 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Deadline (optional)', { exact: true }).fill(deadline);
    await axeAndShots(page, 'launch');
    // A unit donors could not give is said beside its field: Stripe takes KWD in steps of 0.010,
    // and a unit cannot cost more than the goal.
    expect(await page.locator('#unit-hint').textContent()).toContain('For example “brick” at $1.00:');
    await page.getByLabel('Currency').selectOption('KWD');
    // The hint's example price follows the chosen currency.
    await expect.poll(() => page.locator('#unit-hint').textContent()).toContain('at KWD\u00a01.000:');
    await page.getByLabel('Price of one unit', { exact: true }).fill('0.005');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await expect.poll(() => page.locator('#unitPrice-error').textContent()).toBe('Stripe charges this currency in steps of KWD 0.010: make the unit’s price a multiple of it.');
    await page.getByLabel('Currency').selectOption('USD');
    await page.getByLabel('Price of one unit', { exact: true }).fill('2,600');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await expect.poll(() => page.locator('#unitPrice-error').textContent()).toBe('A unit can’t cost more than the whole goal.');
    await page.getByLabel('Price of one unit', { exact: true }).fill('5');
    // A goal of nothing, or beyond what an appeal holds, is told as such, not as unreadable.
    await page.getByLabel('Goal', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await expect.poll(() => page.locator('#goal-error').textContent()).toBe('The amount must be more than zero.');
    await page.getByLabel('Goal', { exact: true }).fill('99,999,999,999,999');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await expect.poll(() => page.locator('#goal-error').textContent()).toBe('That amount is larger than an appeal can hold: at most $9,999,999,999,999.99.');
    await page.getByLabel('Goal', { exact: true }).fill('2,500.00');
    await page.getByRole('button', { name: 'Save as draft' }).click();

    await page.waitForURL(new RegExp(`/manage/appeals/${slug}\\?created=1(#main)?$`));
    expect(await page.getByTestId('appeal-status').textContent()).toBe('Draft');
    // Drafts are not public.
    expect((await fetch(`${e2e.url}/api/appeals/${slug}`)).status).toBe(404);
    // A picture with more pixels than a page can draw is refused with what to do about it, not
    // called "not a PNG": the header of the 1×1 PNG says 20,000 × 20,000 (CRC made right).
    const huge = Buffer.from(png);
    huge.writeUInt32BE(20_000, 16);
    huge.writeUInt32BE(20_000, 20);
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)), 29);
    await page.locator('input[name="cover"]').setInputFiles({ name: 'scan.png', mimeType: 'image/png', buffer: huge });
    await page.getByRole('button', { name: 'Upload cover' }).click();
    await page.getByText('The image has too many pixels for a page to show: make it at most 8,000 pixels wide or high (40 megapixels in all) and try again.').waitFor({ timeout: 5000 });
    await page.locator('input[name="cover"]').setInputFiles({ name: 'roof.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'Upload cover' }).click();
    await page.getByText('Cover image saved.').waitFor();
    // Publishing asks first (see publish-confirm.test.ts).
    await page.getByRole('link', { name: 'Publish the appeal…' }).click();
    await page.getByRole('button', { name: 'Yes, publish it' }).click();
    await expect.poll(() => page.getByTestId('appeal-status').textContent()).toBe('Live');

    // A cover replaced, and replaced again within the five minutes a browser keeps one: each time
    // the page shows the picture just uploaded, never the one the browser kept from before.
    const coverShown = () => page.locator('section[aria-labelledby="cover-title"] img.cover').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth);
    for (const [image, width] of [[pngOf(2, 2), 2], [png, 1]] as const) {
      await page.locator('input[name="cover"]').setInputFiles({ name: 'roof.png', mimeType: 'image/png', buffer: image });
      await page.getByRole('button', { name: 'Upload cover' }).click();
      await page.getByText('Cover image saved.').waitFor();
      await expect.poll(coverShown, { timeout: 5000 }).toBe(width);
    }

    // A French translation: French readers get it on the public page, in French, marked as such.
    const translation = page.locator('#translation-form');
    await translation.getByLabel('Language').selectOption('fr');
    await translation.getByLabel('Title', { exact: true }).fill('Un toit pour la maison syndicale de Tijuana');
    await translation.getByLabel('Story', { exact: true }).fill('La maison a des murs. **Il lui faut un toit.**');
    await translation.getByRole('button', { name: 'Save translation' }).click();
    await page.getByText('translation was saved').waitFor();
    // Adding another offers only the languages without one: saving French again would replace it unseen.
    await expect.poll(() => translation.getByLabel('Language').locator('option[value="fr"]').count()).toBe(0);
    expect(await translation.getByLabel('Language').locator('option').count()).toBe(6);
    // A new drive has no donor asking for news: the organizer is told an update would reach no one's inbox.
    expect(await page.getByTestId('update-reach').textContent()).toBe('No donor has asked for news yet: an update shows on the appeal’s page only.');
    await axeAndShots(page, 'manage-appeal');

    const api = (await (await fetch(`${e2e.url}/api/appeals/${slug}`)).json()) as { goalMinor: string; unit: { priceMinor: string }; coverImageUrl: string | null };
    expect(api).toMatchObject({ goalMinor: '250000', unit: { name: 'tile', priceMinor: '500' }, coverImageUrl: expect.stringMatching(new RegExp(`^/api/appeals/${slug}/cover\\?v=[0-9a-f-]{36}$`)) });
    const french = await e2e.context({ language: 'fr' });
    const frPage = await french.newPage();
    await frPage.goto(`${e2e.url}/appeals/${slug}`);
    expect(await frPage.locator('h1').textContent()).toBe('Un toit pour la maison syndicale de Tijuana');
    expect(await frPage.getByTestId('story').innerHTML()).toContain('<strong>Il lui faut un toit.</strong>');
    expect(await frPage.getByTestId('story').getAttribute('lang')).toBe('fr');
    expect(await frPage.getByTestId('cover').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    // French names no unit: French readers get the original "tile" (an audit found Japanese readers asked "いくつ？（brick）").
    expect(await frPage.locator('#give legend').first().textContent()).toContain('(tile)');
    await french.close();

    // A Japanese translation that names the unit: Japanese readers are asked for 瓦, not "tile",
    // wherever the page names the unit; the price stays the appeal's own.
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    await translation.getByLabel('Language').selectOption('ja');
    await translation.getByLabel('Title', { exact: true }).fill('ティフアナの組合会館に屋根を');
    await translation.getByLabel('Unit name (optional)', { exact: true }).fill('瓦');
    expect(await page.locator('#translation-unit-hint').textContent()).toContain('“tile”');
    await translation.getByRole('button', { name: 'Save translation' }).click();
    await page.getByText('translation was saved').waitFor();
    const japanese = await e2e.context({ language: 'ja', bypassCSP: true });
    const jaPage = await japanese.newPage();
    await jaPage.goto(`${e2e.url}/appeals/${slug}`);
    expect(await jaPage.locator('h1').textContent()).toBe('ティフアナの組合会館に屋根を');
    const legend = (await jaPage.locator('#give legend').first().textContent()) ?? '';
    expect(legend).toContain('いくつ？（瓦）');
    expect(legend).toContain('1 瓦 = $5.00');
    expect(await jaPage.getByTestId('wall-text').textContent()).toContain('瓦：500個中0個');
    expect(await jaPage.locator('body').innerText()).not.toContain('tile');
    expect(await seriousAxeViolations(jaPage), 'appeal-ja-unit').toEqual([]);
    await screenshots(jaPage, 'appeal-ja-unit');
    // So does its card on the home page.
    await jaPage.goto(`${e2e.url}/`);
    expect(await jaPage.locator('article', { has: jaPage.locator(`a[href="/appeals/${slug}"]`) }).locator('h2').textContent()).toBe('ティフアナの組合会館に屋根を');
    // The thank-you page names the appeal as its page did.
    const started = await fetch(`${e2e.url}/api/appeals/${slug}/donations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: e2e.url },
      body: JSON.stringify({ amountMinor: '500', frequency: 'one_off', donorEmail: 'kenji@example.jp', locale: 'ja', idempotencyKey: `thanks-ja-${slug}` }),
    });
    expect(started.status).toBe(201);
    await jaPage.goto(`${e2e.url}/appeals/${slug}/thanks?donation=${((await started.json()) as { donationId: string }).donationId}`);
    expect(await jaPage.locator('#appeal-title').textContent()).toBe('ティフアナの組合会館に屋根を');
    expect(await jaPage.locator('#appeal-title').getAttribute('lang')).toBe('ja');
    await japanese.close();
  });

  it('a member gives monthly with 4242 while another browser sees the total move without reloading', async () => {
    const watcher = await e2e.context();
    const watching = await watcher.newPage();
    await watching.goto(`${e2e.url}/appeals/${slug}`);
    expect(await watching.getByTestId('raised').textContent()).toBe('$0.00');
    await watching.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    const member = await e2e.context({ javaScriptEnabled: false });
    const page = await member.newPage();
    await page.goto(`${e2e.url}/appeals/${slug}`);
    // At $5 a tile the form suggests 1 to 10 tiles (a gift's worth); she types 25.
    await page.getByLabel('Another number of tiles').fill('25');
    await page.getByLabel('Give this every month').check();
    await page.getByLabel('Your name (for the donor wall)').fill('Member of Local 222');
    await page.getByLabel('Email, for your receipt').fill('member@ue222.demo');
    await page.getByLabel('A message of solidarity (optional)').fill('A tile a month!');
    await page.getByRole('button', { name: 'Continue to secure payment' }).click();
    await payOnCheckout(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/thanks\?donation=/);
    giftId = new URL(page.url()).searchParams.get('donation')!;
    expect(await settledGiftStatus(page)).toBe('succeeded');

    // The watcher's page moved by itself: $125.00 raised, one donor, 25 tiles, no reload.
    await expect.poll(() => watching.getByTestId('raised').textContent(), { timeout: 10_000 }).toBe('$125.00');
    expect(await watching.getByTestId('donors').textContent()).toBe('1');
    expect(await watching.getByTestId('brick-wall').getAttribute('data-filled')).toBe('25');
    expect(await watching.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await watcher.close();
    await member.close();
  });

  it('the organizer sees the donor, puts the message on the wall, downloads the CSV, and cannot change the goal now', async () => {
    const page = await organizer.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    const donors = page.getByTestId('donors-table');
    expect(await donors.textContent()).toContain('member@ue222.demo');
    expect(await donors.textContent()).toContain('Waiting for review');
    await donors.getByRole('button', { name: 'Show on the wall' }).click();
    await expect.poll(() => donors.textContent(), { timeout: 10_000 }).toContain('On the wall');
    await axeAndShots(page, 'manage-donors');
    const wall = (await (await fetch(`${e2e.url}/api/appeals/${slug}/wall`)).json()) as { donors: { message: string | null }[] };
    expect(wall.donors.map((d) => d.message)).toContain('A tile a month!');

    const csv = await page.request.get(`${e2e.url}/api/appeals/${slug}/donors.csv`);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toContain('member@ue222.demo');

    // The goal, currency and unit are fixed once a gift exists: shown, not offered, and saving the
    // rest still works (the API refuses a change of terms with 409 in any case).
    expect(await page.getByLabel('Goal', { exact: true }).getAttribute('readonly')).not.toBeNull();
    expect(await page.getByLabel('Currency').isDisabled()).toBe(true);
    expect(await page.getByLabel('Goal', { exact: true }).getAttribute('aria-describedby')).toContain('terms-hint');
    // And it looks fixed: not drawn like the title beside it, which can still be typed in.
    const looks = (label: string) => page.locator('#appeal-form').getByLabel(label, { exact: true }).evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(await looks('Goal')).not.toBe(await looks('Title'));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('saved').waitFor();
    const api = (await (await fetch(`${e2e.url}/api/appeals/${slug}`)).json()) as { goalMinor: string; currency: string };
    expect(api).toMatchObject({ goalMinor: '250000', currency: 'USD' });
    await page.close();
  });

  // Every other form on the manage page loads the page's data again once sent: a story being
  // written and not saved yet stays as typed, in the language chosen for it (it used to go back to
  // the saved story, while the fields beside it kept what was typed).
  it("the organizer's unsaved story and its language stay while another form on the page is sent", async () => {
    const page = await organizer.newPage();
    await page.goto(`${e2e.url}/manage/appeals/${slug}`);
    const edit = page.locator('#appeal-form');
    const story = edit.getByLabel('Story', { exact: true });
    const saved = await story.inputValue();
    const draft = `${saved}\n\nNot saved yet: **the roof comes next**.`;
    await story.fill(draft);
    await edit.getByLabel('Language').selectOption('es');
    // So does a translation being written: the language it is in, and its title.
    const translation = page.locator('#translation-form');
    const offered = await translation.getByLabel('Language').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const translatingInto = offered.at(-1)!;
    await translation.getByLabel('Language').selectOption(translatingInto);
    await translation.getByLabel('Title', { exact: true }).fill('Not saved yet');
    const donors = page.getByTestId('donors-table');
    await donors.getByRole('button', { name: /^Hide/ }).click();
    await expect.poll(() => donors.textContent(), { timeout: 10_000 }).toContain('Hidden');
    expect(await story.inputValue()).toBe(draft);
    expect(await edit.getByLabel('Language').inputValue()).toBe('es');
    expect(await story.getAttribute('lang')).toBe('es');
    expect(offered.length).toBeGreaterThan(1);
    expect(await translation.getByLabel('Language').inputValue()).toBe(translatingInto);
    expect(await translation.getByLabel('Title', { exact: true }).getAttribute('lang')).toBe(translatingInto);
    expect(await translation.getByLabel('Title', { exact: true }).inputValue()).toBe('Not saved yet');
    // The message goes back on the wall, as the test before left it; the story is still not saved.
    await donors.getByRole('button', { name: /^Show on the wall/ }).click();
    await expect.poll(() => donors.textContent(), { timeout: 10_000 }).toContain('On the wall');
    expect(await story.inputValue()).toBe(draft);
    const api = (await (await fetch(`${e2e.url}/api/appeals/${slug}`)).json()) as { storyMarkdown?: string; language: string };
    expect(api.language).not.toBe('es');
    // Another appeal's page, reached without a reload (the same components on the page), starts
    // afresh, though its saved language is this one's: nothing typed here is saved there.
    expect(api.language).toBe('en');
    await page.evaluate(() => {
      const link = document.createElement('a');
      link.href = '/manage/appeals/buck-a-brick';
      document.body.append(link);
      link.click();
    });
    await page.waitForURL(/\/manage\/appeals\/buck-a-brick$/);
    await expect.poll(() => page.locator('#appeal-form').getByLabel('Story', { exact: true }).inputValue()).not.toBe(draft);
    expect(await page.locator('#appeal-form').getByLabel('Language').inputValue()).toBe('en');
    expect(await page.locator('#translation-form').getByLabel('Title', { exact: true }).inputValue()).toBe('');
    await page.close();
  });

  it('the member, signed in without JavaScript, finds the gift and its receipt, and ends the monthly gift', async () => {
    const member = await e2e.context({ javaScriptEnabled: false });
    const page = await member.newPage();
    await signInWithMail(page, e2e.url, 'member@ue222.demo', '/account');
    // Signed in, the giving form already has the member's address for the receipt.
    await page.goto(`${e2e.url}/appeals/${slug}`);
    expect(await page.getByLabel('Email, for your receipt').inputValue()).toBe('member@ue222.demo');
    await page.goto(`${e2e.url}/account`);
    const gifts = page.getByTestId('gifts');
    expect(await gifts.textContent()).toContain(title);
    expect(await gifts.textContent()).toContain('$125.00');
    expect(await page.getByTestId('monthly').textContent()).toContain('$125.00');
    // When the card is charged next (the exact day, on a test clock: renewal-failure.test.ts). Given
    // and read without JavaScript, in no zone anyone said: UTC's day, named.
    expect(await page.getByTestId('next-charge').textContent()).toMatch(/^Next charge: [A-Z][a-z]+ \d{1,2}, \d{4} \(UTC\)$/);
    await page.getByRole('link', { name: 'Receipt', exact: true }).first().click();
    await page.waitForURL(new RegExp(`/account/receipts/${giftId}$`));
    expect(await page.getByTestId('receipt-total').textContent()).toBe('$125.00');
    expect(await page.getByTestId('receipt').textContent()).toContain('Monthly');
    // Named as the gift was given, not as the account is called ("Local 222 member (demo)").
    expect(await page.getByTestId('receipt').textContent()).toContain('Member of Local 222 · member@ue222.demo');
    // The way back points left, and right in a page read right to left.
    const arrow = () => page.locator('a.back').evaluate((a) => getComputedStyle(a, '::before').content);
    expect(await arrow()).toContain('←');
    await page.evaluate(() => document.documentElement.setAttribute('dir', 'rtl'));
    expect(await arrow()).toContain('→');
    await page.evaluate(() => document.documentElement.setAttribute('dir', 'ltr'));
    await screenshots(page, 'receipt');

    await page.goto(`${e2e.url}/account`);
    // A card about to expire can be replaced before anything fails: Stripe's portal, and back.
    await page.getByRole('button', { name: new RegExp(`^Update card\\s*: ${title}`) }).click();
    await page.waitForURL(/\/p\/session\/bps_/);
    expect(await page.textContent('body')).not.toContain('Payment past due');
    await page.goto(`${e2e.url}/account`);
    await page.getByRole('link', { name: new RegExp(`End this monthly gift\\s*: ${title}`) }).click();
    await page.getByRole('heading', { name: 'End this monthly gift?' }).waitFor();
    await screenshots(page, 'account-cancel-confirm');
    await page.getByRole('button', { name: 'Yes, end it' }).click();
    await page.getByText('Your monthly gift has ended.').waitFor();
    expect(await page.getByTestId('monthly').textContent()).toMatch(/ended/);
    expect(await page.getByTestId('next-charge').count()).toBe(0);
    expect(await page.getByRole('link', { name: /End this monthly gift/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Update card/ }).count()).toBe(0);
    // Ended, it is started again as a new gift, on the appeal's form.
    expect(await page.getByRole('link', { name: new RegExp(`^Give to this appeal again\\s*: ${title}$`) }).getAttribute('href')).toBe(`/appeals/${slug}#give`);
    await screenshots(page, 'account');

    // Choosing Japanese in the switcher is the member's choice everywhere: kept with them (their
    // mails follow it), and their pages on another device, which has no choice of its own, use it.
    await page.locator('#lang-select').selectOption('ja');
    await page.getByRole('button', { name: 'Change' }).click();
    await page.locator('html[lang="ja"]').waitFor();
    const [kept] = await queryRows<{ locale: string | null }>(e2e.db.database.db, sql`SELECT locale FROM users WHERE email = 'member@ue222.demo'`);
    expect(kept!.locale).toBe('ja');
    const otherDevice = await e2e.context({ javaScriptEnabled: false, language: 'en' });
    await otherDevice.addCookies((await member.cookies()).filter((c) => c.name !== 'lang'));
    const there = await otherDevice.newPage();
    await there.goto(`${e2e.url}/account`);
    expect(await there.locator('html').getAttribute('lang')).toBe('ja');
    await otherDevice.close();
    await page.locator('#lang-select').selectOption('en');
    await page.getByRole('button', { name: '変更' }).click();
    await page.locator('html[lang="en"]').waitFor();
    // Read in Japanese (a mail's link says so), the gifts and their receipt name the drive as its
    // Japanese page does, whatever language the account keeps.
    await page.goto(`${e2e.url}/account?lang=ja`);
    for (const list of ['gifts', 'monthly']) {
      expect(await page.getByTestId(list).textContent(), list).toContain('ティフアナの組合会館に屋根を');
      expect(await page.getByTestId(list).textContent(), list).not.toContain(title);
    }
    await page.goto(`${e2e.url}/account/receipts/${giftId}?lang=ja`);
    expect(await page.getByTestId('receipt').textContent()).toContain('ティフアナの組合会館に屋根を');
    await page.goto(`${e2e.url}/account`);

    // Signing out clears the session in the browser: /account then asks to sign in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${e2e.url}/`);
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBe(1);
    await page.goto(`${e2e.url}/account`);
    await page.waitForURL(/\/signin\?next=%2Faccount$/);
    await member.close();
  });

  // A long walk (five pages audited by axe, a refund through Stripe's events): 45 s in CI, and
  // past the default minute on a busy machine.
  it('a treasurer finds the gift from the appeal’s account, refunds part of it, and the progress goes down', { timeout: 120_000 }, async () => {
    const treasurer = await e2e.context({ bypassCSP: true });
    const page = await treasurer.newPage();
    await signInWithMail(page, e2e.url, 'treasurer@federation.demo', '/treasury');
    await page.getByLabel('Type').selectOption('liability');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/type=liability/);
    await axeAndShots(page, 'treasury');
    // A well-formed id that names no gift is said on the treasury page, not as a missing page.
    const unknownGift = randomUUID();
    await page.getByLabel('Gift id or Stripe id').fill(unknownGift);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(/\/treasury\?nogift=/);
    expect(await page.getByTestId('gift-unknown').textContent()).toContain(`No gift of yours with this id: ${unknownGift}`);
    expect(await page.getByLabel('Gift id or Stripe id').inputValue()).toBe(unknownGift);
    // Reconciling from Stripe's Dashboard: the charge's id there opens the gift here.
    const [charged] = await queryRows<{ charge_id: string }>(e2e.db.database.db, sql`SELECT charge_id FROM donations WHERE id = ${giftId}`);
    await page.getByLabel('Gift id or Stripe id').fill(charged!.charge_id);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(new RegExp(`/treasury/donations/${giftId}$`));
    await page.goto(`${e2e.url}/treasury`);
    await page.getByLabel('Gift id or Stripe id').fill('ch_not_ours');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(/\/treasury\?nogift=ch_not_ours/);
    expect(await page.getByLabel('Gift id or Stripe id').inputValue()).toBe('ch_not_ours');
    await page.goto(`${e2e.url}/treasury?type=liability`);
    await page.locator('tr', { hasText: title }).getByRole('link').click();
    await page.waitForURL(/\/treasury\/accounts\/\d+$/);
    expect(await page.getByTestId('account-balance').textContent()).toBe('-$125.00');
    // Lines are described from their kind and their gift's appeal, not shown as stored codes.
    const statementText = await page.getByTestId('statement').textContent();
    expect(statementText).toContain(`Gift to ${title}`);
    expect(statementText).not.toMatch(/Gift to roof-for|\bgift ·/);
    await axeAndShots(page, 'treasury-statement');
    // A date range: today keeps the gift's line; a range that ended long ago has none.
    const statementUrl = page.url();
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('From').fill(today);
    await page.getByLabel('To').fill(today);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(new RegExp(`from=${today}&to=${today}`));
    expect(await page.getByRole('link', { name: 'Open gift' }).count()).toBeGreaterThan(0);
    await page.goto(`${statementUrl}?to=2000-01-01`);
    expect(await page.getByRole('link', { name: 'Open gift' }).count()).toBe(0);
    // From after To, or a date that is none: the page says so on the field, never "no page here".
    const reversed = await page.goto(`${statementUrl}?from=2026-12-31&to=2026-01-01`);
    expect(reversed?.status()).toBe(200);
    expect(await page.getByTestId('date-error').textContent()).toBe('The From date is after the To date: choose a From date on or before January 1, 2026.');
    expect(await page.getByLabel('From').getAttribute('aria-invalid')).toBe('true');
    await axeAndShots(page, 'treasury-statement-dates');
    const malformed = await page.goto(`${statementUrl}?from=2026-13-45`);
    expect(malformed?.status()).toBe(200);
    expect(await page.getByTestId('date-error').textContent()).toBe('Not a date: write it as 2026-01-31.');
    await page.goto(statementUrl);
    await page.getByRole('link', { name: 'Open gift' }).first().click();
    await page.waitForURL(new RegExp(`/treasury/donations/${giftId}$`));
    expect(await page.getByTestId('gift-facts').textContent()).toContain('member@ue222.demo');
    expect(await page.locator('h1').textContent()).toBe(`Gift of $125.00 to ${title}`);
    expect(await page.getByTestId('gift-facts').textContent()).toContain('Stripe charge');
    expect(await page.getByTestId('postings').textContent()).toContain('Stripe balance, pending');
    await axeAndShots(page, 'treasury-gift');

    // Nothing typed and nothing chosen refunds nothing: the form asks for an amount or the whole gift.
    await page.getByRole('button', { name: 'Review the refund' }).click();
    expect(await page.locator('#refund-error').textContent()).toBe('Type an amount to refund, or tick “Refund the whole gift”.');
    await page.getByLabel(/Amount to refund/).fill('0');
    await page.getByRole('button', { name: 'Review the refund' }).click();
    await expect.poll(() => page.locator('#refund-error').textContent()).toBe('The amount to refund must be more than zero.');
    await page.getByLabel(/Amount to refund/).fill('500');
    await page.getByRole('button', { name: 'Review the refund' }).click();
    await expect.poll(() => page.locator('#refund-error').textContent()).toBe('At most $125.00 can still be refunded.');
    // An amount is reviewed first: the confirmation names the gift, the donor, and the amount by its
    // currency's code (a "$" could be another dollar's; "0,250 KWD (KWD)" said it twice).
    await page.getByLabel(/Amount to refund/).fill('25.00');
    await page.getByRole('button', { name: 'Review the refund' }).click();
    const confirm = page.getByTestId('refund-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(`Refund USD\u00a025.00 of the gift from Member of Local 222 to ${title}?`);
    expect(await confirm.textContent()).toContain(giftId);
    expect(await page.getByTestId('refund-confirm-amount').textContent()).toBe('USD\u00a025.00');
    expect(await page.getByTestId('gift-refunded').textContent()).toBe('$0.00');
    await axeAndShots(page, 'treasury-refund-confirm');
    await page.getByRole('button', { name: 'Refund $25.00 now' }).click();
    expect(await page.getByTestId('refund-done').textContent()).toContain('$25.00');
    // Once Stripe's refund event is posted, the gift, the ledger and the appeal all show it.
    await expect.poll(async () => (await progress()).raisedGrossMinor, { timeout: 20_000, interval: 500 }).toBe('10000');
    await page.reload();
    expect(await page.getByTestId('gift-status').textContent()).toBe('Partly refunded');
    expect(await page.getByTestId('gift-refunded').textContent()).toBe('$25.00');
    expect(await page.getByTestId('refunds-awaiting').count()).toBe(0);
    await screenshots(page, 'treasury-gift-refunded');
    // In Japanese: the kinds, the accounts and the Stripe ids' labels are words, not codes.
    const japanese = await e2e.context({ language: 'ja', bypassCSP: true });
    await japanese.addCookies([...(await treasurer.cookies()).filter((c) => c.name !== 'lang'), { name: 'lang', value: 'ja', url: e2e.url }]);
    const ja = await japanese.newPage();
    await ja.goto(`${e2e.url}/treasury/donations/${giftId}`);
    await ja.locator('html[lang="ja"]').waitFor();
    const postings = (await ja.getByTestId('postings').textContent()) ?? '';
    expect(postings).toContain('返金');
    expect(postings).toContain('Stripe残高（保留中）');
    expect(postings).not.toMatch(/\brefund\b|\bgift\b/);
    await screenshots(ja, 'treasury-gift-ja');
    // A treasurer in Osaka reads the gift's times on the Osaka clock, the zone named, once the
    // browser has said its zone; a browser without JavaScript cannot say it, and its times say UTC.
    const [created] = await queryRows<{ at: string }>(e2e.db.database.db, sql`SELECT created_at::text AS at FROM donations WHERE id = ${giftId}`);
    const createdAt = new Date(created!.at);
    const onClock = (timeZone: string) => new Intl.DateTimeFormat('en', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone, timeZoneName: 'short' }).format(createdAt);
    // (Without JavaScript but with the zone said on an earlier visit, the server renders it.)
    for (const [javaScriptEnabled, said, zone] of [[true, false, 'Asia/Tokyo'], [false, false, 'UTC'], [false, true, 'Asia/Tokyo']] as const) {
      const clock = await e2e.context({ timezoneId: 'Asia/Tokyo', javaScriptEnabled, bypassCSP: true });
      await clock.addCookies([...(await treasurer.cookies()).filter((c) => c.name !== 'tz'), ...(said ? [{ name: 'tz', value: 'Asia/Tokyo', url: e2e.url }] : [])]);
      const tokyo = await clock.newPage();
      await tokyo.goto(`${e2e.url}/treasury/donations/${giftId}`);
      await expect.poll(async () => tokyo.getByTestId('gift-facts').textContent(), { timeout: 10_000 }).toContain(onClock(zone));
      await clock.close();
    }
    expect(onClock('Asia/Tokyo')).toContain('GMT+9');
    // Without JavaScript on a phone, the review answers at the refund form, not at the top of a
    // page whose refund section is a screen or two further down.
    const phone = await e2e.context({ javaScriptEnabled: false, viewport: { width: 360, height: 780 } });
    await phone.addCookies(await treasurer.cookies());
    const small = await phone.newPage();
    await small.goto(`${e2e.url}/treasury/donations/${giftId}`);
    await small.getByLabel(/Refund the whole gift/).check();
    await small.getByRole('button', { name: 'Review the refund' }).click();
    await small.getByTestId('refund-confirm').waitFor();
    expect(new URL(small.url()).hash).toBe('#refund-title');
    expect(await small.locator('#refund-title').evaluate((el) => el.getBoundingClientRect().top)).toBeLessThan(780);
    expect(await small.locator('#refund-title').evaluate((el) => el.getBoundingClientRect().top)).toBeGreaterThanOrEqual(0);
    await phone.close();
    // The accounts list names Stripe's shared accounts in the reader's language too.
    await ja.goto(`${e2e.url}/treasury`);
    expect(await ja.getByTestId('accounts').textContent()).toContain('Stripe手数料');
    expect(await ja.getByTestId('accounts').textContent()).not.toContain('Stripe fees');
    await ja.goto(`${e2e.url}/treasury/donations/${giftId}`);
    // The whole gift, chosen explicitly, is confirmed in Japanese with its amount and currency.
    await ja.getByLabel(/寄付の全額を返金する/).check();
    await ja.getByRole('button', { name: '返金内容を確認する' }).click();
    await ja.getByTestId('refund-confirm').waitFor();
    expect(await ja.getByTestId('refund-confirm').textContent()).toContain('USD\u00a0100.00を返金しますか');
    await screenshots(ja, 'treasury-refund-confirm-ja');
    await ja.goto(`${statementUrl}?from=2026-12-31&to=2026-01-01`);
    expect(await ja.getByTestId('date-error').textContent()).toContain('開始日が終了日より後');
    expect(await ja.getByTestId('date-error').textContent()).toContain('2026年1月1日');
    await screenshots(ja, 'treasury-statement-dates-ja');
    await ja.goto(statementUrl);
    expect(await ja.getByTestId('statement').textContent()).toContain(`${title} への寄付の返金`);
    await screenshots(ja, 'treasury-statement-ja');
    // In Russian on a phone, the statement's column names keep their words whole ("Пожертвование").
    const russian = await e2e.context({ language: 'ru', bypassCSP: true });
    await russian.addCookies([...(await treasurer.cookies()).filter((c) => c.name !== 'lang'), { name: 'lang', value: 'ru', url: e2e.url }]);
    const ru = await russian.newPage();
    await ru.goto(statementUrl);
    await ru.locator('html[lang="ru"]').waitFor();
    expect(await ru.locator('table.stack-narrow td[data-label="Пожертвование"]').count()).toBeGreaterThan(0);
    await screenshots(ru, 'treasury-statement-ru');
    await russian.close();
    await japanese.close();
    // A refund asked but not yet confirmed by Stripe (Stripe answered the ask, its event is not
    // posted): the page says it is on its way and offers only what is left beyond it.
    await e2e.db.database.db.execute(sql`INSERT INTO refund_asks (donation_id, idempotency_key, amount_minor, reason, status, refund_id, answered_at)
      VALUES (${giftId}, 'e2e-on-its-way', 10000, 'requested_by_customer', 'asked', 're_e2e_on_its_way', now())`);
    await page.reload();
    expect(await page.getByTestId('refunds-awaiting').textContent()).toMatch(/Refund of \$100\.00 asked of Stripe on .* re_e2e_on_its_way/);
    expect(await page.getByTestId('refund-unavailable').textContent()).toBe('The rest of this gift is already asked of Stripe: nothing more can be refunded.');
    await screenshots(page, 'treasury-gift-awaiting');
    const pub = await treasurer.newPage();
    await pub.goto(`${e2e.url}/appeals/${slug}`);
    expect(await pub.getByTestId('raised').textContent()).toBe('$100.00');
    // The same ask as if the app had stopped before Stripe's answer came back, and the refund ask
    // job's own try had not reached Stripe either (its lease still runs, so it leaves the ask to
    // the treasurer): the page says the answer was never seen, and checking with Stripe finds
    // nothing made there and makes it, once.
    await e2e.db.database.db.execute(
      sql`UPDATE refund_asks SET status = 'asking', refund_id = NULL, answered_at = NULL, asked_at = now() - interval '5 minutes', next_resend_at = now() + interval '1 hour' WHERE idempotency_key = 'e2e-on-its-way'`,
    );
    await page.reload();
    expect(await page.getByTestId('refunds-awaiting').textContent()).toContain('Stripe’s answer to this refund was never received');
    await screenshots(page, 'treasury-gift-unanswered');
    await page.getByRole('button', { name: 'Check with Stripe and finish it' }).click();
    await page.getByTestId('refund-done').waitFor();
    const asks = await queryRows<{ refund_id: string | null; status: string }>(e2e.db.database.db, sql`SELECT refund_id, status::text FROM refund_asks WHERE idempotency_key = 'e2e-on-its-way'`);
    expect(asks).toEqual([{ status: 'asked', refund_id: expect.stringMatching(/^re_(?!e2e)/) }]);
    expect(await page.getByRole('button', { name: 'Check with Stripe and finish it' }).count()).toBe(0);
    await treasurer.close();

    // Refunded in full, the gift is off the donor wall: its receipt says so, and its message is no
    // longer offered for moderation (it would show nowhere).
    await expect.poll(async () => (await queryRows<{ status: string }>(e2e.db.database.db, sql`SELECT status::text FROM donations WHERE id = ${giftId}`))[0]!.status, { timeout: 20_000, interval: 500 }).toBe('refunded');
    const managed = await organizer.newPage();
    await managed.goto(`${e2e.url}/manage/appeals/${slug}`);
    const refundedRow = managed.getByTestId('donors-table').locator('tr', { hasText: 'A tile a month!' });
    expect(await refundedRow.getByTestId('message-off-wall').textContent()).toBe('Not on the donor wall');
    expect(await refundedRow.getByRole('button').count()).toBe(0);
    await managed.close();
    const donor = await e2e.context({ javaScriptEnabled: false });
    const receipt = await donor.newPage();
    await signInWithMail(receipt, e2e.url, 'member@ue222.demo', `/account/receipts/${giftId}`);
    expect(await receipt.getByTestId('receipt-wall').textContent()).toBe('Not shown');
    expect(await receipt.getByTestId('receipt-note').textContent()).toBe('This payment was returned to you in full: this page records it, and is not a record of a gift.');
    await donor.close();
    await organizer.close();
  });

  // Events parked while Stripe was down: once the cause is dealt with, a treasurer puts each back in
  // the poster's queue from the treasury page, with JavaScript or without (a plain form).
  it('a treasurer puts parked events back in the queue, with JavaScript and without', async () => {
    const park = async (id: string) => {
      const payload = JSON.stringify({ id, object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cs_elsewhere', object: 'checkout.session', mode: 'payment', payment_status: 'paid', metadata: { donation_id: randomUUID() } } } });
      await e2e.db.database.db.execute(sql`INSERT INTO stripe_events (id, type, stripe_created_at, payload, status, attempts, last_error)
        VALUES (${id}, 'checkout.session.completed', now(), ${payload}, 'parked', 8, 'Stripe did not answer')`);
    };
    // The poster tried it again: the session is not one of ours, so it is set aside as such.
    const status = async (id: string) => (await queryRows<{ status: string }>(e2e.db.database.db, sql`SELECT status::text FROM stripe_events WHERE id = ${id}`))[0]!.status;
    const ids = [`evt_parked_e2e_js_${Date.now()}`, `evt_parked_e2e_nojs_${Date.now()}`];
    for (const id of ids) await park(id);
    for (const [i, javaScriptEnabled] of [true, false].entries()) {
      const id = ids[i]!;
      const treasurer = await e2e.context({ javaScriptEnabled, bypassCSP: javaScriptEnabled });
      const page = await treasurer.newPage();
      // Filtered balances: the retry keeps the filter, whether the browser or the script sends it.
      await signInWithMail(page, e2e.url, 'treasurer@federation.demo', '/treasury?type=liability');
      const parked = page.getByTestId('parked');
      expect(await parked.locator('tr', { hasText: id }).textContent()).toContain('Stripe did not answer');
      if (javaScriptEnabled) await axeAndShots(page, 'treasury-parked');
      await parked.getByRole('button', { name: `Retry ${id}` }).click();
      expect(await page.getByTestId('retried').textContent()).toContain(id);
      expect(await page.getByTestId('parked').locator('tr', { hasText: id }).count()).toBe(0);
      expect(new URL(page.url()).searchParams.get('type')).toBe('liability');
      expect(await page.getByLabel('Type').inputValue()).toBe('liability');
      if (javaScriptEnabled) expect(await page.evaluate(() => document.activeElement?.id)).toBe('retry-outcome');
      await expect.poll(() => status(id), { timeout: 20_000, interval: 250 }).toBe('ignored');
      // The retry answered with a redirect: reloading the page shows it again, and sends nothing.
      await page.reload();
      expect(await page.getByTestId('retried').textContent()).toContain(id);
      expect(await page.getByRole('alert').count()).toBe(0);
      await treasurer.close();
    }
  });

  // A dispute left unanswered past its due date is lost, and Stripe mails only the account's owner:
  // a gift charged back (the emulator disputes Stripe's 0259 test card two seconds after it pays)
  // shows on the treasury page, awaiting an answer, with its due date, in English and in Arabic.
  it('a charged-back gift shows on the treasury page as awaiting an answer, with its due date', async () => {
    const member = await e2e.context({ bypassCSP: true });
    const give = await member.newPage();
    await give.goto(`${e2e.url}/appeals/buck-a-brick`);
    await give.getByRole('radio', { name: /^10\b/ }).check();
    await give.getByLabel('Email, for your receipt').fill('disputed@example.org');
    await give.getByRole('button', { name: 'Continue to secure payment' }).click();
    await payOnCheckout(give, '4000 0000 0000 0259');
    await give.waitForURL(/\/appeals\/buck-a-brick\/thanks\?donation=/);
    await member.close();

    const treasurer = await e2e.context({ bypassCSP: true });
    const page = await treasurer.newPage();
    await signInWithMail(page, e2e.url, 'treasurer@federation.demo', '/treasury');
    const row = page.getByTestId('disputes').locator('tr', { hasText: '$10.00' });
    await expect.poll(async () => (await page.reload(), await row.count()), { timeout: 20_000, interval: 500 }).toBe(1);
    const text = await row.textContent();
    for (const shown of ['Chargeback', 'Not authorized by the cardholder', 'Needs an answer', 'in 7 days']) expect(text).toContain(shown);
    expect(await page.getByTestId('disputes').textContent()).toContain('Demo mode');
    await axeAndShots(page, 'treasury-disputes');
    // The whole history is a page of its own, open ones first, with closed ones a link away.
    await page.getByRole('link', { name: 'All disputes, open and closed' }).click();
    await page.waitForURL(/\/treasury\/disputes$/);
    const listed = page.getByTestId('dispute-list');
    expect(await listed.locator('tr', { hasText: '$10.00' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Open' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('dispute-range').textContent()).toMatch(/^1–\d+ of \d+$/);
    await axeAndShots(page, 'treasury-dispute-list');
    await page.getByRole('link', { name: 'Closed' }).click();
    await page.waitForURL(/state=closed/);
    expect(await listed.locator('tr', { hasText: '$10.00' }).count()).toBe(0);
    await page.getByRole('link', { name: 'All', exact: true }).click();
    await page.waitForURL(/state=all/);
    expect(await listed.locator('tr', { hasText: '$10.00' }).count()).toBe(1);
    // A page past the end (an old bookmark, a list that shrank) is its last page.
    await page.goto(`${e2e.url}/treasury/disputes?state=all&page=3`);
    await page.waitForURL(/\/treasury\/disputes\?state=all$/);
    expect(await listed.locator('tr', { hasText: '$10.00' }).count()).toBe(1);
    await page.goto(`${e2e.url}/treasury`);
    await row.getByRole('link').first().click();
    await page.waitForURL(/\/treasury\/donations\/[0-9a-f-]{36}$/);
    expect(await page.getByTestId('gift-status').textContent()).toBe('Disputed');
    expect(await page.getByTestId('gift-dispute').textContent()).toContain('Needs an answer · Not authorized by the cardholder · Answer by:');

    // The local's own treasurer sees the local's disputes too, on the same pages.
    const local = await e2e.context({ bypassCSP: true });
    const localPage = await local.newPage();
    await signInWithMail(localPage, e2e.url, 'tesorera@ue222.demo', '/account');
    await queryRows(e2e.db.database.db, sql`INSERT INTO memberships (user_id, organization_id, role) SELECT u.id, o.id, 'treasurer' FROM users u, organizations o WHERE u.email = 'tesorera@ue222.demo' AND o.slug = 'ue-local-222' RETURNING id`);
    await localPage.goto(`${e2e.url}/treasury`);
    expect(await localPage.getByTestId('disputes').locator('tr', { hasText: '$10.00' }).count()).toBe(1);
    await localPage.getByRole('link', { name: 'All disputes, open and closed' }).click();
    await localPage.waitForURL(/\/treasury\/disputes$/);
    expect(await localPage.getByTestId('dispute-list').locator('tr', { hasText: '$10.00' }).count()).toBe(1);
    await local.close();

    await treasurer.addCookies([{ name: 'lang', value: 'ar', url: e2e.url }]);
    await page.goto(`${e2e.url}/treasury`);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await page.getByTestId('disputes').locator('tr', { hasText: ar.dispute_status_needs_response }).count()).toBe(1);
    await axeAndShots(page, 'treasury-disputes-ar');
    await treasurer.close();
  });

  // On a slow phone the page shows before its script has run: what the person typed by then must
  // survive hydration (a plain value={…} put the server's empty value back, and the link request
  // went out with no address).
  it('an email typed before the page’s script ran is kept, and the link goes to it', async () => {
    const context = await e2e.context();
    const page = await context.newPage();
    const release = await holdAppScripts(page);
    await page.goto(`${e2e.url}/signin`, { waitUntil: 'domcontentloaded' });
    await page.getByLabel('Email address').fill('early@example.org');
    release();
    await page.waitForLoadState('networkidle');
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    expect(await page.getByLabel('Email address').inputValue()).toBe('early@example.org');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByTestId('signin-sent').waitFor();
    expect(await page.getByTestId('signin-sent').textContent()).toContain('early@example.org');
    await context.close();
  });

  // A member in Osaka opens an old sign-in link on a shared, English-speaking computer: the page
  // that says it no longer works, and the one it sends them to for a new link, stay in Japanese.
  it('a used sign-in link says so in the mail’s language, and its new-link button keeps that language', async () => {
    const asked = await fetch(`${e2e.url}/api/auth/sign-in/magic-link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: e2e.url },
      body: JSON.stringify({ email: 'twice@osaka.example.jp', callbackURL: '/account', metadata: { locale: 'ja' } }),
    });
    expect(asked.status).toBe(200);
    const [mail] = await queryRows<{ text_body: string }>(e2e.db.database.db, sql`SELECT text_body FROM outbox_emails WHERE to_address = 'twice@osaka.example.jp'`);
    const link = mail!.text_body.match(/https?:\/\/\S+/)![0].replace(/^https?:\/\/[^/]+/, e2e.url);
    for (const time of ['first', 'again']) {
      const context = await e2e.context({ javaScriptEnabled: false, language: 'en' });
      const page = await context.newPage();
      await page.goto(link);
      // Used, the link's page says so as it opens, with no button to press (it names no account).
      if (time === 'first') {
        await page.getByRole('button', { name: 'サインイン', exact: true }).click();
        await page.waitForURL(/\/account$/);
      } else {
        expect(await page.getByRole('button', { name: 'サインイン', exact: true }).count()).toBe(0);
        await page.getByTestId('confirm-error').waitFor();
        expect(await page.locator('html').getAttribute('lang')).toBe('ja');
        expect(await page.getByTestId('confirm-error').textContent()).toContain('すでに使われています');
        await page.getByRole('link', { name: '新しいリンクを送る' }).click();
        await page.waitForURL(/\/signin\?/);
        expect(new URL(page.url()).searchParams.get('next')).toBe('/account');
        expect(await page.locator('html').getAttribute('lang')).toBe('ja');
      }
      await context.close();
    }
  });

  // An admin manages a local's people from the pages, without JavaScript: invites a treasurer, in
  // French, and takes a role away.
  it('an admin invites a treasurer to a local in French and removes a role, without JavaScript', async () => {
    const admin = await e2e.context({ javaScriptEnabled: false });
    const page = await admin.newPage();
    await signInWithMail(page, e2e.url, 'admin@federation.demo', '/manage');
    await page.getByRole('link', { name: /People · UE Local 222/ }).click();
    await page.waitForURL(/\/manage\/ue-local-222\/people$/);
    const members = page.getByTestId('members');
    expect(await members.textContent()).toContain('organizer@ue222.demo');
    // The federation's roles that reach down act here too; they are listed apart, managed at the federation.
    const inherited = await page.getByTestId('inherited').textContent();
    expect(inherited).toContain('admin@federation.demo');
    expect(inherited).toContain('treasurer@federation.demo');
    expect(await members.textContent()).not.toContain('admin@federation.demo');
    // The local has no organization below it: there is no reach to grant.
    expect(await page.getByLabel('Also in the organizations below').count()).toBe(0);

    // A mistyped address is answered by the page, in its own words, not by the browser's.
    await page.getByLabel('Email address').fill('nouvelle.tresoriere');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await expect.poll(() => page.locator('#invite-error').textContent()).toBe('Please give a valid email address.');
    await page.getByLabel('Email address').fill('nouvelle.tresoriere@ue222.demo');
    await page.getByLabel('Role', { exact: true }).selectOption('treasurer');
    await page.getByLabel('Language of the invitation').selectOption('fr');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByText('Invitation sent. It can be accepted for 7 days.').waitFor();
    // The answer is a page of its own: reloading it sends nothing again.
    expect(new URL(page.url()).search).toBe('?invited=1');
    await page.reload();
    const [mail] = await queryRows<{ subject: string; text_body: string }>(e2e.db.database.db, sql`SELECT subject, text_body FROM outbox_emails WHERE kind = 'invitation' AND to_address = 'nouvelle.tresoriere@ue222.demo'`);
    expect(mail!.subject).toBe('Invitation à rejoindre UE Local 222 (demo) sur solidarity-fund');
    expect(mail!.text_body).toContain('en tant que trésorier·ère');
    expect((await queryRows(e2e.db.database.db, sql`SELECT 1 FROM invitations WHERE email = 'nouvelle.tresoriere@ue222.demo'`)).length).toBe(1);
    // It waits to be accepted, and can be withdrawn until then (a mistyped address, say).
    const waiting = page.getByTestId('waiting');
    expect(await waiting.textContent()).toContain('nouvelle.tresoriere@ue222.demo');
    // The person invited reads what is offered before accepting, in the mail's language.
    const link = new URL(mail!.text_body.match(/https?:\/\/\S+\/invitations\/accept\S+/)![0]);
    const invitedContext = await e2e.context({ javaScriptEnabled: false });
    const invited = await invitedContext.newPage();
    await signInWithMail(invited, e2e.url, 'nouvelle.tresoriere@ue222.demo', link.pathname + link.search);
    expect(await invited.getByTestId('invitation-offer').textContent()).toContain('Federation admin (demo) vous invite à devenir trésorier·ère de UE Local 222 (demo).');
    await invitedContext.close();
    // Withdrawing asks first: a misclick must not stop the link just sent. Cancelling leaves it.
    const stillWaiting = async () => (await queryRows(e2e.db.database.db, sql`SELECT 1 FROM invitations WHERE email = 'nouvelle.tresoriere@ue222.demo' AND revoked_at IS NULL`)).length;
    // The row's Withdraw, whatever it is (it was a button that withdrew at once).
    await waiting.locator('a, button').filter({ hasText: /^Withdraw.*nouvelle\.tresoriere@ue222\.demo$/ }).click();
    await page.waitForLoadState();
    expect(await stillWaiting(), 'one click withdrew the invitation').toBe(1);
    await page.getByRole('heading', { name: 'Withdraw this invitation?' }).waitFor();
    expect(await page.getByRole('group', { name: 'Withdraw this invitation?' }).textContent()).toMatch(/nouvelle\.tresoriere@ue222\.demo.* for the role “treasurer” in .*UE Local 222/);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(/\/people#waiting-title$/);
    expect(await page.getByRole('heading', { name: 'Withdraw this invitation?' }).count()).toBe(0);
    expect(await waiting.textContent()).toContain('nouvelle.tresoriere@ue222.demo');
    expect(await stillWaiting()).toBe(1);
    await waiting.getByRole('link', { name: 'Withdraw · nouvelle.tresoriere@ue222.demo' }).click();
    await page.getByRole('button', { name: 'Withdraw the invitation' }).click();
    await page.getByText('The invitation was withdrawn: its link no longer works.').waitFor();
    expect(await stillWaiting()).toBe(0);
    expect(await page.getByTestId('waiting').count()).toBe(0);
    expect(await page.getByText('No invitation is waiting to be accepted.').count()).toBe(1);

    // Someone who holds the role already is not invited to it again.
    await page.getByLabel('Email address').fill('organizer@ue222.demo');
    await page.getByLabel('Role', { exact: true }).selectOption('organizer');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByText('This person already holds this role here.').waitFor();

    // Nor does an admin make themselves treasurer.
    await page.getByLabel('Email address').fill('Admin@federation.demo');
    await page.getByLabel('Role', { exact: true }).selectOption('treasurer');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByText('You cannot invite yourself: another admin must give you the role.').waitFor();

    // An address the browser lets through but no mail can reach is refused, with the form as it was.
    await page.getByLabel('Email address').fill('someone@localhost');
    await page.getByLabel('Role', { exact: true }).selectOption('organizer');
    await page.getByLabel('Language of the invitation').selectOption('fr');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByText('Please give a valid email address.').waitFor();
    expect(await page.getByLabel('Email address').inputValue()).toBe('someone@localhost');
    expect(await page.getByLabel('Role', { exact: true }).inputValue()).toBe('organizer');
    expect(await page.getByLabel('Language of the invitation').inputValue()).toBe('fr');

    // Taking a role away asks first; cancelling leaves it.
    await members.getByRole('link', { name: 'Remove · organizer@ue222.demo' }).click();
    await page.getByRole('heading', { name: 'Remove this role?' }).waitFor();
    expect(await page.getByRole('group', { name: 'Remove this role?' }).textContent()).toMatch(/organizer@ue222\.demo\).* will lose the role “organizer” in .*UE Local 222/);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(/\/people#members-title$/);
    expect(await page.getByRole('heading', { name: 'Remove this role?' }).count()).toBe(0);
    expect(await page.getByTestId('members').textContent()).toContain('organizer@ue222.demo');
    await members.getByRole('link', { name: 'Remove · organizer@ue222.demo' }).click();
    await page.getByRole('button', { name: 'Remove the role' }).click();
    await page.getByText('The role was removed.').waitFor();
    expect(await page.getByTestId('members').textContent()).not.toContain('organizer@ue222.demo');
    // An address of 120 characters without a break, waiting to be accepted (checked for width below).
    await page.getByLabel('Email address').fill(`${'y'.repeat(100)}@ue222-members.demo`);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByText('Invitation sent. It can be accepted for 7 days.').waitFor();
    // Finding someone by part of a name or address, whatever its case, and by role: the search is
    // in the page's address, and a role removed from a search comes back to that search.
    await page.getByLabel('Find by name or email').fill('MEMBER@ue222');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.waitForURL(/\?q=MEMBER%40ue222&role=#members-title$/);
    expect(await members.textContent()).toContain('member@ue222.demo');
    expect(await page.getByTestId('people-count').textContent()).toBe('Showing 1 of 1');
    await page.getByLabel('Only this role').selectOption('treasurer');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    expect(await page.getByTestId('people-none').textContent()).toBe('No one here matches this search.');
    await page.getByRole('link', { name: 'Show everyone' }).click();
    await members.waitFor();
    expect(await page.getByLabel('Find by name or email').inputValue()).toBe('');
    await admin.close();

    const checking = await e2e.context({ bypassCSP: true });
    const checked = await checking.newPage();
    await signInWithMail(checked, e2e.url, 'admin@federation.demo', '/manage/ue-local-222/people');
    // Checked as it asks to confirm a removal, with every part of the page showing.
    await checked.getByTestId('members').getByRole('link', { name: 'Remove · member@ue222.demo' }).click();
    await checked.getByRole('heading', { name: 'Remove this role?' }).waitFor();
    await axeAndShots(checked, 'people');
    // And as it asks to confirm withdrawing the long address's invitation, which the question repeats.
    await checked.getByTestId('waiting').getByRole('link', { name: /^Withdraw · y{100}@/ }).click();
    await checked.getByRole('heading', { name: 'Withdraw this invitation?' }).waitFor();
    expect(await seriousAxeViolations(checked)).toEqual([]);
    // The long address breaks rather than push Withdraw (or the question) off the screen, on a desk and on a phone.
    for (const width of [1280, 360]) {
      await checked.setViewportSize({ width, height: 800 });
      const widths = await checked.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth, table: document.querySelector('[data-testid="waiting"]')!.getBoundingClientRect().right }));
      expect(widths.page, `${width}`).toBeLessThanOrEqual(widths.screen);
      expect(widths.table, `${width}`).toBeLessThanOrEqual(widths.screen);
    }
    await checking.close();

    // A local of a few hundred: a hundred at a time, the next page by a link, without JavaScript.
    const roster = Array.from({ length: 130 }, (_, i) => ({ id: randomUUID(), email: `roster${String(i).padStart(3, '0')}@ue222-members.demo`, name: `Roster ${i}`, emailVerified: true }));
    await e2e.db.database.db.insert(users).values(roster);
    const [local] = await e2e.db.database.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, 'ue-local-222'));
    await e2e.db.database.db.insert(memberships).values(roster.map((r) => ({ userId: r.id, organizationId: local!.id, role: 'member' as const })));
    const paging = await e2e.context({ javaScriptEnabled: false });
    const pager = await paging.newPage();
    await signInWithMail(pager, e2e.url, 'admin@federation.demo', '/manage/ue-local-222/people?q=roster');
    expect(await pager.getByTestId('people-count').textContent()).toBe('Showing 100 of 130');
    await pager.getByTestId('people-next').click();
    expect(await pager.getByTestId('people-count').textContent()).toBe('Showing 30 of 130');
    const second = await pager.getByTestId('members').textContent();
    expect(second).toContain('roster100@');
    expect(second).toContain('roster129@');
    expect(second).not.toContain('roster099@');
    expect(await pager.getByTestId('people-next').count()).toBe(0);
    await pager.getByRole('link', { name: 'Back to the first page' }).click();
    expect(await pager.getByTestId('people-count').textContent()).toBe('Showing 100 of 130');
    await paging.close();
  });

  // A statement's address edited by hand (an id or a page link past Postgres's bigint, a cursor
  // the API does not take) shows a page: no such account, or the newest page, never a server error.
  it('a treasurer given an account id, a page start or a cursor the ledger does not take sees a page', async () => {
    const beyond = '9999999999999999999';
    const treasurer = await e2e.context({ javaScriptEnabled: false });
    const page = await treasurer.newPage();
    await signInWithMail(page, e2e.url, 'treasurer@federation.demo', '/treasury');
    const [account] = await accountIds(e2e.db.database.db, [chart.stripeAvailable('USD')]);
    const missing = await page.goto(`${e2e.url}/treasury/accounts/${beyond}`);
    expect(missing?.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('Not found');
    // A page start past it is left out: the accounts' first page.
    const first = await page.goto(`${e2e.url}/treasury?after=${beyond}`);
    expect(first?.status()).toBe(200);
    expect(await page.getByTestId('accounts').count()).toBe(1);
    // A cursor the API refuses: the newest page, of the dates asked for.
    const today = new Date().toISOString().slice(0, 10);
    for (const cursor of [`${beyond}:0`, 'not one the API gave out']) {
      const newest = await page.goto(`${e2e.url}/treasury/accounts/${account}?from=${today}&cursor=${Buffer.from(cursor).toString('base64url')}`);
      expect(newest?.status(), cursor).toBe(200);
      expect(page.url()).toBe(`${e2e.url}/treasury/accounts/${account}?from=${today}`);
      await page.getByTestId('account-balance').waitFor();
    }
    await treasurer.close();
  });

  // The API checks a search before who asks: one it refuses (a NUL) is said on the field to an
  // admin, and whoever is not one gets the page they get without it.
  it('a search the API refuses is said on its field to an admin, and changes nothing for others', async () => {
    const people = '/manage/ue-local-222/people';
    const admin = await e2e.context({ javaScriptEnabled: false });
    const adminPage = await admin.newPage();
    await signInWithMail(adminPage, e2e.url, 'admin@federation.demo', people);
    const refused = await adminPage.goto(`${e2e.url}${people}?q=%00`);
    expect(refused?.status()).toBe(200);
    expect(await adminPage.getByTestId('people-search-error').textContent()).toBe('This search cannot be used: it holds a character that is not text. Type part of a name or an email address.');
    expect(await adminPage.getByLabel('Find by name or email').getAttribute('aria-invalid')).toBe('true');
    expect(await adminPage.getByTestId('people-none').count()).toBe(1);
    expect(await adminPage.getByTestId('inherited').textContent()).toContain('admin@federation.demo');
    await admin.close();
    const member = await e2e.context({ javaScriptEnabled: false });
    const memberPage = await member.newPage();
    await signInWithMail(memberPage, e2e.url, 'member@ue222.demo', '/account');
    const seen = async (query: string) => {
      const res = await memberPage.goto(`${e2e.url}${people}${query}`);
      return { status: res?.status(), url: new URL(memberPage.url()).pathname, alert: await memberPage.getByRole('alert').allTextContents() };
    };
    const without = await seen('');
    expect(without.alert).toEqual(['Your role does not allow this. Ask an admin of the organization.']);
    expect(await seen('?q=%00')).toEqual(without);
    await member.close();
  });

  // Ending a monthly gift after the session ended (signed out in another tab): to sign in, and back
  // to the giving page, whether the page's script sends the form or the browser does.
  it('ending a monthly gift signed out sends to sign in, never fails as the server', async () => {
    const cancel = (headers: Record<string, string>) =>
      fetch(`${e2e.url}/account?/cancel`, { method: 'POST', redirect: 'manual', headers: { origin: e2e.url, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: `id=${randomUUID()}` });
    const scripted = await cancel({ accept: 'application/json', 'x-sveltekit-action': 'true' });
    expect(await scripted.json()).toEqual({ type: 'redirect', status: 303, location: '/signin?next=%2Faccount' });
    const plain = await cancel({ accept: 'text/html' });
    expect([plain.status, plain.headers.get('location')]).toEqual([303, '/signin?next=%2Faccount']);
  });
});
