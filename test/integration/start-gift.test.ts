import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appeals, donations } from '../../db/schema/index';
import { giftKey, startGift, type GiftRequest } from '../../web/src/lib/server/start-gift';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// The donate form's way into the donations API, against the real API, database and emulator: where
// each answer for a key sends the donor, and that a gift which can no longer be paid is started
// again once, as one new gift.
let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

/** The page's fetch, answered by the API in process. */
const apiFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const res = await h.app.inject({
    method: (init?.method ?? 'GET') as 'GET' | 'POST',
    url: String(input),
    headers: init?.headers as Record<string, string>,
    payload: init?.body as string | undefined,
  });
  return new Response(res.body, { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') } });
}) as typeof fetch;

const slug = 'buck-a-brick';
const giftOf = (email: string): GiftRequest => ({
  amountMinor: '500',
  frequency: 'one_off',
  coverFees: false,
  anonymous: false,
  updatesOptIn: false,
  donorEmail: email,
  locale: 'en',
});
const giftsOf = (email: string) => h.testDb.database.db.select().from(donations).where(eq(donations.donorEmail, email)).orderBy(donations.createdAt);
const sessionOf = (location: string) => new URL(location).pathname.split('/').at(-1)!;
const expire = (location: string) => h.emulator.client().checkout.sessions.expire(sessionOf(location));

async function start(pageKey: string, gift: GiftRequest): Promise<string> {
  const started = await startGift(apiFetch, slug, pageKey, gift);
  if (!('location' in started)) throw new Error(`not started: ${started.error.code}`);
  return started.location;
}

describe('startGift', () => {
  it('sends the same gift from one page to its one checkout', async () => {
    const gift = giftOf(`open-${randomUUID()}@example.org`);
    const pageKey = randomUUID();
    const first = await start(pageKey, gift);
    expect(first).toMatch(/\/checkout\/cs_/);
    expect(await start(pageKey, gift)).toBe(first);
    expect(await giftsOf(gift.donorEmail)).toHaveLength(1);
  });

  it('sends a gift already paid to its thank-you page, and starts nothing', async () => {
    const gift = giftOf(`paid-${randomUUID()}@example.org`);
    const pageKey = randomUUID();
    const checkout = await start(pageKey, gift);
    h.emulator.controls.payCheckoutSession(sessionOf(checkout));
    await h.settle();
    const [paid] = await giftsOf(gift.donorEmail);

    expect(await start(pageKey, gift)).toBe(`/appeals/${slug}/thanks?donation=${paid!.id}&again=1`);
    expect(await giftsOf(gift.donorEmail)).toHaveLength(1);
  });

  it('starts an expired gift again once, under a key made from the first: the same form sent again replays it', async () => {
    const gift = giftOf(`expired-${randomUUID()}@example.org`);
    const pageKey = randomUUID();
    const first = await start(pageKey, gift);
    await expire(first);

    const second = await start(pageKey, gift);
    expect(sessionOf(second)).not.toBe(sessionOf(first));
    expect(await start(pageKey, gift)).toBe(second);
    const gifts = await giftsOf(gift.donorEmail);
    expect(gifts.map((g) => g.checkoutSessionId)).toEqual([sessionOf(first), sessionOf(second)]);
    expect(gifts.map((g) => g.amountMinor)).toEqual([500n, 500n]);

    // Paid, then sent again: the thank-you page of the second gift, not a third gift.
    h.emulator.controls.payCheckoutSession(sessionOf(second));
    await h.settle();
    expect(await start(pageKey, gift)).toBe(`/appeals/${slug}/thanks?donation=${gifts[1]!.id}&again=1`);
    expect(await giftsOf(gift.donorEmail)).toHaveLength(2);
  });

  it('starts again at most once per submission: when the second gift expired too, the API’s answer is returned', async () => {
    const gift = giftOf(`twice-${randomUUID()}@example.org`);
    const pageKey = randomUUID();
    await expire(await start(pageKey, gift));
    await expire(await start(pageKey, gift));

    const started = await startGift(apiFetch, slug, pageKey, gift);
    expect(started).toMatchObject({ status: 409, error: { code: 'donation.checkout_expired' } });
    expect(await giftsOf(gift.donorEmail)).toHaveLength(2);
  });

  it('starts a gift again when its checkout cannot be resumed', async () => {
    const gift = giftOf(`unresumable-${randomUUID()}@example.org`);
    const pageKey = randomUUID();
    const first = await start(pageKey, gift);
    // The session id never reached the row, and the appeal was renamed since: Stripe refuses the
    // changed request under the gift's old Stripe key.
    const [row] = await giftsOf(gift.donorEmail);
    await h.testDb.database.db.update(donations).set({ checkoutSessionId: null }).where(eq(donations.id, row!.id));
    const [appeal] = await h.testDb.database.db.select().from(appeals).where(eq(appeals.slug, slug));
    await h.testDb.database.db.update(appeals).set({ title: `${appeal!.title} (renamed)` }).where(eq(appeals.id, appeal!.id));
    try {
      const second = await start(pageKey, gift);
      expect(sessionOf(second)).not.toBe(sessionOf(first));
      expect(await giftsOf(gift.donorEmail)).toHaveLength(2);
    } finally {
      await h.testDb.database.db.update(appeals).set({ title: appeal!.title }).where(eq(appeals.id, appeal!.id));
    }
  });

  it('starts a gift again when its key was used for another gift', async () => {
    const gift = giftOf(`conflict-${randomUUID()}@example.org`);
    const pageKey = randomUUID();
    const other = await h.app.inject({ method: 'POST', url: `/api/appeals/${slug}/donations`, payload: { ...gift, amountMinor: '700', idempotencyKey: giftKey(pageKey, gift) } });
    expect(other.statusCode).toBe(201);

    const location = await start(pageKey, gift);
    expect(sessionOf(location)).not.toBe(sessionOf(other.json().checkoutUrl));
    expect((await giftsOf(gift.donorEmail)).map((g) => g.amountMinor)).toEqual([700n, 500n]);
  });
});
