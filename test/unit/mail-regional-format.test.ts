import { describe, expect, it } from 'vitest';
import { mailFormatOf } from '../../server/mail/catalog';
import { receiptEmail } from '../../server/payments/donations-store';
import { monthlyEndEmail } from '../../server/payments/monthly-end-mail';
import { renewalFailedEmail } from '../../server/payments/renewal-failed-mail';
import { donationRequestSchema } from '../../server/payments/schemas';

// A member in Mexico City gave to Buck-a-Brick from a page that wrote $200,000.00; her receipt said
// "200.000,00 MXN", Spain's way, which in Mexico reads as two hundred. A mail writes numbers and
// dates as the donor's page did when she gave, in her language's words.
const visible = (text: string) => text.replace(/\p{Cf}/gu, '').replace(/\s/g, ' ');
const paidAt = new Date('2026-12-05T22:40:00Z');
const gift = (locale: string, formatLocale: string | null) => ({ id: 'a1b2', donorEmail: 'ana@example.mx', donorName: 'Ana', locale, formatLocale, timeZone: 'America/Mexico_City', chargeId: 'ch_1', invoiceId: 'in_1' });

describe('the locale a mail formats in', () => {
  it.each([
    ['es', 'es-MX', 'es-MX'],
    ['ar', 'ar-DZ', 'ar-DZ'],
    ['fr', 'fr-CA', 'fr-CA'],
    ['de', 'de-CH', 'de-CH'],
    // Given before the region was kept, or from a page with none: the language's own, as before.
    ['es', null, 'es'],
    // Stored text is checked again as it is read: another language's region, a tag not as Intl
    // writes it, a numbering system, or no tag at all is never used.
    ['es', 'en-US', 'es'],
    ['es', 'es-mx', 'es'],
    ['es', 'es-MX-u-nu-arab', 'es'],
    ['es', '__proto__', 'es'],
    ['xx', 'xx-YY', 'en'],
  ])('%s given from a page in %s: %s', (locale, formatLocale, expected) => {
    expect(mailFormatOf({ locale, formatLocale })).toBe(expected);
  });
});

describe("a donor's mails in her region", () => {
  it('a receipt from an es-MX page writes Mexico’s $200,000.00 in Spanish; one without a region keeps Spain’s', () => {
    const mx = receiptEmail(gift('es', 'es-MX'), 20_000_000n, 'MXN', 'Buck-a-Brick', paidAt)!;
    expect(visible(mx.subject)).toBe('Gracias por su donación de $200,000.00');
    expect(mx.textBody).toContain('Fecha: 5 de diciembre de 2026');
    expect(visible(receiptEmail(gift('es', null), 20_000_000n, 'MXN', 'Buck-a-Brick', paidAt)!.subject)).toBe('Gracias por su donación de 200.000,00 MXN');
  });
  it('Algeria’s digits in Arabic, still one right-to-left amount; Switzerland’s in German; Quebec’s in French', () => {
    const dz = receiptEmail(gift('ar', 'ar-DZ'), 150_000n, 'DZD', 'Oran', paidAt)!.subject;
    expect(visible(dz)).toBe('شكرًا على تبرّعك بمبلغ 1.500,00 د.ج.');
    expect(dz).toContain('\u2067');
    expect(visible(receiptEmail(gift('de', 'de-CH'), 150_000n, 'CHF', 'Bern', paidAt)!.subject)).toContain("CHF 1'500.00");
    expect(visible(receiptEmail(gift('fr', 'fr-CA'), 150_000n, 'CAD', 'Montréal', paidAt)!.subject)).toMatch(/ 1 500,00 \$$/);
  });
  it('monthly mails too: a failed renewal, its next try on her calendar, and the gift’s end', () => {
    const failure = { invoiceId: 'in_2', amountMinor: 20_000_000n, currency: 'MXN', appealTitle: 'Buck-a-Brick', nextAttemptAt: paidAt, accountUrl: 'https://example.org/account' };
    const failed = renewalFailedEmail(gift('es', 'es-MX'), failure)!;
    expect(failed.subject).toContain('$200,000.00');
    expect(failed.textBody).toContain('5 de diciembre de 2026');
    const ended = monthlyEndEmail('monthly_canceled', { ...gift('es', 'es-MX'), amountMinor: 20_000_000n, coverFeesMinor: 0n, renewalAmountMinor: null, renewalCoverFeesMinor: null, currency: 'MXN' }, { title: 'Buck-a-Brick', url: 'https://example.org/appeals/buck-a-brick' })!;
    expect(ended.subject).toContain('$200,000.00');
  });
});

describe('the donation request’s formatLocale', () => {
  const request = { amountMinor: '150000', donorEmail: 'ana@example.mx', locale: 'es', idempotencyKey: 'key-12345678' };
  it('takes a region of the gift’s language as Intl writes it, or the language itself', () => {
    expect(donationRequestSchema.parse({ ...request, formatLocale: 'es-MX' }).formatLocale).toBe('es-MX');
    expect(donationRequestSchema.parse({ ...request, formatLocale: 'es' }).formatLocale).toBe('es');
  });
  it.each(['en-US', 'es-mx', 'es-MX-u-nu-arab', 'not a tag', 'x'.repeat(65)])('refuses %s, naming the field', (formatLocale) => {
    const parsed = donationRequestSchema.safeParse({ ...request, formatLocale });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toEqual(['formatLocale']);
  });
});
