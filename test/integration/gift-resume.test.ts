import { randomBytes, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donations } from '../../db/schema/index';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// Back from a canceled checkout without JavaScript, the giving form gets the donor's own fields
// again from the API, with the key its browser was given when the gift started. The gift's id is
// in a link anyone may hold: without the key it shows nothing of whose the gift was, and with it
// only while the gift is unpaid and recent.
let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

type Started = { donationId: string; sessionId: string; resumeKey: string; resumeExpiresAt: string };

async function startGift(fields: Record<string, unknown> = {}): Promise<Started & { email: string }> {
  const email = `resume-${randomUUID()}@example.org`;
  const res = await h.app.inject({
    method: 'POST',
    url: '/api/appeals/buck-a-brick/donations',
    payload: { amountMinor: '1000', donorEmail: email, donorName: 'Rosa Ortega', message: 'Hasta la victoria', anonymous: true, updatesOptIn: true, idempotencyKey: randomUUID(), ...fields },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  return { ...body, email, sessionId: new URL(body.checkoutUrl).pathname.split('/').at(-1)! };
}

const resume = (donationId: string, key: string) => h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/resume`, payload: { key } });

/** A refusal says why by its code, and carries nothing the donor typed. */
function expectRefused(res: Awaited<ReturnType<typeof resume>>, status: number, code: string, email: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().error.code).toBe(code);
  for (const typed of [email, 'Rosa Ortega', 'Hasta la victoria']) expect(res.body).not.toContain(typed);
}

describe('POST /api/donations/:id/resume', () => {
  it('answers the donor’s own fields to the key the gift was started with, for an hour', async () => {
    const gift = await startGift();
    expect(gift.resumeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hoursAhead = (Date.parse(gift.resumeExpiresAt) - Date.now()) / 3_600_000;
    expect(hoursAhead).toBeGreaterThan(0.9);
    expect(hoursAhead).toBeLessThanOrEqual(1);

    const res = await resume(gift.donationId, gift.resumeKey);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ donorName: 'Rosa Ortega', donorEmail: gift.email, message: 'Hasta la victoria', anonymous: true, updatesOptIn: true });
    // The browser's page reads it once per drawing; no cache may keep a copy for anyone else.
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers the same key to the same gift sent again (a double press gets one cookie that works)', async () => {
    const idempotencyKey = randomUUID();
    const first = await startGift({ idempotencyKey, donorEmail: 'twice@example.org' });
    const again = await startGift({ idempotencyKey, donorEmail: 'twice@example.org' });
    expect(again.donationId).toBe(first.donationId);
    expect(first.resumeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(again.resumeKey).toBe(first.resumeKey);
  });

  it('refuses a wrong key, and another gift’s key, without a word of the gift', async () => {
    const gift = await startGift();
    const other = await startGift();
    expectRefused(await resume(gift.donationId, randomBytes(32).toString('base64url')), 403, 'donation.resume_key_invalid', gift.email);
    expectRefused(await resume(gift.donationId, other.resumeKey), 403, 'donation.resume_key_invalid', gift.email);
    // A key is never a key to a gift that does not exist either.
    expectRefused(await resume(randomUUID(), gift.resumeKey), 404, 'donation_not_found', gift.email);
  });

  it('refuses a key that is no key, as a bad request', async () => {
    const gift = await startGift();
    for (const key of ['', 'short', `${gift.resumeKey}x`, gift.resumeKey.replace(/^./, '.')]) {
      const res = await resume(gift.donationId, key);
      expect(res.statusCode, key).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    const extra = await h.app.inject({ method: 'POST', url: `/api/donations/${gift.donationId}/resume`, payload: { key: gift.resumeKey, more: 1 } });
    expect(extra.statusCode).toBe(400);
  });

  it('refuses once the gift is paid, though the key is right', async () => {
    const gift = await startGift();
    h.emulator.controls.payCheckoutSession(gift.sessionId);
    await h.settle();
    const [paid] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, gift.donationId));
    expect(paid!.status).toBe('succeeded');
    expectRefused(await resume(gift.donationId, gift.resumeKey), 409, 'donation.resume_closed', gift.email);
  });

  it('answers for a gift whose checkout expired unpaid (canceled), within the hour', async () => {
    const gift = await startGift();
    await h.emulator.client().checkout.sessions.expire(gift.sessionId);
    await h.settle();
    const [canceled] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, gift.donationId));
    expect(canceled!.status).toBe('canceled');
    expect((await resume(gift.donationId, gift.resumeKey)).statusCode).toBe(200);
  });

  it('refuses the right key an hour after the gift started', async () => {
    const gift = await startGift();
    await h.testDb.database.db.execute(sql`UPDATE donations SET created_at = now() - interval '61 minutes' WHERE id = ${gift.donationId}`);
    expectRefused(await resume(gift.donationId, gift.resumeKey), 403, 'donation.resume_key_expired', gift.email);
  });
});
