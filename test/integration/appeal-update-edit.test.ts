import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { appealUpdates, auditLog, organizations, outboxEmails } from '../../db/schema/index';
import { markdownRenderVersion } from '../../server/content/markdown';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * A posted update could not be corrected: a typo, a wrong date, a name that must not be published
 * stayed on the appeal page for good, and the only way out was another update. Its organizers now
 * correct the title and text (PUT …/updates/:id/text with the text they saw and the text it is to
 * say). The page says it was edited; nobody is mailed again (its mails not sent yet carry the correction:
 * appeal-update-mail-correction.test.ts); a correction another organizer made
 * meanwhile is refused, not overwritten.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
const cookies = {} as Record<'organizer' | 'member' | 'treasurer' | 'otherOrganizer', string>;

const db = () => h.testDb.database.db;
// Written in Japanese; a donor who asked for news, so a mail would have somewhere to go.
const slug = 'osaka-care-strike-fund';

const posted = { title: '第三週の報告', bodyMarkdown: '山田花子さんの支援で、**300人**が参加しました。' };
const corrected = { title: '第三週の報告（訂正）', bodyMarkdown: '組合員の支援で、**300人**が参加しました。' };

async function postUpdate(text = posted): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: cookies.organizer }, payload: text });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const edit = (updateId: string, payload: unknown, cookie: string | null = cookies.organizer) =>
  app.inject({ method: 'PUT', url: `/api/appeals/${slug}/updates/${updateId}/text`, headers: cookie ? { cookie } : {}, payload: payload as Record<string, unknown> });

const stored = async (updateId: string) => (await db().select().from(appealUpdates).where(eq(appealUpdates.id, updateId)))[0]!;
const mailCount = async () => (await db().select().from(outboxEmails)).length;
const publicUpdate = async (updateId: string) => {
  const res = await app.inject({ url: `/api/appeals/${slug}/updates?limit=100` });
  return (res.json().updates as { id: string; title: string; bodyHtml: string; editedAt: string | null }[]).find((u) => u.id === updateId);
};

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [osaka] = await db().select().from(organizations).where(eq(organizations.slug, 'osaka-care-workers'));
  const [ue222] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  cookies.organizer = await signInAs(app, 'organizer@osaka.example.jp', { organizationId: osaka!.id, role: 'organizer' });
  cookies.member = await signInAs(app, 'member@osaka.example.jp', { organizationId: osaka!.id, role: 'member' });
  cookies.treasurer = await signInAs(app, 'treasurer@osaka.example.jp', { organizationId: osaka!.id, role: 'treasurer' });
  cookies.otherOrganizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: ue222!.id, role: 'organizer' });
  const g = await h.donate(slug, { amountMinor: '3000', donorEmail: 'hana@example.jp', locale: 'ja', updatesOptIn: true });
  h.emulator.controls.payCheckoutSession(g.sessionId);
  await h.settle();
});

afterAll(async () => {
  await h?.close();
});

