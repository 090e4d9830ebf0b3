import type { Db } from '../../db/client';
import { stripeEvents } from '../../db/schema/index';

type InboxRow = typeof stripeEvents.$inferInsert & { id: string };

const batchRowsMax = 200;
const flushesInFlightMax = 4;

/**
 * Writes webhook events to the inbox in small batches: requests that arrive together share one
 * multi-row INSERT, and each request is answered only once its row is committed. Under load this
 * turns one round trip per event into one per batch; alone, an event waits one tick at most.
 */
export class InboxWriter {
  private waiting: { row: InboxRow; done: (inserted: boolean) => void; fail: (err: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly db: Db) {}

  /** Resolves true when the event is new, false when the inbox already had it. */
  write(row: InboxRow): Promise<boolean> {
    return new Promise((done, fail) => {
      this.waiting.push({ row, done, fail });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= flushesInFlightMax || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting.splice(0, batchRowsMax);
    if (batch.length === 0) return;
    this.inFlight++;
    try {
      const inserted = await this.db
        .insert(stripeEvents)
        .values(batch.map((b) => b.row))
        .onConflictDoNothing({ target: stripeEvents.id })
        .returning({ id: stripeEvents.id });
      const fresh = new Set(inserted.map((r) => r.id));
      for (const b of batch) {
        // A repeat inside one batch: only its first copy counts as new.
        b.done(fresh.delete(b.row.id));
      }
    } catch (err) {
      for (const b of batch) b.fail(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
