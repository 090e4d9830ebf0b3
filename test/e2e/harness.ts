import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { spawnDemoServer, type SpawnedServer } from '../helpers/spawn-server';
import { afterAll, beforeAll, expect } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const screenshotDir = `${root}test/e2e/screenshots`;
const axeSource = readFileSync(`${root}node_modules/axe-core/axe.min.js`, 'utf8');

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface E2E {
  url: string;
  db: TestDatabase;
  server: SpawnedServer;
  browser: Browser;
  /** A fresh browser context (own cookies); English unless told otherwise. */
  context(opts?: BrowserContextOptions & { language?: string }): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * The real product for one test file: its own Postgres database with the demo data, the server
 * process with the Stripe emulator and the poster running in it, and one headless Chromium.
 */
export async function startE2E(): Promise<E2E> {
  const db = await createTestDatabase({ poolMax: 2 });
  // Several people sign in per file.
  const server = await spawnDemoServer(db.url, { SIGN_IN_RATE_LIMIT_PER_MINUTE: '100' });
  const url = server.url;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(screenshotDir, { recursive: true });
  return {
    url,
    db,
    server,
    browser,
    context: ({ language = 'en', ...opts } = {}) =>
      browser.newContext({ viewport: { width: 1280, height: 800 }, locale: language, extraHTTPHeaders: { 'accept-language': language }, ...opts }),
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
      await db.drop();
    },
  };
}

/**
 * The file's E2E, started before its tests and closed after them, for a file that needs nothing
 * more around it. It is read through once the file's first beforeAll has run: a read before that
 * (at a file's top level) throws rather than finding nothing.
 */
export function useE2E(): E2E {
  let started: E2E | undefined;
  beforeAll(async () => {
    started = await startE2E();
  }, 120_000);
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as E2E, {
    get: (_, key) => {
      if (!started) throw new Error(`e2e.${String(key)} was read before the file's beforeAll started it`);
      return Reflect.get(started, key);
    },
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (the context needs bypassCSP: our CSP rightly refuses inline scripts)
 * and returns the serious and critical violations, which fail the tests.
 */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

/** Full-page screenshots at desktop (1280×800) and phone (360×800) widths, for people to look at. */
export async function screenshots(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: `${screenshotDir}/${name}-${width}.png`, fullPage: true });
  }
  expect(await labelsBrokenMidWord(page), `${name} at 360 px`).toEqual([]);
  expect(await amountsBrokenOrSpilling(page), `${name} at 360 px`).toEqual([]);
  if (size) await page.setViewportSize(size);
}

/**
 * Column names of phone-stacked tables (table.stack-narrow at this width) whose longest word is
 * wider than the column showing it, so the browser breaks it mid-word ("Пожертвовани / е").
 */
export async function labelsBrokenMidWord(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const ruler = document.createElement('canvas').getContext('2d')!;
    const broken: string[] = [];
    for (const td of document.querySelectorAll<HTMLElement>('table.stack-narrow td[data-label]')) {
      const label = td.dataset.label ?? '';
      const shown = getComputedStyle(td, '::before');
      if (!label || shown.display === 'none' || getComputedStyle(td).display !== 'grid') continue;
      ruler.font = `${shown.fontWeight} ${shown.fontSize} ${shown.fontFamily}`;
      const widest = Math.max(...label.split(/\s+/).map((word) => ruler.measureText(word).width));
      const column = parseFloat(getComputedStyle(td).gridTemplateColumns.split(' ')[0]!);
      if (column + 0.5 < widest) broken.push(label);
    }
    return [...new Set(broken)];
  });
}

/**
 * An appeal's raised and goal amounts that a narrow screen breaks over two lines ("USD 1,300.0" then
 * "0", which reads as another sum) or that stick out of their box, and the goal's share that it
 * breaks ("(目" then "標の0.6%)", the word for goal cut in two): each as "text: why".
 */
