import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appeals, donations, organizations, outboxEmails, updateStopTokens } from '../../db/schema/index';
import { postUpdate } from '../../server/appeals/manage-service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * A donor who asked for an appeal's news can stop it from any update mail: in their language, from
 * a link that needs no sign-in, or from their mail client's own unsubscribe button (RFC 8058).
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;
let title: string;

const db = () => h.testDb.database.db;
const slug = 'buck-a-brick';

/** A gift paid with the test card and posted, asking for updates. */
async function give(donorEmail: string, locale: string): Promise<string> {
  const g = await h.donate(slug, { amountMinor: '500', donorEmail, locale, updatesOptIn: true });
  h.emulator.controls.payCheckoutSession(g.sessionId);
  await h.settle();
  return g.donationId;
}

async function organizerPosts(title: string, bodyMarkdown = 'The **walls** are up.') {
  const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: organizer }, payload: { title, bodyMarkdown } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; emailedTo: number };
}

async function updateMails(updateId: string) {
  const rows = await db().select().from(outboxEmails).where(and(eq(outboxEmails.kind, 'appeal_update'), sql`${outboxEmails.dedupeKey} LIKE ${`update:${updateId}:%`}`));
  return new Map(rows.map((r) => [r.toAddress, r]));
}

async function optedIn(email: string): Promise<boolean[]> {
  const rows = await db().select({ optIn: donations.updatesOptIn }).from(donations).where(and(eq(donations.appealId, sql`(SELECT id FROM appeals WHERE slug = ${slug})`), sql`lower(${donations.donorEmail}) = ${email}`)).orderBy(donations.createdAt);
  return rows.map((r) => r.optIn);
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [local] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  [{ title }] = (await db().select({ title: appeals.title }).from(appeals).where(eq(appeals.slug, slug))) as [{ title: string }];
  organizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: local!.id, role: 'organizer' });
});

afterAll(async () => {
  await h?.close();
});

