import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { sessionCookiesOverHttp } from '../helpers/http-sign-in';
import type { E2E } from './harness';

// What the accessibility tests (a11y.test.ts, a11y-keyboard.test.ts) need beside the harness: axe
// run against WCAG 2.2 AA only, people signed in without the mail page's clicks (the sign-in itself
// is tested elsewhere), gifts to audit, and what a sighted keyboard user and a phone reader meet.

const root = fileURLToPath(new URL('../..', import.meta.url));
const axeSource = readFileSync(`${root}node_modules/axe-core/axe.min.js`, 'utf8');

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA: the level the product promises, no best-practice rules. */
export const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

interface AxeResult {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/**
 * Has every page of the context load axe-core before its own scripts: about half the time of
 * adding it to each page after it loaded, which counts over a hundred pages.
 */
export async function withAxe(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: axeSource });
}

/**
 * axe-core's serious and critical WCAG violations on the page as it is now, one line for each
 * element: "rule-id (impact)  target  @ where". The context needs bypassCSP (our CSP rightly refuses
 * inline scripts); axe is added to the page unless withAxe has, and may run again after a resize.
 */
export async function wcagViolations(page: Page, where: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async (tags) => {
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeResult[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  }, wcagTags);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact})  ${n.target.join(' ')}  @ ${where}`));
}

/**
 * Starts a gift to an appeal (Buck-a-Brick unless told) through the public API, as the donate form
 * does, and pays it on the emulator with `card` (left unpaid when null). Its id and its checkout page.
 */
export async function startGift(e2e: E2E, body: Record<string, unknown>, card: string | null, slug = 'buck-a-brick'): Promise<{ id: string; checkoutUrl: string }> {
  const res = await fetch(`${e2e.url}/api/appeals/${slug}/donations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: e2e.url },
    body: JSON.stringify({ amountMinor: '2500', idempotencyKey: `a11y-${randomUUID()}`, ...body }),
  });
  if (res.status !== 201) throw new Error(`starting a gift answered ${res.status}: ${await res.text()}`);
  const { donationId, checkoutUrl } = (await res.json()) as { donationId: string; checkoutUrl: string };
  if (card) {
    const session = new URL(checkoutUrl);
    const paid = await fetch(`${session.origin}/_emulator/checkout/sessions/${session.pathname.split('/').pop()}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ card }),
    });
    if (!paid.ok) throw new Error(`the emulator's pay answered ${paid.status}: ${await paid.text()}`);
  }
  return { id: donationId, checkoutUrl };
}

/**
 * Waits until the gift's public status is `status` (the poster has posted Stripe's events), asking
 * every 250 ms. A loop of its own, not expect.poll: suites call it from beforeAll, where vitest
 * refuses expect.poll ("must be called inside a test").
 */
export async function giftReaches(e2e: E2E, id: string, status: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = ((await (await fetch(`${e2e.url}/api/donations/${id}`)).json()) as { status: string }).status;
    if (now === status) return;
    if (Date.now() > until) throw new Error(`gift ${id} is ${now}, not ${status}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Signs `email` in over HTTP, as the mail page's link would (ask, read the outbox, verify), and
 * gives `context` the session cookie.
 */
export async function signInContext(e2e: E2E, context: BrowserContext, email: string): Promise<void> {
  const cookies = (await sessionCookiesOverHttp(e2e.url, e2e.db.database, email)).map((c) => c.split('='));
  await context.addCookies(cookies.map(([name, ...value]) => ({ name: name!, value: value.join('='), url: e2e.url })));
}

export interface FocusStop {
  /** The focused element, as a person would name it: tag, name or id, text. */
  what: string;
  /** Why a sighted keyboard user could not see where the focus is, or null when they can. */
  unseen: string | null;
}

/**
 * Where the keyboard's focus is, and whether it can be seen (WCAG 2.4.7, 2.4.11): an outline of
 * 2 px or more (on the element, or on the box that draws a visually hidden radio button), on the
 * screen, and not covered by anything else.
 */
export async function focusStop(page: Page): Promise<FocusStop> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { what: 'the page itself', unseen: 'nothing is focused' };
    const what = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''} "${(el.innerText || el.getAttribute('value') || '').trim().slice(0, 40)}"`;
    const drawn = getComputedStyle(el).opacity === '0' && el.nextElementSibling instanceof HTMLElement ? el.nextElementSibling : el;
    const style = getComputedStyle(drawn);
    if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2) return { what, unseen: `outline ${style.outlineStyle} ${style.outlineWidth}` };
    const box = drawn.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.bottom <= 0 || box.right <= 0 || box.top >= innerHeight || box.left >= innerWidth) return { what, unseen: 'off the screen' };
    const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    const covered = hit && !(el.contains(hit) || drawn.contains(hit) || hit.contains(el) || hit.closest('label')?.contains(el));
    return { what, unseen: covered ? `covered by ${hit.tagName.toLowerCase()}.${hit.className}` : null };
  });
}

/**
 * Presses Tab (Shift+Tab when `back`) until the focus is on what `target` matches, at most `maxPresses`
 * times; every stop on the way is returned, so a test can ask that each one could be seen.
 */
export async function tabTo(page: Page, target: string, opts: { maxPresses?: number; back?: boolean } = {}): Promise<FocusStop[]> {
  const stops: FocusStop[] = [];
  for (let i = 0; i < (opts.maxPresses ?? 40); i++) {
    await page.keyboard.press(opts.back ? 'Shift+Tab' : 'Tab');
    stops.push(await focusStop(page));
    if (await page.evaluate((selector) => document.activeElement?.matches(selector) ?? false, target)) return stops;
  }
  throw new Error(`${target} not reached in ${opts.maxPresses ?? 40} presses of Tab: ${stops.map((s) => s.what).join(' → ')}`);
}

/** The stops whose focus could not be seen, one line each. */
export const unseenStops = (stops: FocusStop[], where: string) => stops.filter((s) => s.unseen).map((s) => `${s.what}: ${s.unseen} @ ${where}`);

/**
 * What sticks out of a narrow screen (WCAG 1.4.4, 1.4.10): the innermost elements that reach past
 * either edge, outside the tables that scroll sideways on purpose.
 */
export async function pastTheEdges(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out = (el: Element) => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && (box.right > innerWidth + 1 || box.left < -1) && !el.closest('.table-scroll');
    };
    const found: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!out(el) || [...el.children].some(out)) continue;
      const box = el.getBoundingClientRect();
      found.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.left)}..${Math.round(box.right)} of ${innerWidth}`);
    }
    if (document.documentElement.scrollWidth > innerWidth) found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px of ${innerWidth}`);
    return found;
  });
}