export async function amountsBrokenOrSpilling(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid=goal-share]')) {
      const range = document.createRange();
      range.selectNodeContents(el);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) found.push(`${el.textContent}: on ${tops.size} lines`);
    }
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid=raised], [data-testid=goal]')) {
      const range = document.createRange();
      range.selectNodeContents(el);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) found.push(`${el.textContent}: on ${tops.size} lines`);
      const box = (el.closest('.stats') ?? document.body).getBoundingClientRect();
      const own = range.getBoundingClientRect();
      if (own.left < box.left - 0.5 || own.right > box.right + 0.5) found.push(`${el.textContent}: outside its box`);
    }
    return found;
  });
}

/** Pays on the emulator's hosted checkout page, as a person would. */
export async function payOnCheckout(page: Page, card: string): Promise<void> {
  await page.waitForURL(/\/checkout\/cs_/);
  await page.getByLabel('Card number').fill(card);
  await page.getByLabel('Expiry (MM / YY)').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Name on card').fill('Ana Solidarity');
  await page.getByRole('button', { name: /^Pay / }).click();
}

/**
 * The thank-you page's status once it is no longer pending. With JavaScript the page follows by
 * itself; without it the page does not reload itself (WCAG 2.2.1), and the donor looks again by
 * its "Check again" link, as this does.
 */
export async function settledGiftStatus(page: Page, timeoutMs = 25_000): Promise<string | null> {
  const status = page.getByTestId('gift-status');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await status.getAttribute('data-status').catch(() => null);
    if ((now && now !== 'pending') || Date.now() > until) return now;
    await new Promise((r) => setTimeout(r, 500));
    const again = page.getByTestId('check-again');
    if (await again.isVisible().catch(() => false)) await again.click();
  }
}

/**
 * Holds the app's scripts back until the returned function is called: the page as a slow phone
 * shows it before hydration, to type into.
 */
export async function holdAppScripts(page: Page): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route((url) => url.pathname.startsWith('/_app/') && url.pathname.endsWith('.js'), async (route) => {
    await held;
    await route.continue();
  });
  return release;
}

/**
 * Signs in as a person does: asks for a link on /signin, opens the demo mail page, follows the
 * newest sign-in link sent to `email`, and presses the button on the confirm page. Ends on `next`.
 */
export async function signInWithMail(page: Page, baseUrl: string, email: string, next: string): Promise<void> {
  await page.goto(`${baseUrl}/signin?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await page.getByTestId('signin-sent').waitFor();
  await page.getByRole('link', { name: 'Open the demo mail page' }).click();
  await page.waitForURL(/\/dev\/mail$/);
  const mail = page.locator('article', { hasText: `To ${email}` }).filter({ hasText: 'sign-in link' }).first();
  await mail.getByRole('link').first().click();
  await page.waitForURL(/\/signin\/confirm\?/);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname + url.search === next);
}

/** What the tests read of an appeal's progress, as the public API answers it. */
export interface AppealProgress {
  raisedGrossMinor: string;
  donorCount: number;
  unitsFilled: number | null;
}

export async function appealProgress(baseUrl: string, slug: string): Promise<AppealProgress> {
  const res = await fetch(`${baseUrl}/api/appeals/${slug}`);
  return ((await res.json()) as { progress: AppealProgress }).progress;
}

/** What liveAppeal needs: an appeal in a currency of its own, its goal in that currency's minor units. */
export interface LiveAppeal {
  slug: string;
  currency: string;
  goalMinor: bigint | number;
  title?: string;
  beneficiary?: string;
  /** The organization running it (UE Local 222, whose organizer is in the demo data, unless told). */
  org?: string;
}

/** A published appeal, open for gifts, for a test that needs one in a currency the demo data has none in. Its id. */
export async function liveAppeal(db: TestDatabase, a: LiveAppeal): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db.database.db,
    sql`INSERT INTO appeals (slug, organization_id, title, beneficiary, currency, goal_minor, status, published_at)
        SELECT ${a.slug}, o.id, ${a.title ?? a.slug}, ${a.beneficiary ?? a.title ?? a.slug}, ${a.currency}, ${BigInt(a.goalMinor).toString()}::bigint, 'live', now()
          FROM organizations o WHERE o.slug = ${a.org ?? 'ue-local-222'}
        RETURNING id`,
  );
  if (!row) throw new Error(`liveAppeal: no organization ${a.org ?? 'ue-local-222'}`);
  return row.id;
}
