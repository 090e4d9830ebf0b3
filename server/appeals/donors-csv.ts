import { stringify } from 'csv-stringify/sync';
import { formatMinorAsDecimalString } from '../ledger/money';
import type { DonorRow } from './donor-list';

// A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is kept as text instead.
const inertCell = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

/**
 * The donor list as CSV that opens cleanly in a spreadsheet: UTF-8 with a byte-order mark (Excel
 * needs it for non-Latin names), CRLF line ends, amounts as plain decimals in major units. A
 * treasurer reconciles it with Stripe: the charge is amount and fees_covered_by_donor together,
 * and refunded is what went back of that charge.
 */
export function donorsCsv(rows: DonorRow[]): string {
  const body = stringify(
    rows.map((d) => [
      d.at,
      d.anonymous ? '' : (d.name ?? ''),
      d.email ?? '',
      d.anonymous ? 'yes' : 'no',
      formatMinorAsDecimalString(BigInt(d.amountMinor), d.currency),
      formatMinorAsDecimalString(BigInt(d.coverFeesMinor), d.currency),
      formatMinorAsDecimalString(BigInt(d.refundedMinor), d.currency),
      d.currency,
      d.frequency,
      d.status,
      d.updatesOptIn ? 'yes' : 'no',
      d.message ?? '',
    ]),
    {
      header: true,
      columns: ['date', 'name', 'email', 'anonymous', 'amount', 'fees_covered_by_donor', 'refunded', 'currency', 'frequency', 'status', 'wants_updates', 'message'],
      record_delimiter: 'windows',
      // csv-stringify quotes only a field holding the record delimiter (CRLF); a spreadsheet ends a
      // row at a bare LF or CR too, so the rest of a message would start a row of its own, bare.
      quoted_match: /[\r\n]/,
      cast: { string: inertCell },
    },
  );
  return `\uFEFF${body}`;
}
