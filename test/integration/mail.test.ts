import { eq, isNull } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxEmails } from '../../db/schema/index';
import { buildApp } from '../../server/app';
import { sendPendingMail } from '../../server/mail/sender';
import { emptySentMail } from '../../server/mail/retention';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { testConfig } from '../helpers/config';

let testDb: TestDatabase;
let smtp: SMTPServer;
let smtpPort: number;
const received: { to: string[]; data: string }[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await testDb.drop();
});

describe('outbox mail', () => {
  // Receipts leave by SMTP exactly once, even when the sender runs again.
  it('sends pending outbox mail by SMTP once', async () => {
    await testDb.database.db.insert(outboxEmails).values([
      { dedupeKey: 'receipt:a', toAddress: 'ana@example.org', subject: 'Thank you for your gift of $25.00', textBody: 'Dear Ana', kind: 'receipt' },
      { dedupeKey: 'receipt:b', toAddress: 'kenji@example.jp', subject: 'Thank you for your gift of ¥3,000', textBody: 'Dear Kenji', kind: 'receipt' },
    ]);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const deps = { db: testDb.database.db, transport, from: 'union <no-reply@example.org>', log: pino({ level: 'silent' }) };
    expect(await sendPendingMail(deps)).toBe(2);
    expect(await sendPendingMail(deps)).toBe(0);
    expect(received.map((r) => r.to[0]).sort()).toEqual(['ana@example.org', 'kenji@example.jp']);
    expect(received.find((r) => r.to[0] === 'ana@example.org')!.data).toContain('Dear Ana');
    expect(await testDb.database.db.select().from(outboxEmails).where(isNull(outboxEmails.sentAt))).toEqual([]);
  });

  // A refused recipient's SMTP answer quotes the address (Postfix: "550 5.1.1 <x@y>: Recipient address
  // rejected"), and the error's message carries that answer: the log says why, never to whom.
  it('logs a mail the server refuses without its address, and keeps it to try again', async () => {
    const refusing = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, callback) {
        callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown in virtual mailbox table`), { responseCode: 550 }));
      },
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const lines: string[] = [];
      const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
      await testDb.database.db.insert(outboxEmails).values({ dedupeKey: 'receipt:refused', toAddress: 'gone.member@example.org', subject: 'Thank you', textBody: 'Dear member', kind: 'receipt' });
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: (refusing.server.address() as { port: number }).port, secure: false, ignoreTLS: true });
      expect(await sendPendingMail({ db: testDb.database.db, transport, from: 'union <no-reply@example.org>', log })).toBe(0);
      expect(lines.join('\n')).toContain('mail not sent; will retry');
      expect(lines.join('\n')).toContain('550');
      expect(lines.join('\n')).not.toContain('gone.member');
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
      await testDb.database.db.delete(outboxEmails).where(isNull(outboxEmails.sentAt));
    }
  });

  // Mail clients show their own unsubscribe button for update mail, and it works in one click (RFC 8058).
  it('sends a stop link as List-Unsubscribe with one-click, and none on a receipt', async () => {
    const stop = 'https://give.example.org/api/appeal-updates/stop?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    await testDb.database.db.insert(outboxEmails).values([
      { dedupeKey: 'update:u1:rosa@example.org', toAddress: 'rosa@example.org', subject: 'Buck-a-Brick: Halfway there', textBody: 'The walls are up.', kind: 'appeal_update', listUnsubscribeUrl: stop },
      { dedupeKey: 'receipt:c', toAddress: 'oran@example.dz', subject: 'Merci', textBody: 'Merci', kind: 'receipt' },
    ]);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    received.length = 0;
    expect(await sendPendingMail({ db: testDb.database.db, transport, from: 'union <no-reply@example.org>', log: pino({ level: 'silent' }) })).toBe(2);
    // The header section, with long headers unfolded (RFC 5322 folds them onto indented lines).
    const headersOf = (to: string) => received.find((r) => r.to[0] === to)!.data.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
    const update = headersOf('rosa@example.org');
    expect(update.split(/\r?\n/)).toEqual(expect.arrayContaining([`List-Unsubscribe: <${stop}>`, 'List-Unsubscribe-Post: List-Unsubscribe=One-Click']));
    expect(headersOf('oran@example.dz')).not.toMatch(/^List-Unsubscribe/m);
  });

  // The sign-in token is kept only as a hash, so that whoever reads the database (a backup, a
  // replica) cannot sign in as anyone; but the mail itself kept the link whole for MAIL_KEEP_DAYS,
  // and a link not yet followed signed its reader in as, say, a treasurer. Once sent, its text goes.
  it('keeps no working sign-in link in the outbox once the mail is sent', async () => {
    const app = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
    try {
      const asked = await app.inject({ method: 'POST', url: '/api/auth/sign-in/magic-link', payload: { email: 'treasurer.link@example.org', callbackURL: '/' } });
      expect(asked.statusCode).toBe(200);
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
      received.length = 0;
      expect(await sendPendingMail({ db: testDb.database.db, transport, from: 'union <no-reply@example.org>', log: pino({ level: 'silent' }) })).toBe(1);
      // The person got the link...
      const token = received[0]!.data.replace(/=\r?\n/g, '').match(/token=3D([A-Za-z0-9_-]+)|token=([A-Za-z0-9_-]+)/)!.slice(1).find(Boolean)!;
      expect(token.length).toBeGreaterThan(20);
      // ...and the outbox no longer holds it, while saying to whom and what was sent.
      const [row] = await testDb.database.db.select().from(outboxEmails).where(eq(outboxEmails.toAddress, 'treasurer.link@example.org'));
      expect(row!.textBody).not.toContain(token);
      expect(row).toMatchObject({ kind: 'sign_in', toAddress: 'treasurer.link@example.org', sentAt: expect.any(Date) });
    } finally {
      await app.close();
    }
  });

  // Sent mail keeps personal data and working links only as long as MAIL_KEEP_DAYS says.
  it('empties sent mail after the days it is kept, and still never sends it twice', async () => {
    const db = testDb.database.db;
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
    await db.insert(outboxEmails).values([
      { dedupeKey: 'receipt:old', toAddress: 'old@example.org', subject: 'Thank you', textBody: 'Dear Old', kind: 'receipt', sentAt: daysAgo(31) },
      { dedupeKey: 'update:old', toAddress: 'old@example.org', subject: 'News', textBody: 'Stop: https://x', kind: 'appeal_update', listUnsubscribeUrl: 'https://x/stop', sentAt: daysAgo(40) },
      { dedupeKey: 'receipt:recent', toAddress: 'recent@example.org', subject: 'Thank you', textBody: 'Dear Recent', kind: 'receipt', sentAt: daysAgo(29) },
      { dedupeKey: 'receipt:unsent', toAddress: 'unsent@example.org', subject: 'Thank you', textBody: 'Dear Unsent', kind: 'receipt', createdAt: daysAgo(60) },
    ]);
    expect(await emptySentMail(db, 30)).toBe(2);
    expect(await emptySentMail(db, 30)).toBe(0);
    const rows = new Map((await db.select().from(outboxEmails)).map((r) => [r.dedupeKey, r]));
    for (const key of ['receipt:old', 'update:old']) expect(rows.get(key)).toMatchObject({ toAddress: '', subject: '', textBody: '', listUnsubscribeUrl: null });
    expect(rows.get('receipt:recent')).toMatchObject({ toAddress: 'recent@example.org', textBody: 'Dear Recent' });
    expect(rows.get('receipt:unsent')).toMatchObject({ toAddress: 'unsent@example.org', sentAt: null });
    // The same mail written again finds its key taken: nothing new to send.
    await db.insert(outboxEmails).values({ dedupeKey: 'receipt:old', toAddress: 'old@example.org', subject: 'Thank you', textBody: 'Dear Old', kind: 'receipt' }).onConflictDoNothing();
    expect(await db.select().from(outboxEmails).where(isNull(outboxEmails.sentAt))).toHaveLength(1);
  });

  // In the embedded demo the mail is readable on the dev page instead; never in production.
  it('shows the outbox on the dev mail route only in embedded mode', async () => {
    const demo = await buildApp({ config: testConfig(), database: testDb.database });
    const prod = await buildApp({ config: testConfig({ DATABASE_URL: testDb.url }), database: testDb.database });
    try {
      const res = await demo.inject('/api/dev/mail');
      expect(res.json().mail.map((m: { subject: string }) => m.subject)).toContain('Thank you for your gift of ¥3,000');
      expect((await prod.inject('/api/dev/mail')).statusCode).toBe(404);
    } finally {
      await demo.close();
      await prod.close();
    }
  });
});
