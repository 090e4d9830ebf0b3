import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { screenshots, seriousAxeViolations, startE2E, type E2E } from './harness';

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
    // The appeal itself stays in its own language and direction.
    expect(await page.locator('header[lang="en"]').getAttribute('dir')).toBe('ltr');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshots(page, 'appeal-ar');
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
