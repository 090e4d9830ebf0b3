import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryRows } from '../../db/client';
import { startPaymentsHarness, type PaymentsHarness } from '../helpers/payments-harness';

// A served inbox is almost all posted events, and its statistics say so: nothing is pending.
// When Stripe then delivers a backlog (days of events after an outage), the poster's statements
// that find a batch's events by id must still look each one up, not read the whole backlog once
// per batch (1,000 ids against 20,000 pending events: seconds a batch, and a backlog that drains
// ever slower the longer it is).
let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});

afterAll(async () => {
  await h?.close();
});

/** `n` events of a type the poster ignores, named `prefix`0…, in `status`. */
async function addEvents(prefix: string, n: number, status: 'pending' | 'processed'): Promise<void> {
  await h.testDb.database.rows(sql`
    INSERT INTO stripe_events (id, type, api_version, stripe_created_at, payload, status, processed_at)
    SELECT ${prefix} || g, 'customer.created', '2025-03-31.basil', now() - interval '1 hour' + g * interval '1 ms',
           json_build_object('id', ${prefix} || g, 'object', 'event', 'type', 'customer.created', 'data', json_build_object('object', json_build_object('id', 'cus_' || g, 'object', 'customer')))::text,
           ${status}::stripe_event_status, CASE WHEN ${status} = 'processed' THEN now() END
      FROM generate_series(1, ${n}) g`);
}

it('marks a batch done by id, however long the backlog behind it', async () => {
  await addEvents('evt_served_', 2_000, 'processed');
  await h.testDb.database.rows(sql`ANALYZE stripe_events`);
  await addEvents('evt_backlog_', 20_000, 'pending');

  const started = performance.now();
  const drained = await h.drain({ batchSize: 1_000 });
  const ms = performance.now() - started;

  expect(drained).toMatchObject({ claimed: 1_000, processed: 1_000, failed: 0 });
  const [counts] = await queryRows<{ ignored: number; pending: number }>(
    h.testDb.database.db,
    sql`SELECT count(*) FILTER (WHERE status = 'ignored')::int AS ignored, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM stripe_events`,
  );
  expect(counts).toEqual({ ignored: 1_000, pending: 19_000 });
  // About 50 ms by primary key; the nested loop over the backlog took 7 s here.
  expect(ms).toBeLessThan(2_000);
}, 60_000);