describe("correcting a posted update's words", () => {
  it('an organizer corrects title and text: stored, rendered by the current renderer, marked edited, shown publicly', async () => {
    const id = await postUpdate();
    expect((await publicUpdate(id))?.editedAt).toBeNull();
    const res = await edit(id, { from: posted, to: corrected });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, title: corrected.title, bodyMarkdown: corrected.bodyMarkdown, editedAt: expect.any(String) });
    const row = await stored(id);
    expect(row).toMatchObject({ title: corrected.title, bodyMarkdown: corrected.bodyMarkdown, bodyHtmlVersion: markdownRenderVersion });
    expect(row.bodyHtml.trim()).toBe('<p>組合員の支援で、<strong>300人</strong>が参加しました。</p>');
    expect(row.editedAt).toBeInstanceOf(Date);
    const shown = await publicUpdate(id);
    expect(shown).toMatchObject({ title: corrected.title, editedAt: row.editedAt!.toISOString() });
    expect(shown!.bodyHtml).not.toContain('山田花子');
  });

  it('mails no one again', async () => {
    const id = await postUpdate({ title: '第四週の報告', bodyMarkdown: 'ありがとうございます。' });
    const before = await mailCount();
    expect(before).toBeGreaterThan(0);
    const res = await edit(id, { from: { title: '第四週の報告', bodyMarkdown: 'ありがとうございます。' }, to: { title: '第四週の報告', bodyMarkdown: '本当にありがとうございます。' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await mailCount()).toBe(before);
  });

  it('is audited with the words before and after as fingerprints and lengths, never in full (title included)', async () => {
    const id = await postUpdate();
    const res = await edit(id, { from: posted, to: corrected });
    expect(res.statusCode, res.body).toBe(200);
    const rows = await db().select().from(auditLog).where(and(eq(auditLog.subjectId, id), eq(auditLog.action, 'appeal.edit_update')));
    expect(rows).toHaveLength(1);
    const fingerprint = expect.stringMatching(/^[0-9a-f]{64}$/);
    const before = rows[0]!.before as Record<string, unknown>;
    const after = rows[0]!.after as Record<string, unknown>;
    expect(before).toEqual({ titleSha256: fingerprint, titleLength: posted.title.length, bodySha256: fingerprint, bodyLength: posted.bodyMarkdown.length });
    expect(after).toEqual({ titleSha256: fingerprint, titleLength: corrected.title.length, bodySha256: fingerprint, bodyLength: corrected.bodyMarkdown.length, changed: ['title', 'body'] });
    expect(after.titleSha256).not.toBe(before.titleSha256);
    expect(after.bodySha256).not.toBe(before.bodySha256);
    // The name taken off the page is not kept in the log, nor is either title.
    const logged = JSON.stringify([before, after]);
    expect(logged).not.toContain('山田花子');
    expect(logged).not.toContain(posted.title);
    expect(logged).not.toContain(corrected.title);
  });

  it('audits a correction of the text alone as such: the title unchanged, its fingerprint the same', async () => {
    const title = '山田花子さんへの感謝';
    const id = await postUpdate({ title, bodyMarkdown: '第一版' });
    const res = await edit(id, { from: { title, bodyMarkdown: '第一版' }, to: { title, bodyMarkdown: '第二版' } });
    expect(res.statusCode, res.body).toBe(200);
    const [row] = await db().select().from(auditLog).where(and(eq(auditLog.subjectId, id), eq(auditLog.action, 'appeal.edit_update')));
    const before = row!.before as Record<string, unknown>;
    const after = row!.after as Record<string, unknown>;
    expect(after.changed).toEqual(['body']);
    expect(after.titleSha256).toBe(before.titleSha256);
    expect(JSON.stringify([before, after])).not.toContain('山田花子');
  });

  it('sanitizes the corrected text as posting does: a <script> does not survive', async () => {
    const id = await postUpdate();
    const to = { title: corrected.title, bodyMarkdown: 'Hello <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))' };
    const res = await edit(id, { from: posted, to });
    expect(res.statusCode, res.body).toBe(200);
    const html = (await stored(id)).bodyHtml;
    expect(html).not.toMatch(/<script|onerror|javascript:/i);
    expect((await publicUpdate(id))!.bodyHtml).toBe(html);
  });

  it('refuses a correction made on a text another organizer changed meanwhile (409), and changes nothing', async () => {
    const id = await postUpdate();
    const first = await edit(id, { from: posted, to: corrected });
    expect(first.statusCode, first.body).toBe(200);
    // A second tab, drawn before the first correction, still says `posted`.
    const stale = await edit(id, { from: posted, to: { title: posted.title, bodyMarkdown: 'ほかの訂正' } });
    expect(stale.statusCode, stale.body).toBe(409);
    expect(stale.json().error.code).toBe('appeal.update_text_changed');
    expect(await stored(id)).toMatchObject(corrected);
    expect(await db().select().from(auditLog).where(and(eq(auditLog.subjectId, id), eq(auditLog.action, 'appeal.edit_update')))).toHaveLength(1);
  });

  it('with the same words changes nothing: not marked edited, not audited', async () => {
    const id = await postUpdate();
    const res = await edit(id, { from: posted, to: posted });
    expect(res.statusCode, res.body).toBe(200);
    expect((await stored(id)).editedAt).toBeNull();
    expect(await db().select().from(auditLog).where(and(eq(auditLog.subjectId, id), eq(auditLog.action, 'appeal.edit_update')))).toHaveLength(0);
  });

  it('keeps the translations as they are', async () => {
    const id = await postUpdate();
    const t = await app.inject({ method: 'PUT', url: `/api/appeals/${slug}/updates/${id}/translations/en`, headers: { cookie: cookies.organizer }, payload: { title: 'Week three', bodyMarkdown: 'Thanks to Hanako Yamada.' } });
    expect(t.statusCode, t.body).toBe(200);
    const res = await edit(id, { from: posted, to: corrected });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().translations).toEqual([expect.objectContaining({ language: 'en', title: 'Week three', bodyMarkdown: 'Thanks to Hanako Yamada.' })]);
  });
});

