import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { and, desc, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { outboxEmails } from '../../db/schema/index';
import type { E2E } from './harness';

// What the accessibility audit (a11y.test.ts) needs beside the harness: axe run against WCAG 2.2 AA
// only, and people signed in without the mail page's clicks (the sign-in itself is tested elsewhere).

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
 * Starts a gift to Buck-a-Brick through the public API, as the donate form does, and pays it on the
 * emulator with `card` (left unpaid when null). Its id and its checkout page.
 */
export async function startGift(e2e: E2E, body: Record<string, unknown>, card: string | null): Promise<{ id: string; checkoutUrl: string }> {
  const res = await fetch(`${e2e.url}/api/appeals/buck-a-brick/donations`, {
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

/** Waits until the gift's public status is `status` (the poster has posted Stripe's events). */
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
  const asked = await fetch(`${e2e.url}/api/auth/sign-in/magic-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: e2e.url },
    body: JSON.stringify({ email, callbackURL: '/' }),
  });
  if (!asked.ok) throw new Error(`sign-in for ${email} answered ${asked.status}: ${await asked.text()}`);
  const [mail] = await e2e.db.database.db
    .select()
    .from(outboxEmails)
    .where(and(eq(outboxEmails.toAddress, email), eq(outboxEmails.kind, 'sign_in')))
    .orderBy(desc(outboxEmails.createdAt))
    .limit(1);
  const link = new URL(mail!.textBody.match(/https?:\/\/\S+/)![0]);
  const verified = await fetch(`${e2e.url}/api/auth/magic-link/verify${link.search}`, { redirect: 'manual' });
  const cookies = verified.headers.getSetCookie().map((c) => c.split(';')[0]!.split('='));
  if (!cookies.some(([name]) => name!.includes('session_token'))) throw new Error(`verify for ${email} set no session (${verified.status})`);
  await context.addCookies(cookies.map(([name, ...value]) => ({ name: name!, value: value.join('='), url: e2e.url })));
}
