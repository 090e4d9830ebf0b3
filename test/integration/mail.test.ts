import { isNull } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxEmails } from '../../db/schema/index';
import { buildApp } from '../../server/app';
import { sendPendingMail } from '../../server/mail/sender';
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
