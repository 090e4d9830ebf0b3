import { pipeline, Readable } from 'node:stream';
import { stringify, type Options } from 'csv-stringify';
import { formatMinorAsDecimalString } from '../ledger/money';
import type { DbOrTx } from '../../db/client';
import { donorsOf, type DonorRow } from './donor-list';

/**
 * A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is kept as text instead, by an
 * apostrophe before it. Not only at the value's start: Excel in French, German, Spanish, Russian
 * or Swedish splits a .csv's lines at ";" (their list separator) and takes a quote that does not
 * begin a cell as a plain character, so a cell also begins after each ";" and line break in it.
 */
const inertCell = (value: string) => value.replace(/(?<=^|[;\r\n])(?=[=+\-@\t\r])/g, "'");

const columns = ['date', 'name', 'email', 'anonymous', 'amount', 'fees_covered_by_donor', 'refunded', 'currency', 'frequency', 'status', 'dispute', 'wants_updates', 'message'];

/**
 * CSV that opens cleanly in a spreadsheet: UTF-8 with a byte-order mark (Excel needs it for
 * non-Latin names), CRLF line ends, amounts as plain decimals in major units.
 */
const spreadsheetCsv: Options = {
  bom: true,
  header: true,
  columns,
  record_delimiter: 'windows',
  // csv-stringify quotes only a field holding the record delimiter (CRLF); a spreadsheet ends a
  // row at a bare LF or CR too, so the rest of a message would start a row of its own, bare.
  quoted_match: /[\r\n]/,
  cast: { string: inertCell },
};

/**
 * A treasurer reconciles the list with Stripe: the charge is amount and fees_covered_by_donor
 * together, and refunded is what went back of that charge. The name is given as the organizers'
 * list on the page gives it, anonymous or not: the donor asked to be left off the public wall
 * ("Don't show my name on the donor wall"), not hidden from the appeal's organizers, who have
 * the address beside it anyway; the anonymous column says not to thank them in public. A gift
 * whose chargeback was lost stays 'disputed' with nothing refunded: the dispute column says "lost",
 * so the sheet does not count as raised money the card's bank took back.
 */
const record = (d: DonorRow) => [
  d.at,
  d.name ?? '',
  d.email ?? '',
  d.anonymous ? 'yes' : 'no',
  formatMinorAsDecimalString(BigInt(d.amountMinor), d.currency),
  formatMinorAsDecimalString(BigInt(d.coverFeesMinor), d.currency),
  formatMinorAsDecimalString(BigInt(d.refundedMinor), d.currency),
  d.currency,
  d.frequency,
  d.status,
  d.dispute ?? '',
  d.updatesOptIn ? 'yes' : 'no',
  d.message ?? '',
];

/** Every listed gift of the appeal, newest first, read a page at a time. */
async function* everyDonor(db: DbOrTx, appealId: string, pageSize: number) {
  let cursor: string | undefined;
  do {
    const page = await donorsOf(db, { appealId, limit: pageSize, cursor });
    for (const donor of page.donors) yield record(donor);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * The appeal's whole donor list as CSV, streamed: it used to stop at 100,000 gifts without saying
 * so, and held them all in memory to write them. A page written before a later one fails leaves
 * the download cut short (the connection is closed), never a complete-looking partial file.
 */
export function donorsCsvStream(db: DbOrTx, appealId: string, pageSize = 2_000): Readable {
  // pipeline, not pipe: a page that fails must end the CSV stream too, or the response would hang.
  return pipeline(Readable.from(everyDonor(db, appealId, pageSize)), stringify(spreadsheetCsv), () => {});
}
