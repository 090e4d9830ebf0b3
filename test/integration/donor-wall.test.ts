import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donations } from '../../db/schema/index';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// The donor wall is public: it must never show a name its donor hid, a message nobody approved,
// or a gift that did not go through.
let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

async function give(body: Record<string, unknown>, card = '4242 4242 4242 4242') {
  const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { amountMinor: '500', ...body });
  await submitCheckoutForm(checkoutUrl, { card_number: card });
  return donationId;
}

describe('GET /api/appeals/:slug/wall', () => {
  it('lists paid gifts newest first, hides anonymous names and unapproved messages', async () => {
    await give({ donorName: 'Named Donor', message: 'Not yet read' });
    const approved = await give({ donorName: 'Approved Donor', message: 'Solidarity forever', locale: 'es' });
    await give({ donorName: 'Hidden Name', anonymous: true });
    await give({ donorName: 'Declined Donor' }, '4000 0000 0000 0002');
    await h.settle();
    await h.testDb.database.db.update(donations).set({ messageStatus: 'approved' }).where(eq(donations.id, approved));

    const res = await h.app.inject('/api/appeals/buck-a-brick/wall?limit=10');
    expect(res.statusCode).toBe(200);
    const { donors } = res.json() as { donors: { name: string | null; message: string | null; messageLanguage: string | null; givenAt: string }[] };
    expect(donors.map((d) => d.name)).toEqual([null, 'Approved Donor', 'Named Donor']);
    expect(donors.map((d) => d.message)).toEqual([null, 'Solidarity forever', null]);
    // A message is marked with the language its donor gave in, not the appeal's (English here).
    expect(donors.map((d) => d.messageLanguage)).toEqual([null, 'es', null]);
    expect(JSON.stringify(donors)).not.toContain('Hidden Name');
    expect(JSON.stringify(donors)).not.toContain('@');
  });

  it('answers 404 for an unknown appeal and 400 for a bad limit', async () => {
    expect((await h.app.inject('/api/appeals/no-such-appeal/wall')).statusCode).toBe(404);
    expect((await h.app.inject('/api/appeals/buck-a-brick/wall?limit=1000')).statusCode).toBe(400);
  });
});