describe('update mail a donor can stop', () => {
  let kenjiStop: { page: string; oneClick: string };

  // One mail per address, in the language of the latest gift, with its own stop link in text and header.
  it('mails each address once, in its latest gift’s language, with a stop link', async () => {
    await give('Kenji@Example.jp', 'en');
    await give('kenji@example.jp', 'ja');
    await give('rosa@example.org', 'es');
    // The count the organizer sees before posting is who it goes to: an address once, whatever its case.
    expect((await app.inject({ url: `/api/appeals/${slug}/manage`, headers: { cookie: organizer } })).json().updateSubscribers).toBe(2);
    const update = await organizerPosts('Halfway there');
    expect(update.emailedTo).toBe(2);
    const mails = await updateMails(update.id);
    const kenji = mails.get('kenji@example.jp')!;
    expect(kenji.subject).toBe(`${title}: Halfway there`);
    // Its dedupe key, which outlives the text, does not name the address.
    expect(kenji.dedupeKey).not.toContain('kenji');
    expect(kenji.textBody).toContain('The walls are up.');
    expect(kenji.textBody).toContain('この募金に関するメールの配信停止はこちら');
    expect(mails.get('rosa@example.org')!.textBody).toContain('Para no recibir más correos sobre este llamamiento');
    const page = kenji.textBody.match(/https?:\/\/\S+\/updates\/stop\?token=\S+/)?.[0];
    expect(page).toBeDefined();
    // The page opens in the mail's language, whatever the browser's.
    expect(new URL(page!).searchParams.get('lang')).toBe('ja');
    expect(kenji.listUnsubscribeUrl).toMatch(/\/api\/appeal-updates\/stop\?token=/);
    expect(tokenOf(kenji.listUnsubscribeUrl!)).toBe(tokenOf(page!));
    expect(tokenOf(mails.get('rosa@example.org')!.listUnsubscribeUrl!)).not.toBe(tokenOf(page!));
    kenjiStop = { page: page!, oneClick: kenji.listUnsubscribeUrl! };
    // Only the token's hash is kept with the address it stops.
    const kept = await db().select().from(updateStopTokens).where(eq(updateStopTokens.email, 'kenji@example.jp'));
    expect(kept).toHaveLength(1);
    expect(kept[0]!.tokenHash).toBe(createHash('sha256').update(tokenOf(page!)).digest('hex'));
  });

  // The link shows what it would stop and changes nothing: mail scanners open every link.
  it('shows what a link stops without stopping it', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/appeal-updates/stop?token=${tokenOf(kenjiStop.page)}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ appeal: { slug, title }, subscribed: true });
    expect(await optedIn('kenji@example.jp')).toEqual([true, true]);
  });

  // A mail client without one-click opens the header's link in a browser: the page, with its button.
  it('sends a browser that opens the one-click link to the page', async () => {
    const url = new URL(kenjiStop.oneClick);
    const res = await app.inject({ method: 'GET', url: url.pathname + url.search, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/updates/stop?token=${tokenOf(kenjiStop.page)}`);
    expect(await optedIn('kenji@example.jp')).toEqual([true, true]);
  });

  // A mail provider's one-click POST: a form body, from its own servers or marked cross-site.
  it('stops every gift’s updates from that address on one click, and only theirs', async () => {
    const url = new URL(kenjiStop.oneClick);
    const res = await app.inject({
      method: 'POST',
      url: url.pathname + url.search,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site', origin: 'https://mail.example.com' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ appeal: { slug, title }, subscribed: false });
    expect(await optedIn('kenji@example.jp')).toEqual([false, false]);
    expect(await optedIn('rosa@example.org')).toEqual([true]);
    const again = await app.inject({ method: 'POST', url: url.pathname + url.search });
    expect(again.statusCode).toBe(200);
    const next = await organizerPosts('The roof is on');
    expect([...(await updateMails(next.id)).keys()]).toEqual(['rosa@example.org']);
  });

  // Asking again with a new gift is new consent.
  it('starts again when a later gift asks for updates', async () => {
    await give('kenji@example.jp', 'ja');
    const update = await organizerPosts('Opening day');
    expect([...(await updateMails(update.id)).keys()].sort()).toEqual(['kenji@example.jp', 'rosa@example.org']);
  });

  it('refuses a token it never issued, or one that is not a token, and changes nothing', async () => {
    const unknown = await app.inject({ method: 'POST', url: `/api/appeal-updates/stop?token=${'A'.repeat(32)}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('updates.token_unknown');
    const shown = await app.inject({ method: 'GET', url: `/api/appeal-updates/stop?token=${'A'.repeat(32)}` });
    expect(shown.statusCode).toBe(404);
    for (const token of ['', 'short', `${'A'.repeat(31)}!`, 'A'.repeat(33)]) {
      const bad = await app.inject({ method: 'POST', url: `/api/appeal-updates/stop?token=${encodeURIComponent(token)}` });
      expect(bad.statusCode, token).toBe(400);
      expect(bad.json().error.code).toBe('validation_failed');
    }
    const none = await app.inject({ method: 'POST', url: '/api/appeal-updates/stop' });
    expect(none.statusCode).toBe(400);
    expect(await optedIn('rosa@example.org')).toEqual([true]);
    expect(await optedIn('kenji@example.jp')).toEqual([false, false, true]);
  });
});

describe('update mail at the size of a big union', () => {
  // Bound one value at a time, the mails and tokens of more than 10,922 donors would pass
  // Postgres's 65,535 parameters per statement and the whole update would fail.
  it('mails 11,000 donors in one update', async () => {
    const [appeal] = await db().select().from(appeals).where(eq(appeals.slug, 'osaka-care-strike-fund'));
    await db().execute(sql`INSERT INTO donations (appeal_id, currency, amount_minor, status, donor_email, locale, updates_opt_in, request_key)
                           SELECT ${appeal!.id}::uuid, ${appeal!.currency}, 1000, 'succeeded', 'member' || n || '@osaka.example.jp', 'ja', true, 'bulk-' || n
                             FROM generate_series(1, 11000) AS n`);
    const update = await postUpdate(db(), { appeal: appeal!, by: null, title: 'ストライキ3日目', bodyMarkdown: '連帯に感謝します。', publicUrl: 'http://localhost:3000' });
    expect(update.emailedTo).toBe(11_000);
    expect((await updateMails(update.id)).size).toBe(11_000);
    const [tokens] = await db().select({ n: sql<number>`count(*)::int` }).from(updateStopTokens).where(eq(updateStopTokens.appealId, appeal!.id));
    expect(tokens!.n).toBe(11_000);
  });
});