describe('who may correct an update', () => {
  for (const [who, status, code] of [
    ['member', 403, 'auth.forbidden'],
    ['treasurer', 403, 'auth.forbidden'],
    ['otherOrganizer', 403, 'auth.forbidden'],
    ['anonymous', 401, 'auth.required'],
  ] as const) {
    it(`${who}: ${status}, nothing changed`, async () => {
      const id = await postUpdate();
      const res = await edit(id, { from: posted, to: corrected }, who === 'anonymous' ? null : cookies[who]);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().error.code).toBe(code);
      expect(await stored(id)).toMatchObject({ ...posted, editedAt: null });
    });
  }

  it("an update of another appeal, or none by that id: 404, nothing changed", async () => {
    const [other] = await queryRows<{ id: string }>(db(), sql`SELECT u.id FROM appeal_updates u JOIN appeals a ON a.id = u.appeal_id WHERE a.slug <> ${slug} LIMIT 1`);
    const ids = [other?.id, '00000000-0000-4000-8000-000000000000'].filter((x): x is string => Boolean(x));
    for (const id of ids) {
      const res = await edit(id, { from: posted, to: corrected });
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().error.code).toBe('appeal.update_not_found');
    }
  });
});

describe('what a correction must say', () => {
  const long = 'x'.repeat(20_001);
  for (const [name, payload, path] of [
    ['a title too short', { from: posted, to: { ...corrected, title: 'ab' } }, '/to/title'],
    ['a title too long', { from: posted, to: { ...corrected, title: 'x'.repeat(141) } }, '/to/title'],
    ['an empty text', { from: posted, to: { ...corrected, bodyMarkdown: '   ' } }, '/to/bodyMarkdown'],
    ['a text too long', { from: posted, to: { ...corrected, bodyMarkdown: long } }, '/to/bodyMarkdown'],
    ['no `from`', { to: corrected }, '/from'],
    ['an unknown field', { from: posted, to: corrected, notify: true }, '/'],
    ['a text that is not text', { from: posted, to: { ...corrected, bodyMarkdown: 7 } }, '/to/bodyMarkdown'],
  ] as const) {
    it(`${name}: 400 validation_failed, nothing changed`, async () => {
      const id = await postUpdate();
      const res = await edit(id, payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
      expect(await stored(id)).toMatchObject({ ...posted, editedAt: null });
    });
  }

  it('an update id that is no uuid: 400 validation_failed', async () => {
    const res = await edit('not-a-uuid', { from: posted, to: corrected });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('validation_failed');
  });
});
