import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { users } from '../../db/schema/index';
import { verifyLedger } from '../../server/ledger/service';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// A card refund Stripe said it made can come back from the card's bank weeks later (a closed or
// lost card). Stripe puts the money back in the balance and leaves it to us to return it another
// way: the treasurers must hear of it, once, however Stripe delivers refund.updated and
// refund.failed (twice, out of order, before the refund itself).

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

const mailsOf = (refundId: string) =>
  queryRows<{ to: string; subject: string; text: string; kind: string }>(
    h.testDb.database.db,
    sql`SELECT to_address AS "to", subject, text_body AS text, kind FROM outbox_emails WHERE dedupe_key LIKE ${`refund_failed:${refundId}:%`} ORDER BY to_address`,
  );

describe('a refund the card’s bank sends back', () => {
  it('tells each treasurer once, in their language, whatever order and repeats the events come in', async () => {
    const db = h.testDb.database.db;
    await db.update(users).set({ locale: 'fr' }).where(eq(users.email, 'treasurer@federation.demo'));
    try {
      const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '900' });
      h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
      await h.settle();
      const balance = await h.appealBalance('buck-a-brick');

      // Every event of the refund and its failure held back, then each sent three times, shuffled.
      h.emulator.controls.setDelivery({ times: 3, shuffle: true });
      h.emulator.controls.pause();
      const asked = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '400' } });
      expect(asked.statusCode, asked.body).toBe(202);
      const refundId: string = asked.json().refundId;
      h.emulator.controls.failRefund(refundId, 'lost_or_stolen_card');
      h.emulator.controls.resume();
      await h.settle();

      expect(await h.appealBalance('buck-a-brick')).toBe(balance);
      expect((await verifyLedger(db)).problems).toEqual([]);
      const mails = await mailsOf(refundId);
      expect(mails.length).toBeGreaterThan(0);
      expect(new Set(mails.map((m) => m.to)).size).toBe(mails.length);
      const french = mails.find((m) => m.to === 'treasurer@federation.demo')!;
      expect(french.kind).toBe('refund_failed');
      expect(french.subject).toMatch(/^Un remboursement de 4,00\s\$US n’est pas parvenu au donateur/);
      expect(french.text).toMatch(/^Bonjour/);
      expect(french.text).toContain('Motif : la carte a été déclarée perdue ou volée.');
      expect(french.text).toMatch(/, effectué le \d{1,2} \S+ \d{4} \(heure UTC\), a été renvoyé/);
      expect(french.text).toContain(`Le don et son remboursement échoué : http://localhost:3000/treasury/donations/${donationId}`);
      // The others said no language: they read the appeal's (English).
      for (const m of mails.filter((x) => x.to !== 'treasurer@federation.demo')) expect(m.subject).toMatch(/^A refund of \$4\.00 did not reach the donor/);

      // Read only once it had failed, the refund was never posted (nor reversed): the gift's page
      // shows it sent back all the same, as the mail's link promises, and the gift whole again.
      const detail = (await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
      expect(detail).toMatchObject({ status: 'succeeded', refundedMinor: '0', refundableMinor: '900', refundsAwaiting: [], failedRefunds: [{ refundId, amountMinor: '400', reason: 'lost_or_stolen_card' }] });

      // Stripe sends the failure again days later: nobody is told twice.
      await h.deliver(await h.emulatorEvent('refund.failed', refundId));
      await h.deliver(await h.emulatorEvent('refund.updated', refundId));
      await h.settle();
      expect(await mailsOf(refundId)).toEqual(mails);
    } finally {
      h.emulator.controls.setDelivery({ times: 1, shuffle: false });
      await db.update(users).set({ locale: null }).where(eq(users.email, 'treasurer@federation.demo'));
    }
  });

  // The usual order: the refund is posted, then fails weeks later (each event sent twice); its
  // reversal is posted once, and so is the mail.
  it('tells them once of a refund that failed after it was posted, and says so when Stripe gives no reason', async () => {
    const { donationId, sessionId } = await h.donate('buck-a-brick', { amountMinor: '700' });
    h.emulator.controls.payCheckoutSession(sessionId, '4242424242424242');
    await h.settle();
    const balance = await h.appealBalance('buck-a-brick');
    h.emulator.controls.setDelivery({ times: 2 });
    try {
      const asked = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: {} });
      expect(asked.statusCode, asked.body).toBe(202);
      const refundId: string = asked.json().refundId;
      await h.settle();
      expect(await h.appealBalance('buck-a-brick')).toBe(balance + 700n);
      expect(await mailsOf(refundId)).toEqual([]);
      h.emulator.controls.failRefund(refundId, 'unknown');
      await h.settle();
      expect(await h.appealBalance('buck-a-brick')).toBe(balance);
      expect((await verifyLedger(h.testDb.database.db)).problems).toEqual([]);
      const mails = await mailsOf(refundId);
      expect(mails.length).toBeGreaterThan(0);
      expect(new Set(mails.map((m) => m.to)).size).toBe(mails.length);
      for (const m of mails) {
        expect(m.subject).toMatch(/^A refund of \$7\.00 did not reach the donor/);
        expect(m.text).toContain('Why: Stripe did not say.');
      }
      // The gift's detail lists it, for its page: how much, when, why; and it is refundable again.
      const detail = (await h.app.inject({ url: `/api/donations/${donationId}/detail`, headers: { cookie: h.treasurer } })).json();
      expect(detail).toMatchObject({ status: 'succeeded', refundableMinor: '700', failedRefunds: [{ refundId, amountMinor: '700', reason: 'unknown' }] });
      expect(Date.parse(detail.failedRefunds[0].failedAt)).not.toBeNaN();
    } finally {
      h.emulator.controls.setDelivery({ times: 1 });
    }
  });
});
