import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appealUpdates, appeals, organizations } from '../../db/schema/index';
import { closeAppeal, createAppeal, postUpdate, publishAppeal, upsertTranslation } from '../../server/appeals/manage-service';
import ar from '../../web/messages/ar.json' with { type: 'json' };
import en from '../../web/messages/en.json' with { type: 'json' };
import { screenshotDir, screenshots, seriousAxeViolations, startE2E, type E2E } from './harness';

/**
 * A day as these pages show it to a browser in UTC: the zone the server dates in until a browser
 * says another, so never taken as the reader's own and always named.
 */
const utcDay = (messages: { date_in_zone: string }, locale: string, at: Date) => {
  // Arabic sets the date, and the zone's name inside it, apart from the sentence (isolates).
  const apart = (s: string) => (locale === 'ar' ? `\u2068${s}\u2069` : s);
  return apart(messages.date_in_zone.replace('{date}', new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(at)).replace('{zone}', apart('UTC')));
};

// The public pages as readers in other languages, screen readers and slow phones meet them.
const clientBuild = fileURLToPath(new URL('../../web/build/client', import.meta.url));
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E();
}, 90_000);

afterAll(async () => {
  await e2e?.close();
});

describe('public pages', () => {
  it('home lists the live appeals and passes axe', async () => {
    const context = await e2e.context({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(e2e.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Live appeals');
    expect(await page.getByRole('link', { name: /Buck-a-Brick/ }).count()).toBe(1);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'home');
    await context.close();
  });

  it('Arabic readers get the appeal right-to-left, in Arabic, and axe finds nothing serious', async () => {
    const context = await e2e.context({ language: 'ar', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    expect(await page.locator('html').getAttribute('dir')).toBe('rtl');
    expect(await page.locator('html').getAttribute('lang')).toBe('ar');
    expect(await page.locator('#give-title').textContent()).toBe('تبرّع');
    // The appeal itself stays in its own language and direction; the line under its title is the
    // reader's (who runs it, for whom), in Arabic, right to left.
    expect(await page.locator('h1[lang="en"]').getAttribute('dir')).toBe('ltr');
    expect(await page.locator('header .meta').evaluate((el) => [el.closest('[lang]')?.getAttribute('lang'), getComputedStyle(el).direction])).toEqual(['ar', 'rtl']);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'appeal-ar');
    await context.close();
  });

  // Typed from a poster: capitals lead to the appeal, a name no appeal can have is a missing page.
  it('an appeal address typed in capitals opens the appeal; one no appeal can have is not found', async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/Buck-a-Brick?lang=fr`);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/appeals/buck-a-brick?lang=fr');
    expect(await page.locator('h1').count()).toBe(1);
    await page.goto(`${e2e.url}/appeals/Buck%2Da%2DBrick`);
    expect(new URL(page.url()).pathname).toBe('/appeals/buck-a-brick');
    const missing = await page.goto(`${e2e.url}/appeals/buck_a_brick`);
    expect(missing?.status()).toBe(404);
    await context.close();
  });

  it('Japanese readers see the Osaka appeal in yen without decimals', async () => {
    const context = await e2e.context({ language: 'ja', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/osaka-care-strike-fund`);
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(await page.getByTestId('goal').textContent()).toMatch(/^[¥￥]3,000,000$/);
    expect(await page.getByTestId('raised').textContent()).toMatch(/^[¥￥]\d[\d,]*$/);
    expect(await page.getByRole('radio', { name: /[¥￥]3,000$/ }).count()).toBe(1);
    expect(await page.locator('#amount-hint').textContent()).toContain('3,000');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'appeal-ja');
    await context.close();
  });

  // English once added "s" to any unit's name ("0 of 6,001 кирпичs laid", "レンガs"): a name in
  // another language is set apart as written, as the other languages set it; an English name the
  // appeal's English translation gives is counted in English. The server's page and the hydrated one agree.
  it('an appeal written in Japanese names its unit as written for English readers, and in English once translated', async () => {
    const db = e2e.db.database.db;
    const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'osaka-care-workers'));
    const slug = 'osaka-bento-drive';
    const draft = await createAppeal(db, {
      by: null,
      org: org!,
      body: {
        slug, title: 'ストライキ中の弁当 (demo)', summary: '一食千円。', storyMarkdown: '弁当を届けます。', beneficiary: 'Osaka Care Workers Union strike committee (demo)',
        language: 'ja', currency: 'JPY', goalMinor: 1_300_000n, unit: { name: '弁当', priceMinor: 1_000n }, deadlineAt: null,
      },
    });
    const appeal = await publishAppeal(db, { by: null, appeal: draft });
    const context = await e2e.context();
    const page = await context.newPage();
    const english = async () => (await fetch(`${e2e.url}/appeals/${slug}`, { headers: { 'accept-language': 'en' } })).text();
    const read = async () => {
      const html = await english();
      await page.goto(`${e2e.url}/appeals/${slug}`, { waitUntil: 'networkidle' });
      return { html, wall: await page.getByTestId('wall-text').textContent(), legend: await page.locator('#give legend').first().textContent() };
    };

    const asWritten = await read();
    expect(asWritten.html).toContain('弁当: 0 of 1,300 laid');
    expect(asWritten.wall).toContain('弁当: 0 of 1,300 laid');
    expect(asWritten.legend).toContain('How many? (弁当)');
    expect(await page.getByLabel('Another number (弁当)').count()).toBe(1);
    expect(await page.locator('body').innerText()).not.toContain('弁当s');

    await upsertTranslation(db, { by: null, appeal, language: 'en', body: { title: 'Box lunches for the strike (demo)', summary: '', storyMarkdown: '', unitName: 'box lunch' } });
    // The server's cached copy hears of the edit by a notification, a moment after it commits.
    await expect.poll(english, { timeout: 10_000 }).toContain('Box lunches for the strike (demo)');
    const translated = await read();
    expect(translated.html).toContain('0 of 1,300 box lunches laid');
    expect(translated.wall).toContain('0 of 1,300 box lunches laid');
    expect(translated.legend).toContain('How many box lunches?');
    expect(await page.getByLabel('Another number of box lunches').count()).toBe(1);
    await context.close();
  });

  // A member on a phone: Buck-a-Brick's 1,300 bricks must not push the story and the form a whole
  // screen down (they took 594 px of a 740 px screen before).
  it('on a 360 px phone the brick wall of 1,300 bricks stays within 40% of the screen', async () => {
    const context = await e2e.context({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    const wall = page.getByTestId('brick-wall');
    expect(await wall.getAttribute('data-drawn')).toBe('1300');
    const box = (await wall.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(360);
    expect(box.height).toBeLessThan(0.4 * 740);
    expect(box.height).toBeGreaterThan(100);
    await context.close();
  });

  // "10 000 JPY" once needed 93 px of a 91 px button on a 360 px phone and crossed its border. Every
  // suggestion, as each language writes it in each kind of currency (no decimals, two, three), must
  // sit inside its button's padding, and the page must not scroll sideways.
  it('every suggested gift fits inside its button on 360 and 320 px phones, in every language and currency', async () => {
    const db = e2e.db.database.db;
    const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'demo-federation'));
    const kuwait = { title: 'Relief for dismissed workers', summary: 'For the dismissed.', storyMarkdown: 'They stood up.', beneficiary: 'Dismissed workers', language: 'en' as const, currency: 'KWD', goalMinor: 999_900_000n, deadlineAt: null };
    for (const body of [{ ...kuwait, slug: 'kuwait-relief-fit', unit: null }, { ...kuwait, slug: 'kuwait-tents-fit', unit: { name: 'tent', priceMinor: 9_999_000n } }]) {
      await publishAppeal(db, { by: null, appeal: await createAppeal(db, { by: null, org: org!, body }) });
    }
    const slugs = ['osaka-care-strike-fund', 'buck-a-brick', 'kuwait-relief-fit', 'kuwait-tents-fit'];
    const misfits: string[] = [];
    for (const language of ['en', 'fr', 'de', 'es', 'ja', 'sv', 'ar', 'ru']) {
      const context = await e2e.context({ language, viewport: { width: 360, height: 740 } });
      const page = await context.newPage();
      for (const slug of slugs) {
        await page.goto(`${e2e.url}/appeals/${slug}`);
        for (const width of [360, 320]) {
          await page.setViewportSize({ width, height: 740 });
          const found = await page.locator('.choices').first().evaluate((choices) => {
            const out: string[] = [];
            if (document.documentElement.scrollWidth > window.innerWidth) out.push(`page ${document.documentElement.scrollWidth} px wide`);
            for (const button of choices.querySelectorAll<HTMLElement>('label > span')) {
              const style = getComputedStyle(button);
              const box = button.getBoundingClientRect();
              const range = document.createRange();
              range.selectNodeContents(button);
              const text = range.getBoundingClientRect();
              const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
              const right = box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
              if (text.left < left - 0.5 || text.right > right + 0.5) out.push(`"${button.textContent}" ${text.width.toFixed(1)} px in ${(right - left).toFixed(1)} px`);
            }
            return out;
          });
          misfits.push(...found.map((f) => `${language} ${slug} ${width} px: ${f}`));
        }
      }
      await context.close();
    }
    expect(misfits).toEqual([]);
  });

  it('the language switcher works without JavaScript and remembers the choice', async () => {
    const context = await e2e.context({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('button', { name: 'Change' }).click();
    await page.waitForURL(/\/appeals\/buck-a-brick$/);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('#give-title').textContent()).toBe('Spenden');
    // German amounts, typed the German way, are understood by the donate form.
    await page.goto(`${e2e.url}/appeals/osaka-care-strike-fund`);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await page.getByLabel(/Anderer Betrag/).fill('1.234');
    await page.getByRole('textbox', { name: /E-Mail/ }).fill('de@example.org');
    await page.getByRole('button', { name: 'Weiter zur sicheren Zahlung' }).click();
    await page.waitForURL(/\/checkout\/cs_/);
    expect(await page.locator('h1').textContent()).toMatch(/1,234/);
    await context.close();
  });

  // Organizers post updates and the mail sends donors to the appeal's page: the updates must be
  // there, newest first, rendered as safely as the story, in the appeal's language, dated in the reader's.
  it('shows the appeal’s updates, newest ten first, then the earlier ones, in English and in Arabic', async () => {
    const db = e2e.db.database.db;
    const [appeal] = await db.select().from(appeals).where(eq(appeals.slug, 'buck-a-brick'));
    for (let i = 1; i <= 12; i++) {
      const bodyMarkdown = `Week ${i}: **${i * 100} bricks** are laid.${i === 12 ? '\n\n<script>window.pwned = true</script><img src="https://tracker.example/x.png" onerror="window.pwned = true">' : ''}`;
      await postUpdate(db, { appeal: appeal!, by: null, title: `Week ${i} on the hall`, bodyMarkdown, publicUrl: e2e.url });
    }
    const context = await e2e.context({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(`${e2e.url}/appeals/buck-a-brick`, { waitUntil: 'networkidle' });
    const section = page.getByRole('region', { name: en.appeal_updates_title });
    const titles = section.getByRole('heading', { level: 3 });
    expect(await titles.allTextContents()).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3].map((i) => `Week ${i} on the hall`));
    const newest = section.getByRole('article').first();
    expect(await newest.locator('strong').textContent()).toBe('1200 bricks');
    expect(await section.locator('script, img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: boolean }).pwned)).toBeUndefined();
    const [week12] = await db.select().from(appealUpdates).where(eq(appealUpdates.title, 'Week 12 on the hall'));
    const at = week12!.publishedAt;
    expect(await newest.locator('time').textContent()).toBe(utcDay(en, 'en', at));
    // Nothing in the section is wider than the phone.
    expect((await section.boundingBox())!.width).toBeLessThanOrEqual(360);
    await section.screenshot({ path: `${screenshotDir}/appeal-updates-en-360.png` });
    await page.getByRole('link', { name: en.appeal_updates_older }).click();
    await page.waitForURL(/\?updates=[0-9a-f-]{36}#updates$/);
    await expect.poll(() => titles.allTextContents()).toEqual(['Week 2 on the hall', 'Week 1 on the hall']);
    expect(await page.getByRole('link', { name: en.appeal_updates_older }).count()).toBe(0);
    expect(await page.getByRole('link', { name: en.appeal_updates_newest }).getAttribute('href')).toBe('/appeals/buck-a-brick#updates');
    await context.close();

    // A mangled link to older updates still shows the appeal, with the newest updates.
    const plain = await e2e.context({ javaScriptEnabled: false });
    const noJs = await plain.newPage();
    const res = await noJs.goto(`${e2e.url}/appeals/buck-a-brick?updates=not-a-cursor`);
    expect(res!.status()).toBe(200);
    expect(await noJs.getByTestId('updates').getByRole('heading', { level: 3 }).first().textContent()).toBe('Week 12 on the hall');
    await plain.close();

    // In Arabic the page is right-to-left and the dates Arabic; the updates keep their language and direction.
    const arabic = await e2e.context({ language: 'ar', bypassCSP: true, viewport: { width: 360, height: 740 } });
    const arPage = await arabic.newPage();
    await arPage.goto(`${e2e.url}/appeals/buck-a-brick`);
    const arSection = arPage.getByRole('region', { name: ar.appeal_updates_title });
    expect(await arSection.getByRole('heading', { level: 3 }).first().getAttribute('dir')).toBe('ltr');
    expect(await arSection.locator('time').first().textContent()).toBe(utcDay(ar, 'ar', at));
    expect(await arSection.getByRole('link', { name: ar.appeal_updates_older }).count()).toBe(1);
    expect((await arSection.boundingBox())!.width).toBeLessThanOrEqual(360);
    expect(await seriousAxeViolations(arPage)).toEqual([]);
    await arSection.screenshot({ path: `${screenshotDir}/appeal-updates-ar-360.png` });
    await arabic.close();
  });

  // A closed drive must read as closed: no "time left", the reason the form is gone, and no
  // live stream (the API serves live appeals only, so the page's script would only meet 404s).
  it('a closed appeal says so at the top, counts no time left, and opens no live stream', async () => {
    const db = e2e.db.database.db;
    const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
    const body = {
      slug: 'closed-roof-drive', title: 'A roof for the Oran hall', summary: 'Done: the roof is on.', storyMarkdown: 'We raised it together.', beneficiary: 'Oran municipal workers',
      language: 'en' as const, currency: 'USD', goalMinor: 50_000n, unit: null, deadlineAt: new Date(Date.now() + 30 * 86_400_000),
    };
    const draft = await createAppeal(db, { by: null, org: org!, body });
    const closed = await closeAppeal(db, { by: null, appeal: await publishAppeal(db, { by: null, appeal: draft }) });
    await postUpdate(db, { appeal: closed, by: null, title: 'The roof is on', bodyMarkdown: 'Thank you, all of you.', publicUrl: e2e.url });
    const closedOn = (locale: 'en' | 'ar') => utcDay({ en, ar }[locale], locale, closed.closedAt!);

    const context = await e2e.context({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    const streams: string[] = [];
    page.on('request', (req) => {
      if (new URL(req.url()).pathname.endsWith('/events')) streams.push(req.url());
    });
    const failures: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') failures.push(msg.text());
    });
    // Every stream the page's script opens, noted as it is made: read once the script has run, the
    // list is complete, with no wait for the request to reach the network.
    await page.addInitScript(() => {
      const opened: string[] = [];
      (window as unknown as { streamsOpened: string[] }).streamsOpened = opened;
      window.EventSource = class extends window.EventSource {
        constructor(url: string | URL, init?: EventSourceInit) {
          super(url, init);
          opened.push(String(url));
        }
      };
    });
    const streamsOpened = () => page.evaluate(() => (window as unknown as { streamsOpened: string[] }).streamsOpened);
    // A live appeal's page does open its stream once its script runs: the check below can see one.
    // Waited for as the request itself: the script runs after the load event, later than the one
    // second expect.poll gives on a loaded machine.
    const opened = page.waitForRequest((req) => new URL(req.url()).pathname === '/api/appeals/buck-a-brick/events');
    await page.goto(`${e2e.url}/appeals/buck-a-brick`);
    await opened;
    expect(streams).toHaveLength(1);
    expect(await streamsOpened()).toEqual(['/api/appeals/buck-a-brick/events']);
    // Waited for the page's script, not for a quiet network: that came before the script ran on a
    // loaded machine, and the check passed with nothing checked. The share box's copy button is
    // drawn by it (onMount, in the same pass as the effect that opens a stream).
    await page.goto(`${e2e.url}/appeals/closed-roof-drive`);
    await page.getByRole('button', { name: en.share_copy }).waitFor();
    expect(await streamsOpened()).toEqual([]);
    expect(await page.getByTestId('closed').textContent()).toBe(en.appeal_closed_banner.replace('{date}', closedOn('en')));
    expect(await page.getByTestId('time-left').count()).toBe(0);
    expect(await page.getByTestId('progress').textContent()).not.toContain(en.stat_time_left);
    expect(await page.locator('#give').textContent()).toContain(en.appeal_closed);
    expect(await page.getByRole('button', { name: en.give_submit }).count()).toBe(0);
    expect(await page.getByRole('link', { name: en.appeal_closed_elsewhere }).getAttribute('href')).toBe('/');
    expect(await page.getByTestId('updates').getByRole('heading', { level: 3 }).allTextContents()).toEqual(['The roof is on']);
    expect(streams).toHaveLength(1);
    expect(failures).toEqual([]);
    await page.screenshot({ path: `${screenshotDir}/appeal-closed-en-360.png`, fullPage: true });
    await context.close();

    const arabic = await e2e.context({ language: 'ar', bypassCSP: true, viewport: { width: 360, height: 740 } });
    const arPage = await arabic.newPage();
    await arPage.goto(`${e2e.url}/appeals/closed-roof-drive`);
    expect(await arPage.getByTestId('closed').textContent()).toBe(ar.appeal_closed_banner.replace('{date}', closedOn('ar')));
    expect(await seriousAxeViolations(arPage)).toEqual([]);
    await arPage.screenshot({ path: `${screenshotDir}/appeal-closed-ar-360.png`, fullPage: true });
    await arabic.close();
  });

  // A donor with the page open when the drive closes is not left with a form that can only fail:
  // the stream's last event takes it away, and a screen reader hears why.
  it('an appeal that closes while its page is open stops offering the form', async () => {
    const db = e2e.db.database.db;
    const [org] = await db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
    const body = {
      slug: 'closing-while-open', title: 'Bus fare to the picket', summary: 'Closes today.', storyMarkdown: 'Every fare counts.', beneficiary: 'Local 222 pickets',
      language: 'en' as const, currency: 'USD', goalMinor: 50_000n, unit: null, deadlineAt: null,
    };
    const appeal = await publishAppeal(db, { by: null, appeal: await createAppeal(db, { by: null, org: org!, body }) });
    const context = await e2e.context({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    const opened = page.waitForRequest((req) => new URL(req.url()).pathname === '/api/appeals/closing-while-open/events');
    await page.goto(`${e2e.url}/appeals/closing-while-open`);
    await opened;
    await page.getByLabel(en.give_email).fill('late@example.org');
    await closeAppeal(db, { by: null, appeal });
    await page.getByTestId('give-closed').waitFor();
    expect(await page.getByTestId('give-closed').getAttribute('role')).toBe('status');
    expect(await page.getByTestId('give-closed').textContent()).toBe(en.appeal_closed);
    expect(await page.getByRole('button', { name: en.give_submit }).count()).toBe(0);
    expect(await page.getByTestId('closed').textContent()).toBe(en.appeal_closed);
    await context.close();
  });

  it("the appeal page's JavaScript stays under 100 KB gzipped", async () => {
    const context = await e2e.context();
    const page = await context.newPage();
    const scripts = new Set<string>();
    page.on('request', (req) => {
      if (req.resourceType() === 'script' || req.url().endsWith('.js')) scripts.add(new URL(req.url()).pathname);
    });
    await page.goto(`${e2e.url}/appeals/buck-a-brick`, { waitUntil: 'networkidle' });
    let gzipBytes = 0;
    for (const path of scripts) gzipBytes += gzipSync(await readFile(`${clientBuild}${path}`), { level: 9 }).length;
    process.stdout.write(`appeal page JavaScript: ${scripts.size} files, ${(gzipBytes / 1024).toFixed(1)} KB gzipped\n`);
    expect(scripts.size).toBeGreaterThan(0);
    expect(gzipBytes).toBeLessThan(100 * 1024);
    await context.close();
  });

  it('renders the appeal page on the server quickly (median of 40 requests)', async () => {
    const timesMs: number[] = [];
    for (let i = 0; i < 45; i += 1) {
      const startedAt = performance.now();
      const res = await fetch(`${e2e.url}/appeals/buck-a-brick`, { headers: { 'accept-language': 'en' } });
      await res.text();
      if (i >= 5) timesMs.push(performance.now() - startedAt);
    }
    timesMs.sort((a, b) => a - b);
    const median = timesMs[Math.floor(timesMs.length / 2)]!;
    process.stdout.write(`appeal page server render: median ${median.toFixed(1)} ms, p90 ${timesMs[Math.floor(timesMs.length * 0.9)]!.toFixed(1)} ms\n`);
    // The budget is 50 ms on a quiet machine; the test allows for a busy CI box beside other tests.
    expect(median).toBeLessThan(150);
  });
});
