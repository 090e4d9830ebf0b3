import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appealUpdates, appeals, organizations, outboxEmails } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

/*
 * An update is posted once per key. A double click on "Post update", or a form sent again, used to
 * put two identical updates on the public page (there is no delete) and mail every subscriber
 * twice. The key is what the manage page draws with the form; the unique index decides.
 */

let h: PaymentsHarness;
let app: FastifyInstance;
let organizer: string;
let appealId: string;

const db = () => h.testDb.database.db;
const slug = 'buck-a-brick';

const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/api/appeals/${slug}/updates`, headers: { cookie: organizer }, payload });

async function updatesTitled(title: string) {
  return db().select().from(appealUpdates).where(and(eq(appealUpdates.appealId, appealId), eq(appealUpdates.title, title)));
}

async function mailsOf(updateIds: string[]) {
  const rows = await db().select({ to: outboxEmails.toAddress, key: outboxEmails.dedupeKey }).from(outboxEmails).where(eq(outboxEmails.kind, 'appeal_update'));
  return rows.filter((r) => updateIds.some((id) => r.key.startsWith(`update:${id}:`))).map((r) => r.to).sort();
}

beforeAll(async () => {
  h = await startPaymentsHarness();
  app = h.app;
  const [local] = await db().select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
  [{ appealId }] = (await db().select({ appealId: appeals.id }).from(appeals).where(eq(appeals.slug, slug))) as [{ appealId: string }];
  organizer = await signInAs(app, 'organizer@local222.example.org', { organizationId: local!.id, role: 'organizer' });
  for (const donorEmail of ['ana@example.org', 'kenji@example.jp']) {
    const g = await h.donate(slug, { amountMinor: '500', donorEmail, updatesOptIn: true });
    h.emulator.controls.payCheckoutSession(g.sessionId);
  }
  await h.settle();
});

afterAll(async () => {
  await h?.close();
});

describe('posting an update with an idempotency key', () => {
  it('posts once when the same key comes twice: the second answer is the first update', async () => {
    const body = { title: 'The roof is on', bodyMarkdown: 'Thank you.', idempotencyKey: 'manage-key-0001' };
    const first = await post(body);
    const again = await post(body);
    expect(first.statusCode, first.body).toBe(201);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(first.json().emailedTo).toBe(2);
    const rows = await updatesTitled('The roof is on');
    expect(rows.map((r) => r.id)).toEqual([first.json().id]);
    expect(await mailsOf(rows.map((r) => r.id))).toEqual(['ana@example.org', 'kenji@example.jp']);
  });

  it('posts once when the same key comes twice at the same moment (a double click)', async () => {
    const body = { title: 'Day two of the strike', bodyMarkdown: 'Still out.', idempotencyKey: 'manage-key-0002' };
    const answers = await Promise.all([post(body), post(body), post(body)]);
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    const rows = await updatesTitled('Day two of the strike');
    expect(rows).toHaveLength(1);
    expect(await mailsOf(rows.map((r) => r.id))).toEqual(['ana@example.org', 'kenji@example.jp']);
  });

  it('refuses the key with other words (409), and a new key posts a new update', async () => {
    const body = { title: 'Walls', bodyMarkdown: 'Up.', idempotencyKey: 'manage-key-0003' };
    const first = await post(body);
    expect(first.statusCode).toBe(201);
    const other = await post({ ...body, bodyMarkdown: 'Up, and painted.' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('appeal.update_idempotency_conflict');
    const fresh = await post({ ...body, idempotencyKey: 'manage-key-0004' });
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json().id).not.toBe(first.json().id);
    expect(await updatesTitled('Walls')).toHaveLength(2);
  });

  it('refuses a malformed key with 400 validation_failed', async () => {
    for (const idempotencyKey of ['short', 'has space in it', 'x'.repeat(101), 42]) {
      const res = await post({ title: 'Bad key', bodyMarkdown: 'Nope.', idempotencyKey });
      expect(res.statusCode, String(idempotencyKey)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect(await updatesTitled('Bad key')).toHaveLength(0);
  });
});
