import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client';
import { donations } from '../../db/schema/index';
import { startJobs } from '../../server/jobs';
import { testConfig } from '../helpers/config';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';
import { signIn } from '../helpers/sign-in';

// In production the API and the worker are separate processes. A close in the API reached the
// worker's closed-appeal jobs only at their next poll (30 s): a donor could still pay the closed
// appeal's open checkout meanwhile. Now the close's commit wakes them in every process at once.

let h: PaymentsHarness;
/** The worker process's own pool on the same database. */
let worker: Database;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  h = await startPaymentsHarness();
  worker = await openDatabase({ databaseUrl: h.testDb.url, poolMax: 4 });
});

afterAll(async () => {
  await worker?.close();
  await h?.close();
});

/** The gift as it is once `done` says so, or as it is after `ms`. */
async function giftWithin(donationId: string, ms: number, done: (gift: typeof donations.$inferSelect) => boolean) {
  const until = Date.now() + ms;
  for (;;) {
    const [gift] = await h.testDb.database.db.select().from(donations).where(eq(donations.id, donationId));
    if (done(gift!) || Date.now() > until) return gift!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a close in the API wakes the worker’s closed-appeal jobs', () => {
  it('expires its open checkout and ends its monthly gift within moments, not at the next poll', async () => {
    const monthly = await h.donate('buck-a-brick', { amountMinor: '1000', frequency: 'monthly', donorEmail: 'monthly@example.org' });
    h.emulator.controls.payCheckoutSession(monthly.sessionId);
    await h.settle();
    const open = await h.donate('buck-a-brick', { amountMinor: '1500', frequency: 'one_off', donorEmail: 'open@example.org' });
    // The worker, as `npm run worker` starts it: every job, polling every 30 s.
    const jobs = startJobs({ database: worker, config: testConfig(), log: silent, stripe: h.emulator.client() });
    try {
      // The worker's first rounds are over: what comes next waits for a wake or the poll.
      await new Promise((resolve) => setTimeout(resolve, 1000));

      const res = await h.app.inject({ method: 'POST', url: '/api/appeals/buck-a-brick/close', headers: { cookie: await signIn(h.app, 'organizer@ue222.demo') } });
      expect(res.statusCode, res.body).toBe(200);
      expect((await giftWithin(open.donationId, 3000, (g) => g.status !== 'pending')).status).toBe('canceled');
      expect((await h.emulator.client().checkout.sessions.retrieve(open.sessionId)).status).toBe('expired');
      const gift = await giftWithin(monthly.donationId, 3000, (g) => g.subscriptionCanceledAt !== null);
      expect(gift.subscriptionCanceledAt).not.toBeNull();
      expect((await h.emulator.client().subscriptions.retrieve(gift.subscriptionId!)).status).toBe('canceled');
    } finally {
      await jobs.stop();
    }
  });
});