describe('the appeal as its donor read it', () => {
  // A member in Osaka gave on the Japanese page: the receipt and the news name the appeal as that
  // page did, and the news's link opens it in Japanese. Where there is no translation, the original.
  it('names the appeal in the donor’s language where the organizer translated it, at checkout, in the receipt and the update mail', async () => {
    const translated = 'レンガ一個1ドル募金';
    const put = await app.inject({ method: 'PUT', url: `/api/appeals/${slug}/translations/ja`, headers: { cookie: organizer }, payload: { title: translated } });
    expect(put.statusCode, put.body).toBe(200);
    // Stripe's checkout page names the gift as the appeal's page did.
    const asked = await h.donate(slug, { amountMinor: '500', donorEmail: 'aiko@example.jp', locale: 'ja', updatesOptIn: true });
    const session = await h.emulator.client().checkout.sessions.retrieve(asked.sessionId, { expand: ['line_items'] });
    expect(session.line_items!.data[0]!.description).toBe(translated);
    h.emulator.controls.payCheckoutSession(asked.sessionId);
    await h.settle();
    await give('sven@example.se', 'sv');
    const receipts = new Map((await db().select().from(outboxEmails).where(eq(outboxEmails.kind, 'receipt'))).map((r) => [r.toAddress, r.textBody]));
    expect(receipts.get('aiko@example.jp')).toContain(translated);
    expect(receipts.get('sven@example.se')).toContain(title);
    expect(receipts.get('sven@example.se')).not.toContain(translated);

    const update = await organizerPosts('Roof next');
    const mails = await updateMails(update.id);
    const aiko = mails.get('aiko@example.jp')!;
    expect(aiko.subject).toBe(`${translated}: Roof next`);
    // The link opens the update itself on the appeal's page.
    expect(aiko.textBody).toContain(`/appeals/${slug}?lang=ja#update-${update.id}`);
    expect(aiko.textBody.split('\n-- \n')[1]).toContain(translated);
    expect(mails.get('sven@example.se')!.subject).toBe(`${title}: Roof next`);
    expect(mails.get('sven@example.se')!.textBody).toContain(`/appeals/${slug}?lang=sv`);
    // Its stop page names the appeal the same way.
    const token = tokenOf(aiko.textBody.match(/https?:\/\/\S+\/updates\/stop\?token=\S+/)![0]);
    const stopIn = async (lang: string) => (await app.inject({ url: `/api/appeal-updates/stop?token=${token}&lang=${lang}` })).json().appeal.title;
    expect(await stopIn('ja')).toBe(translated);
    expect(await stopIn('sv')).toBe(title);
    // A language we do not write in, or a name an object inherits, names the original.
    expect(await stopIn('toString')).toBe(title);
    expect(await stopIn('__proto__')).toBe(title);
    expect(await stopIn('x'.repeat(50))).toBe(title);

    // Marking the appeal itself Japanese is refused while it has a Japanese translation (two texts in
    // one language); with the translation removed, Japanese readers get the original, and so does
    // their receipt.
    const refused = await app.inject({ method: 'PATCH', url: `/api/appeals/${slug}`, headers: { cookie: organizer }, payload: { language: 'ja' } });
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'appeal.language_translated']);
    expect((await app.inject({ method: 'DELETE', url: `/api/appeals/${slug}/translations/ja`, headers: { cookie: organizer } })).statusCode).toBe(200);
    const relabelled = await app.inject({ method: 'PATCH', url: `/api/appeals/${slug}`, headers: { cookie: organizer }, payload: { language: 'ja' } });
    expect(relabelled.statusCode, relabelled.body).toBe(200);
    await give('kaito@example.jp', 'ja');
    const [kaito] = await db().select().from(outboxEmails).where(and(eq(outboxEmails.kind, 'receipt'), eq(outboxEmails.toAddress, 'kaito@example.jp')));
    expect(kaito!.textBody).toContain(title);
    expect(kaito!.textBody).not.toContain(translated);
  });
});

describe('update mail as plain text', () => {
  // The mail has no HTML part: the organizer's markdown must read as the page shows it, without
  // its asterisks, brackets or entities.
  it('reads as the page shows the update, without markdown or HTML', async () => {
    await give('haruto@example.jp', 'ja');
    const markdown = '## 三日目\n\n**全員**が来ました。*本当に*ありがとう。[集会の写真](https://example.org/photos?a=1&amp;b=2)\n\n- パン &amp; スープ\n- [横断幕](/appeals/buck-a-brick)\n\n1. 集合\n2. 行進';
    const update = await organizerPosts('Day three', markdown);
    const body = (await updateMails(update.id)).get('haruto@example.jp')!.textBody.split('\n-- \n')[0];
    expect(body).toBe(
      '三日目\n\n全員が来ました。本当にありがとう。集会の写真 (https://example.org/photos?a=1&b=2)\n\n' +
        '- パン & スープ\n- 横断幕 (http://localhost:3000/appeals/buck-a-brick)\n\n1. 集合\n2. 行進\n\n' +
        `http://localhost:3000/appeals/${slug}?lang=ja#update-${update.id}\n`,
    );
  });
});
