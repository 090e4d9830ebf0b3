import { sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../../db/client';
import { withTimeout } from '../with-timeout';

/** A scrape waits this long for the database, well inside a scraper's own timeout (Fly's: 10 s). */
const readTimeoutMs = 2_000;

/**
 * What the queues hold now, read in one query, each part from a partial index: a scrape costs
 * what the backlog holds, however long the history.
 */
interface QueueState extends Record<string, unknown> {
  pending: number;
  waiting: number;
  oldest_due_seconds: number | null;
  parked: number;
  unsent: number;
  oldest_unsent_seconds: number | null;
}

/** The queues now, or null when the database does not answer (the gauges then say NaN, not an old value). */
async function readQueues(database: Database): Promise<QueueState | null> {
  const read = database.rows<QueueState>(sql`
    SELECT (SELECT count(*)::int FROM stripe_events WHERE status = 'pending') AS pending,
           (SELECT count(*)::int FROM stripe_events WHERE status = 'pending' AND next_attempt_at > now()) AS waiting,
           (SELECT extract(epoch FROM now() - min(received_at))::float8 FROM stripe_events
             WHERE status = 'pending' AND next_attempt_at <= now()) AS oldest_due_seconds,
           (SELECT count(*)::int FROM stripe_events WHERE status = 'parked') AS parked,
           (SELECT count(*)::int FROM outbox_emails WHERE sent_at IS NULL) AS unsent,
           (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox_emails WHERE sent_at IS NULL) AS oldest_unsent_seconds`);
  const rows = await withTimeout(read, readTimeoutMs).catch(() => null);
  return rows?.[0] ?? null;
}

/**
 * The webhook inbox and the mail outbox as an operator watches them: a poster falling behind
 * intake shows as a growing backlog and age (add `worker` machines), a parked event needs a
 * treasurer, unsent mail an SMTP server that answers. Read from the database at each scrape, so
 * every process reports the same numbers.
 */
export function registerQueueGauges(registry: Registry, database: Database, prefix: string): void {
  // One read serves every gauge of a scrape: the first to collect reads, the rest reuse it.
  let reading: Promise<QueueState | null> | null = null;
  const state = () => (reading ??= readQueues(database).finally(() => setTimeout(() => (reading = null), 0)));
  const gauge = (name: string, help: string, value: (s: QueueState | null) => number) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      registers: [registry],
      async collect() {
        this.set(value(await state()));
      },
    });
  // A queue's figure, or NaN while the database does not answer (not the last figure read).
  const queue = (pick: (s: QueueState) => number | null) => (s: QueueState | null) => (s ? (pick(s) ?? 0) : Number.NaN);
  gauge('database_up', '1 when the database answered this scrape, else 0 (and the queue figures are NaN).', (s) => (s ? 1 : 0));
  gauge('stripe_events_pending', 'Stripe events stored and not yet posted (including those waiting to retry).', queue((s) => s.pending));
  gauge('stripe_events_waiting', 'Pending Stripe events not due yet: in back-off after a failure (a refund before its gift), or being posted now.', queue((s) => s.waiting));
  // Due events only: a refund waiting hours for its gift is not the poster falling behind.
  gauge('stripe_events_oldest_due_seconds', 'How long the oldest Stripe event due for posting has waited since it was received; 0 when none.', queue((s) => s.oldest_due_seconds));
  gauge('stripe_events_parked', 'Stripe events set aside after failing: each needs a treasurer.', queue((s) => s.parked));
  gauge('mail_unsent', 'Mails in the outbox not yet sent.', queue((s) => s.unsent));
  gauge('mail_oldest_unsent_seconds', 'How long the oldest unsent mail has waited; 0 when none.', queue((s) => s.oldest_unsent_seconds));
}
