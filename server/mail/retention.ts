import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { queryRows, type Db } from '../../db/client';
import { startPollLoop, type PollLoop } from '../poll-loop';

const emptiedPerRound = 1_000;

/**
 * Empties sent mail older than `keepDays`: its address, subject, text and unsubscribe link go
 * (personal data, and links that still work: a stop link never expires). The row and its dedupe
 * key stay, so a mail written again (an event posted twice) is still never sent twice. Returns
 * how many were emptied, at most a round's worth.
 */
export async function emptySentMail(db: Db, keepDays: number): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`UPDATE outbox_emails SET to_address = '', subject = '', text_body = '', list_unsubscribe_url = NULL
         WHERE id IN (SELECT id FROM outbox_emails
                       WHERE sent_at IS NOT NULL AND to_address <> '' AND sent_at < now() - make_interval(days => ${keepDays})
                       ORDER BY sent_at LIMIT ${emptiedPerRound})
     RETURNING id`,
  );
  return rows.length;
}

/** The retention job: hourly, and again at once while a round was full. */
export function startMailRetention(deps: { db: Db; keepDays: number; log: FastifyBaseLogger }, pollMs = 3_600_000): PollLoop {
  return startPollLoop({
    name: 'mail retention',
    pollMs,
    log: deps.log,
    work: async () => ({ more: (await emptySentMail(deps.db, deps.keepDays)) === emptiedPerRound }),
    wakeable: false,
  });
}
