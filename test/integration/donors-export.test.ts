import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitCheckoutForm } from '../../server/stripe-emulator/testing';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('donor export', () => {
  // Organizers thank donors from a spreadsheet: names in any script must survive, and a name
  // that looks like a formula must stay text.
  it('gives organizers a UTF-8 CSV with a BOM, exact amounts and inert formulas', async () => {
    for (const [donorName, amountMinor] of [['Zoë Ñúñez 山田 عمر', '2500'], ['=HYPERLINK("http://evil")', '100']] as const) {
      const { checkoutUrl } = await h.donate('buck-a-brick', { donorName, amountMinor });
      await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    }
    await h.settle();
    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const res = await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: organizer } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.body.slice(1).split('\r\n');
    expect(lines[0]).toBe('date,name,email,anonymous,amount,refunded,currency,frequency,status,wants_updates,message');
    expect(res.body).toContain('Zoë Ñúñez 山田 عمر,member@example.org,no,25.00,0.00,USD,one_off,succeeded');
    expect(res.body).toContain(`"'=HYPERLINK(""http://evil"")"`);

    const member = await signIn(h.app, 'member@ue222.demo');
    expect((await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: member } })).statusCode).toBe(403);
    expect((await h.app.inject('/api/appeals/buck-a-brick/donors.csv')).statusCode).toBe(401);
  });
});
