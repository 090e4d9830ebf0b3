import { and, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizations, outboxEmails } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { holdLock } from '../helpers/row-lock';
import { signInAs } from '../helpers/sign-in';

/*
 * A correction of an update's words (to take out a name that must not be published) reached its
 * page but not its mails: they were written in full into the outbox when it was posted, and those
 * not sent yet went out with the old words. The correction now rewrites them in its own
 * transaction, except a mail the sender is sending at that moment (locked; not waited for) and the
 * mails already sent. A translation's mail keeps its words; each mail keeps its stop link.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;

const db = () => h.testDb.database.db;
const slug = 'buck-a-brick';
const donors = { ja: 'hana@example.jp', sent: 'sam@example.org', locked: 'lee@example.org', unsent: 'una@example.org' };

const posted = { title: 'Week three with Maria Lopez', bodyMarkdown: 'Thanks to **Maria Lopez**, 300 members joined the picket.' };
const corrected = { title: 'Week three', bodyMarkdown: 'Thanks to a **steward**, 300 members joined the picket.' };
const japanese = { language: 'ja', title: '第三週', bodyMarkdown: '職場委員のおかげで、**300人**がピケに参加しました。' };

async function updateMails(updateId: string) {
  const rows = await db().select().from(outboxEmails).where(and(eq(outboxEmails.kind, 'appeal_update'), sql`${outboxEmails.dedupeKey} LIKE ${`update:${updateId}:%`}`));
  return new Map(rows.map((r) => [r.toAddress, r]));
}

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [local] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  organizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: local!.id, role: 'organizer' });
  for (const [email, locale] of [[donors.ja, 'ja'], [donors.sent, 'en'], [donors.locked, 'en'], [donors.unsent, 'en']] as const) {
    const g = await h.donate(slug, { amountMinor: '500', donorEmail: email, locale, updatesOptIn: true });
    h.emulator.controls.payCheckoutSession(g.sessionId);
  }
  await h.settle();
});

afterAll(async () => {
  await h?.close();
});

describe("a correction reaches the update's mails not sent yet", () => {
  it('rewrites the unsent unlocked mail with the new words and its own stop link; leaves sent, locked and translated mails; adds none', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: organizer }, payload: { ...posted, translations: [japanese] } });
    expect(res.statusCode, res.body).toBe(201);
    const updateId = res.json().id as string;
    const before = await updateMails(updateId);
    expect(before.size).toBe(4);
    await db().update(outboxEmails).set({ sentAt: sql`now()` }).where(eq(outboxEmails.id, before.get(donors.sent)!.id));
    const sentBefore = (await updateMails(updateId)).get(donors.sent)!;

    // The sender holds this one: claimed FOR UPDATE SKIP LOCKED, being handed to SMTP.
    const sending = await holdLock(h.testDb.url, 'SELECT 1 FROM outbox_emails WHERE id = $1 FOR UPDATE', [before.get(donors.locked)!.id]);
    try {
      const startedMs = Date.now();
      const edit = await app.inject({ method: 'PUT', url: `/api/appeals/${slug}/updates/${updateId}/text`, headers: { cookie: organizer }, payload: { from: posted, to: corrected } });
      expect(edit.statusCode, edit.body).toBe(200);
      // Not waited for: the correction does not hang on an SMTP server.
      expect(Date.now() - startedMs).toBeLessThan(5_000);
    } finally {
      await sending.release();
      await sending.end();
    }

    const after = await updateMails(updateId);
    expect(after.size).toBe(4);
    const una = after.get(donors.unsent)!;
    const unaBefore = before.get(donors.unsent)!;
    expect(una.subject).toBe('Buck-a-Brick: a union hall for our comrades in Mexico: Week three');
    expect(una.textBody.startsWith('Thanks to a steward, 300 members joined the picket.\n\n')).toBe(true);
    expect(una.textBody).not.toContain('Maria Lopez');
    // Everything after the words is as it was: the link, the footer, her own stop link.
    expect(una.textBody.slice('Thanks to a steward, 300 members joined the picket.'.length)).toBe(unaBefore.textBody.slice('Thanks to Maria Lopez, 300 members joined the picket.'.length));
    expect(una.listUnsubscribeUrl).toBe(unaBefore.listUnsubscribeUrl);
    expect(una).toMatchObject({ id: unaBefore.id, dedupeKey: unaBefore.dedupeKey, sentAt: null });

    expect(after.get(donors.sent)).toEqual(sentBefore);
    expect(after.get(donors.locked)).toEqual(before.get(donors.locked));
    expect(after.get(donors.ja)).toEqual(before.get(donors.ja));
    expect(after.get(donors.ja)!.textBody).toContain('職場委員のおかげで');
  });

  it('mails no donor who asked for news after the update was posted', async () => {
    const text = { title: 'Week four with Ana', bodyMarkdown: 'Ana brought bread.' };
    const res = await app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: organizer }, payload: text });
    expect(res.statusCode, res.body).toBe(201);
    const updateId = res.json().id as string;
    const g = await h.donate(slug, { amountMinor: '500', donorEmail: 'late@example.org', locale: 'en', updatesOptIn: true });
    h.emulator.controls.payCheckoutSession(g.sessionId);
    await h.settle();
    const edit = await app.inject({ method: 'PUT', url: `/api/appeals/${slug}/updates/${updateId}/text`, headers: { cookie: organizer }, payload: { from: text, to: { title: 'Week four', bodyMarkdown: 'A member brought bread.' } } });
    expect(edit.statusCode, edit.body).toBe(200);
    const mails = await updateMails(updateId);
    expect(mails.has('late@example.org')).toBe(false);
    expect(mails.get(donors.unsent)!.textBody.startsWith('A member brought bread.\n\n')).toBe(true);
  });
});
