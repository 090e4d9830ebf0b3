import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import nodemailer, { type Transporter } from 'nodemailer';
import { queryRows, type Db } from '../../db/client';
import { startPollLoop, type PollLoop } from '../poll-loop';

const sendBatchMax = 20;
/** The kind of mail whose text is a credential: a sign-in link (server/auth/auth.ts). */
const credentialMailKind = 'sign_in';

interface OutboxRow extends Record<string, unknown> {
  id: string;
  to_address: string;
  subject: string;
  text_body: string;
  list_unsubscribe_url: string | null;
}

/**
 * Sends what the outbox holds by SMTP, at most a batch per call. A row is claimed with SKIP LOCKED
 * and marked sent in the same database transaction, so two workers never send one mail twice.
 */
export async function sendPendingMail(deps: { db: Db; transport: Transporter; from: string; log: FastifyBaseLogger }): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const rows = await queryRows<OutboxRow>(
      tx,
      sql`SELECT id, to_address, subject, text_body, list_unsubscribe_url FROM outbox_emails WHERE sent_at IS NULL
           ORDER BY created_at LIMIT ${sendBatchMax} FOR UPDATE SKIP LOCKED`,
    );
    let sent = 0;
    for (const row of rows) {
      try {
        await deps.transport.sendMail({ from: deps.from, to: row.to_address, subject: row.subject, text: row.text_body, ...unsubscribeHeaders(row.list_unsubscribe_url) });
        // A sign-in mail's link signs in whoever holds it (the token itself is kept only as a hash):
        // once it is on its way, the database keeps to whom and what was sent, not the link.
        await tx.execute(sql`UPDATE outbox_emails SET sent_at = now(), text_body = CASE WHEN kind = ${credentialMailKind} THEN '' ELSE text_body END WHERE id = ${row.id}`);
        sent++;
      } catch (err) {
        // The address stays out of the log, and so does the error's text: an SMTP server's answer
        // quotes the address it refused. Its code and status say why. The row stays unsent and is
        // tried again next round.
        deps.log.warn({ mailId: row.id, err: smtpFailure(err) }, 'mail not sent; will retry');
      }
    }
    return sent;
  });
}

/** What may be logged of a failed send: nodemailer's code (EENVELOPE), the SMTP status and the command refused. */
function smtpFailure(err: unknown): { code?: string; responseCode?: number; command?: string } {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  const text = (v: unknown) => (typeof v === 'string' && /^[A-Za-z_ ]{1,40}$/.test(v) ? v : undefined);
  return { code: text(e.code), responseCode: typeof e.responseCode === 'number' ? e.responseCode : undefined, command: text(e.command) };
}

/**
 * The unsubscribe button mail clients show (Gmail and Yahoo ask it of bulk senders): a POST to the
 * URL stops the mail at once, with no page to visit (RFC 8058).
 */
function unsubscribeHeaders(url: string | null) {
  if (!url) return {};
  return { list: { unsubscribe: url }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } };
}

/** The mail job: only where SMTP_URL is set; embedded mode keeps mail in the outbox for the dev page. */
export function startMailSender(deps: { db: Db; smtpUrl: string; from: string; log: FastifyBaseLogger }, pollMs = 5_000): PollLoop {
  const transport = nodemailer.createTransport(deps.smtpUrl);
  const loop = startPollLoop({
    name: 'mail sender',
    pollMs,
    log: deps.log,
    work: async () => ({ more: (await sendPendingMail({ ...deps, transport })) === sendBatchMax }),
  });
  return {
    wake: loop.wake,
    stop: async () => {
      await loop.stop();
      transport.close();
    },
  };
}
