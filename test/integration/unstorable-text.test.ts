import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaigns, donations, organizations, users } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signInAs } from '../helpers/sign-in';

// Text no column can keep (a NUL character, half a surrogate pair) is a 400 naming where it is,
// on every API route and on the sign-in service's, and nothing is written: before, such input
// reached Postgres and answered 500, or stored U+FFFD and then found the gift "changed".
let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

const refusedAt = (path: string) => ({ error: { code: 'validation_failed', details: [expect.objectContaining({ path })] } });

describe('unstorable text', () => {
  it('refuses a NUL or a lone surrogate in a gift, and starts no gift', async () => {
    const email = `nul-${randomUUID()}@example.org`;
    for (const [field, value] of [['donorName', 'Ana\u0000B'], ['message', 'x\u0000'], ['donorName', 'Ana \ud800']] as const) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/appeals/buck-a-brick/donations',
        payload: { amountMinor: '500', frequency: 'one_off', donorEmail: email, idempotencyKey: randomUUID(), [field]: value },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject(refusedAt(`/${field}`));
    }
    expect(await h.testDb.database.db.select().from(donations).where(eq(donations.donorEmail, email))).toEqual([]);
  });

  it('refuses it in a query string and a path', async () => {
    // (A route's own pattern refuses most path parameters anyway; the guard sees them first.)
    for (const url of ['/api/appeals?organization=%00', '/api/appeals?campaign=a%00b', '/api/appeal-updates/stop?token=a%ED%A0%80']) {
      const res = await h.app.inject({ url });
      expect({ url, status: res.statusCode, code: res.json().error.code }).toEqual({ url, status: 400, code: 'validation_failed' });
    }
  });

  // JSON.parse takes a body nested thousands deep; walking it must not overflow the stack (a 500).
  it('refuses a body nested deeper than any input, without a 500', async () => {
    const depth = 20_000;
    const body = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    for (const url of ['/api/appeals/buck-a-brick/donations', '/api/auth/sign-in/magic-link', '/api/no-such-route']) {
      const res = await h.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: body });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 400 });
    }
  });

  it('refuses it in an organizer’s writes, and writes nothing, not even the audit row', async () => {
    const [org] = await h.testDb.database.db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
    const cookie = await signInAs(h.app, `organizer-${randomUUID()}@example.org`, { organizationId: org!.id, role: 'organizer' });
    const audits = async () => (await h.testDb.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_log`))[0]!.n;
    const before = await audits();
    const res = await h.app.inject({ method: 'POST', url: '/api/organizations/ue-local-222/campaigns', headers: { cookie }, payload: { slug: 'sur-camp', title: 'ab\ud800c' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject(refusedAt('/title'));
    expect(await h.testDb.database.db.select().from(campaigns).where(eq(campaigns.slug, 'sur-camp'))).toEqual([]);
    expect(await audits()).toBe(before);
  });

  // marked overflows its stack on a few thousand nested quotes or emphasis markers: an organizer's
  // story or update so written is refused with a reason, not answered 500, and nothing changes.
  it('refuses markdown nested too deep to render, and keeps the story as it was', async () => {
    const [org] = await h.testDb.database.db.select().from(organizations).where(eq(organizations.slug, 'ue-local-222'));
    const cookie = await signInAs(h.app, `deep-${randomUUID()}@example.org`, { organizationId: org!.id, role: 'organizer' });
    const storyBefore = (await h.app.inject('/api/appeals/buck-a-brick')).json().storyHtml;
    const deep = '>'.repeat(3_000) + ' x';
    for (const [method, url, payload] of [
      ['PATCH', '/api/appeals/buck-a-brick', { storyMarkdown: deep }],
      ['POST', '/api/appeals/buck-a-brick/updates', { title: 'Deep', bodyMarkdown: `${'*'.repeat(9_000)}x${'*'.repeat(9_000)}` }],
      ['PUT', '/api/appeals/buck-a-brick/translations/fr', { title: 'Profond', storyMarkdown: deep }],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: { cookie }, payload });
      expect({ url, status: res.statusCode, code: res.json().error?.code }).toEqual({ url, status: 400, code: 'content.too_deeply_nested' });
    }
    expect((await h.app.inject('/api/appeals/buck-a-brick')).json().storyHtml).toBe(storyBefore);
  });

  it('refuses it in a sign-in request, and a name longer than a name; offers only the sign-in endpoints', async () => {
    const email = `nul-signin-${randomUUID()}@example.org`;
    for (const [payload, path] of [[{ email, name: 'New\u0000Person', callbackURL: '/' }, '/name'], [{ email, name: 'x'.repeat(50_000), callbackURL: '/' }, '/name']] as const) {
      const res = await h.app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', payload });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject(refusedAt(path));
    }
    expect(await h.testDb.database.db.select().from(users).where(eq(users.email, email))).toEqual([]);
    const profile = await h.app.inject({ method: 'POST', url: '/api/auth/update-user', payload: { name: 'Member\u0000x' } });
    expect(profile.statusCode).toBe(404);
    expect(profile.json().error.code).toBe('not_found');
  });
});
