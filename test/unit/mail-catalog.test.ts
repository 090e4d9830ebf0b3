import { readFileSync } from 'node:fs';
import { IntlMessageFormat } from 'intl-messageformat';
import { describe, expect, it } from 'vitest';
import { mailAmount, mailDate, mailDeadline, mailText } from '../../server/mail/catalog';
import { receiptEmail, type ReceiptMonthly } from '../../server/payments/donations-store';
import { renewalFailedEmail } from '../../server/payments/renewal-failed-mail';
import { monthlyAmountEmail } from '../../server/donors/monthly-amount-mail';
import { supportedLocales } from '../../web/src/lib/locale';

// Receipts are written inside the poster's batch transaction: a message that does not compile (a
// stray ' or { in a translation) would fail whole batches of gifts. Every language has every
// message, each compiles, and each takes exactly the values the English one takes.
const catalog = (locale: string) => JSON.parse(readFileSync(new URL(`../../server/mail/messages/${locale}.json`, import.meta.url), 'utf8')) as Record<string, string>;
/** An ICU message element as intl-messageformat parses it (types: 1 argument, 2 number, 3 date, 4 time, 5 select, 6 plural, 8 tag). */
interface Element {
  type: number;
  value?: string;
  options?: Record<string, { value: Element[] }>;
  children?: Element[];
}

/** An argument of a message: counted (plural, number), chosen among options (select), or text. */
interface Argument {
  kind: 'counted' | 'chosen' | 'text';
  /** A select's or plural's option keys. */
  options: Set<string>;
}

function argumentsOf(message: string): Map<string, Argument> {
  const found = new Map<string, Argument>();
  const walk = (elements: Element[]) => {
    for (const e of elements) {
      if ([1, 2, 3, 4, 5, 6].includes(e.type) && e.value) {
        const kind = e.type === 2 || e.type === 6 ? 'counted' : e.type === 5 ? 'chosen' : 'text';
        const known = found.get(e.value);
        const options = new Set([...(known?.options ?? []), ...Object.keys(e.options ?? {})]);
        found.set(e.value, { kind: known && known.kind !== 'text' ? known.kind : kind, options });
      }
      for (const option of Object.values(e.options ?? {})) walk(option.value);
      if (e.children) walk(e.children);
    }
  };
  walk(new IntlMessageFormat(message, 'en').getAst() as unknown as Element[]);
  return found;
}

/** The plural categories a language uses for whole counts up to 200 (Arabic: zero, one, two, few, many, other). */
const pluralCategories = (locale: string) => new Set(Array.from({ length: 201 }, (_, n) => new Intl.PluralRules(locale).select(n)));

describe('the mail catalog', () => {
  const en = catalog('en');
  it.each(supportedLocales.map((l) => [l]))('%s has every message, compiling, with the English placeholders', (locale) => {
    const messages = catalog(locale);
    expect(Object.keys(messages).sort()).toEqual(Object.keys(en).sort());
    for (const [key, message] of Object.entries(messages)) {
      // A message copied from English while its translation is pending reads as English to the donor.
      if (locale !== 'en') expect(message, `${locale} ${key}: not translated`).not.toBe(en[key]);
      const args = argumentsOf(message);
      const english = argumentsOf(en[key]!);
      expect([...args.keys()].sort(), `${locale} ${key}`).toEqual([...english.keys()].sort());
      // A counted value is a number (7 days); any other is text that must show in the result.
      const values = Object.fromEntries([...args].map(([name, a]) => [name, a.kind === 'counted' ? 7 : `<${name}>`]));
      const text = String(new IntlMessageFormat(message, locale).format(values));
      for (const [name, a] of args) expect(text, `${locale} ${key}`).toContain(a.kind === 'counted' ? '7' : `<${name}>`);
      expect(text, `${locale} ${key}: an ASCII apostrophe is ICU's escape`).not.toMatch(/'/);
      for (const [name, a] of args) {
        // Each choice the English one words (every role), worded here too: else it falls to `other`.
        if (a.kind === 'chosen') {
          expect([...a.options].sort(), `${locale} ${key} ${name}`).toEqual([...english.get(name)!.options].sort());
          for (const option of a.options) String(new IntlMessageFormat(message, locale).format({ ...values, [name]: option }));
        }
        // Each form the language gives a count has its wording (Arabic's few and many, Russian's few).
        if (a.kind === 'counted' && a.options.size > 0) {
          for (const category of pluralCategories(locale)) expect(a.options, `${locale} ${key} ${name} ${category}`).toContain(category);
        }
      }
    }
  });
});

// 22:40 UTC on the 5th is 07:40 on the 6th in Osaka: a donor's mail names her day, not the server's.
describe("dates in a donor's mail", () => {
  const at = new Date('2026-12-05T22:40:00Z');
  // UTC's day named: a donor in Tokyo reading a bare "12月5日" would take it for her own 5th.
  it('are on the calendar of the zone the donor gave in, UTC named when none was said', () => {
    expect(mailDate('ja', at, 'Asia/Tokyo')).toBe('2026年12月6日');
    expect(mailDate('ja', at)).toBe('2026年12月5日（UTC）');
    // West of UTC, a day behind: 03:00 UTC on the 6th is still the 5th in Detroit.
    expect(mailDate('en', new Date('2026-12-06T03:00:00Z'), 'America/Detroit')).toBe('December 5, 2026');
    expect(mailDate('en', new Date('2026-12-06T03:00:00Z'))).toBe('December 6, 2026 (UTC)');
    expect(supportedLocales.map((locale) => mailDate(locale, at))).toEqual([
      'December 5, 2026 (UTC)',
      '5 décembre 2026 (heure UTC)',
      '5. Dezember 2026 (Zeitzone UTC)',
      '5 de diciembre de 2026 (hora UTC)',
      '2026年12月5日（UTC）',
      '5 december 2026 (tidszon UTC)',
      '\u20685 ديسمبر 2026 (بتوقيت \u2068UTC\u2069)\u2069',
      '5 декабря 2026 г. (по UTC)',
    ]);
  });
  it('fall back to UTC, named, for a stored zone this runtime does not know, instead of failing the receipt', () => {
    expect(mailDate('ja', at, 'Mars/Olympus_Mons')).toBe('2026年12月5日（UTC）');
  });
  it('in Arabic, are isolated from the sentence, once', () => {
    expect(mailDate('ar', at)).toBe('\u20685 ديسمبر 2026 (بتوقيت \u2068UTC\u2069)\u2069');
    expect(mailDate('ar-DZ', at, 'Africa/Algiers')).toBe('\u20685 ديسمبر 2026\u2069');
    expect(mailDeadline('ar', at)).toBe('\u20685 ديسمبر 2026 في 10:40 م UTC\u2069');
    const gift = { id: 'a1b2', donorEmail: 'amina@example.dz', donorName: null, locale: 'ar', formatLocale: null, timeZone: 'Africa/Algiers' };
    const failure = { invoiceId: 'in_1', amountMinor: 3000n, currency: 'JPY', appealTitle: 'Oran', nextAttemptAt: at, accountUrl: 'https://example.org/account' };
    expect(renewalFailedEmail(gift, failure)!.textBody).toContain('مرة أخرى في \u20685 ديسمبر 2026\u2069. ');
    // A language written left to right gets the date as it was.
    expect(mailDeadline('ja', at)).toBe('2026年12月5日 22:40 UTC');
  });
  // A Russian date ends in "г.": the sentence's own full stop is then that one, and after "(по UTC)"
  // it is still there. The sentence naming the next payment of a changed amount had none at all.
  it('in Russian and Japanese, read as the language writes a date, each sentence ending once', () => {
    const gift = { id: 'a1b2', donorEmail: 'olga@example.org', donorName: null, locale: 'ru', formatLocale: null, timeZone: 'Asia/Tokyo' as string | null, currency: 'JPY' };
    const change = { previousMinor: 2000n, amountMinor: 3000n, nextChargeAt: at, endsWithAppealOn: null, appealTitle: 'Osaka', accountUrl: 'https://example.org/account', requestKey: 'k' };
    const next = (g: typeof gift) => monthlyAmountEmail(g, change)!.textBody.split('\n').find((line) => line.startsWith(g.locale === 'ru' ? 'Новая сумма' : '新しい金額'));
    expect(next(gift)).toBe('Новая сумма будет списываться начиная со следующего платежа — 6 декабря 2026 г.');
    expect(next({ ...gift, timeZone: null })).toBe('Новая сумма будет списываться начиная со следующего платежа — 5 декабря 2026 г. (по UTC).');
    expect(next({ ...gift, locale: 'ja' })).toBe('新しい金額は、次回2026年12月6日のお支払いから引き落とされます。');
    expect(mailDate('ru-RU', at, 'Asia/Tokyo')).toBe('6 декабря 2026 г.');
  });
  it("say when Stripe tries a failed renewal again on the donor's day", () => {
    const gift = { id: 'a1b2', donorEmail: 'kenji@example.jp', donorName: 'Kenji', locale: 'en', formatLocale: null, timeZone: 'Asia/Tokyo' };
    const failure = { invoiceId: 'in_1', amountMinor: 3000n, currency: 'JPY', appealTitle: 'Osaka', nextAttemptAt: at, accountUrl: 'https://example.org/account' };
    expect(renewalFailedEmail(gift, failure)!.textBody).toContain('will try again on December 6, 2026.');
    expect(renewalFailedEmail({ ...gift, timeZone: null }, failure)!.textBody).toContain('will try again on December 5, 2026 (UTC).');
  });
  // Stripe tries a declined renewal a few more times and, after its last try, may end the gift: a donor
  // who hears only "we will try again" learns the gift is at stake when it has already ended.
  it.each(supportedLocales.map((l) => [l]))('%s: say, while Stripe still tries, that the gift may end if every try fails', (locale) => {
    const gift = { id: 'a1b2', donorEmail: 'kenji@example.jp', donorName: 'Kenji', locale, formatLocale: null, timeZone: 'Asia/Tokyo' };
    const failure = { invoiceId: 'in_1', amountMinor: 3000n, currency: 'JPY', appealTitle: 'Osaka', nextAttemptAt: at, accountUrl: 'https://example.org/account' };
    const paragraphs = (l: string, next: Date | null) => renewalFailedEmail({ ...gift, locale: l }, { ...failure, nextAttemptAt: next })!.textBody.split('\n\n');
    const added = paragraphs(locale, at).filter((p) => !paragraphs(locale, null).includes(p) && !p.includes('https://'));
    expect(added).toHaveLength(1);
    // "May end": whether it ends, is put on hold or goes on is the account's Stripe setting.
    if (locale === 'en') expect(added[0]).toBe('If the card is declined each time, Stripe stops trying and this payment is not taken, and your monthly gift may end; we write to tell you what becomes of it.');
    else expect(added[0]).not.toBe(paragraphs('en', at).find((p) => p.startsWith('If the card')));
  });
  // A Russian date ends in "г.", the year's abbreviation: a sentence that went on after it needs no
  // second full stop, nor one lost behind the zone that follows a UTC date.
  it('do not end a Russian sentence with a second full stop', () => {
    const gift = { id: 'a1b2', donorEmail: 'olga@example.org', donorName: 'Ольга', locale: 'ru', formatLocale: null, timeZone: 'Europe/Moscow' };
    const failure = { invoiceId: 'in_1', amountMinor: 3000n, currency: 'JPY', appealTitle: 'Osaka', nextAttemptAt: at, accountUrl: 'https://example.org/account' };
    const body = renewalFailedEmail(gift, failure)!.textBody;
    expect(body).toContain('повторит попытку 6 декабря 2026 г.; чтобы');
    expect(body).not.toContain('г..');
    expect(renewalFailedEmail({ ...gift, timeZone: null }, failure)!.textBody).toContain('повторит попытку 5 декабря 2026 г. (по UTC); чтобы');
  });
});

// A monthly donor reads on every receipt that the gift repeats and where to end it; a one-off's
// receipt has no such paragraph.
describe("a monthly gift's receipt", () => {
  const paidAt = new Date('2026-12-05T10:00:00Z');
  const added = (locale: string) => {
    const donation = { id: 'a1b2', donorEmail: 'kenji@example.jp', donorName: 'Kenji', locale, formatLocale: null, timeZone: null, chargeId: 'ch_1', invoiceId: 'in_1' };
    const oneOff = receiptEmail(donation, 3000n, 'JPY', 'Osaka', paidAt)!.textBody.split('\n\n');
    const monthly = receiptEmail(donation, 3000n, 'JPY', 'Osaka', paidAt, { accountUrl: 'https://give.example.org/account', nextChargeAt: null, appealCloses: null, firstPayment: true })!.textBody.split('\n\n');
    // Its first line (after the greeting) is its own too: checked below.
    return monthly.filter((p, i) => i !== 1 && !oneOff.includes(p));
  };
  it.each(supportedLocales.map((l) => [l]))('%s: one more paragraph, ending in the giving page', (locale) => {
    const paragraph = added(locale);
    expect(paragraph).toHaveLength(1);
    expect(paragraph[0]).toMatch(/[:：] ?https:\/\/give\.example\.org\/account$/);
    if (locale !== 'en') expect(paragraph[0]).not.toBe(added('en')[0]);
  });
  // The subject, what the inbox shows, says the gift is monthly: a donor who meant to give once
  // sees it from the list of mails, not only from a paragraph inside one.
  const subjects = (locale: string) => {
    const donation = { id: 'a1b2', donorEmail: 'kenji@example.jp', donorName: 'Kenji', locale, formatLocale: null, timeZone: null, chargeId: 'ch_1', invoiceId: 'in_1' };
    const monthly = { accountUrl: 'https://give.example.org/account', nextChargeAt: null, appealCloses: null, firstPayment: true };
    return { oneOff: receiptEmail(donation, 3000n, 'JPY', 'Osaka', paidAt)!.subject, monthly: receiptEmail(donation, 3000n, 'JPY', 'Osaka', paidAt, monthly)!.subject };
  };
  it.each(supportedLocales.map((l) => [l]))('%s: the subject says the gift is monthly', (locale) => {
    const { oneOff, monthly } = subjects(locale);
    expect(monthly).not.toBe(oneOff);
    expect(monthly).toContain(mailAmount(locale, 3000n, 'JPY'));
    if (locale !== 'en') expect(monthly).not.toBe(subjects('en').monthly);
  });
  it('in English and Japanese, the monthly subject reads so', () => {
    expect(subjects('en')).toEqual({ oneOff: 'Thank you for your gift of ¥3,000', monthly: 'Thank you for your monthly gift of ¥3,000' });
    expect(subjects('ja').monthly).toBe('毎月￥3,000のご寄付ありがとうございます');
  });
  // Its first line says which payment of a monthly gift this is, the first or a later one, not
  // the words of a one-off gift's receipt: a donor reading it knows it is not a second gift.
  const firstLines = (locale: string) => {
    const donation = { id: 'a1b2', donorEmail: 'kenji@example.jp', donorName: 'Kenji', locale, formatLocale: null, timeZone: null, chargeId: 'ch_1', invoiceId: 'in_1' };
    const line = (monthly: ReceiptMonthly | null) => receiptEmail(donation, 3000n, 'JPY', 'Osaka', paidAt, monthly)!.textBody.split('\n\n')[1]!;
    const monthly = { accountUrl: 'https://give.example.org/account', nextChargeAt: null, appealCloses: null };
    return { oneOff: line(null), first: line({ ...monthly, firstPayment: true }), next: line({ ...monthly, firstPayment: false }) };
  };
  it.each(supportedLocales.map((l) => [l]))('%s: the first line says it is the first or a later payment of a monthly gift', (locale) => {
    const { oneOff, first, next } = firstLines(locale);
    expect(new Set([oneOff, first, next]).size).toBe(3);
    for (const line of [first, next]) {
      expect(line).toContain(mailAmount(locale, 3000n, 'JPY'));
      expect(line).toContain('Osaka');
    }
    if (locale !== 'en') expect([first, next]).not.toEqual([firstLines('en').first, firstLines('en').next]);
  });
  it('in English and Japanese, the first line reads so', () => {
    expect(firstLines('en')).toEqual({
      oneOff: 'thank you for giving ¥3,000 to “Osaka”.',
      first: 'thank you for giving ¥3,000 to “Osaka”. This is the first payment of your monthly gift.',
      next: 'thank you for giving ¥3,000 to “Osaka”. This is another payment of your monthly gift.',
    });
    expect(firstLines('ja').first).toBe('募金「Osaka」への毎月のご寄付の初回分として、￥3,000を確かに受領いたしました。誠にありがとうございます。');
    expect(firstLines('ja').next).toBe('募金「Osaka」への毎月のご寄付の今回分として、￥3,000を確かに受領いたしました。継続してのご支援、誠にありがとうございます。');
  });
  it('in English, says it repeats every month and can be ended any time', () => {
    expect(added('en')[0]).toBe('This gift repeats every month until you end it. You can end it at any time on the “My giving” page, signing in with this email address: https://give.example.org/account');
  });
  // In an Arabic mail a date is set in a right-to-left sentence: each is one isolated piece (FSI…PDI),
  // and a zone's name inside it another, so "UTC" and the digits keep their order. The Arabic words
  // around them are as the catalog writes them.
  it('in Arabic, isolates the dates and the zone named in the sentence', () => {
    const donation = { id: 'a1b2', donorEmail: 'amina@example.dz', donorName: null, locale: 'ar', formatLocale: null, timeZone: null as string | null, chargeId: 'ch_1', invoiceId: 'in_1' };
    const nextChargeAt = new Date('2027-01-05T22:40:00Z');
    const block = (d: typeof donation) => receiptEmail(d, 3000n, 'JPY', 'Osaka', paidAt, { accountUrl: 'https://give.example.org/account', nextChargeAt, appealCloses: null, firstPayment: false })!.textBody.split('\n\n').find((p) => p.startsWith('مرجع التبرع'));
    expect(block(donation)).toBe('مرجع التبرع: a1b2\nالتاريخ: \u20685 ديسمبر 2026 (بتوقيت \u2068UTC\u2069)\u2069\nالدفعة التالية: \u20685 يناير 2027 (بتوقيت \u2068UTC\u2069)\u2069');
    expect(block({ ...donation, timeZone: 'Africa/Algiers' })).toBe('مرجع التبرع: a1b2\nالتاريخ: \u20685 ديسمبر 2026\u2069\nالدفعة التالية: \u20685 يناير 2027\u2069');
  });
  // Under its date, the day of the next charge, on the same calendar; none when it is not known.
  it('names the next charge under the date, in the donor’s zone, or UTC named', () => {
    const donation = { id: 'a1b2', donorEmail: 'kenji@example.jp', donorName: 'Kenji', locale: 'ja', formatLocale: null, timeZone: 'Asia/Tokyo' as string | null, chargeId: 'ch_1', invoiceId: 'in_1' };
    const nextChargeAt = new Date('2027-01-05T22:40:00Z');
    const block = (d: typeof donation, next: Date | null) => receiptEmail(d, 3000n, 'JPY', 'Osaka', paidAt, { accountUrl: 'https://give.example.org/account', nextChargeAt: next, appealCloses: null, firstPayment: false })!.textBody.split('\n\n')[3];
    expect(block(donation, nextChargeAt)).toBe('寄付番号：a1b2\n日付：2026年12月5日\n次回の請求日：2027年1月6日');
    expect(block({ ...donation, locale: 'en', timeZone: null }, nextChargeAt)).toBe('Gift reference: a1b2\nDate: December 5, 2026 (UTC)\nNext charge: January 5, 2027 (UTC)');
    expect(block(donation, null)).toBe('寄付番号：a1b2\n日付：2026年12月5日');
  });
});

// Arabic writes the dinar and the dirham with their own dot ("د.ج."): a sentence that goes on after
// such an amount read "… 1.500,00 د.ج.. …" in the dispute, inquiry and ended-gift mails.
describe('an amount ending in its own dot, inside a mail sentence', () => {
  const visible = (text: string) => text.replace(/\p{Cf}/gu, '');
  for (const key of ['dispute_body', 'inquiry_body', 'appeal_closed_ended_under_way_body'] as const) {
    it(`ends the sentence on one full stop in Arabic (${key})`, () => {
      const text = mailText('ar', key, { amount: mailAmount('ar', 150_000n, 'DZD'), appeal: 'Buck-a-Brick', due: '5 December 2026', url: 'https://example.org/a' });
      expect(visible(text)).toContain('د.ج.');
      expect(visible(text)).not.toMatch(/[^.]\.\.(?!\.)/);
    });
  }

  it('leaves an ellipsis and an ordinary full stop as they are', () => {
    const text = mailText('en', 'dispute_body', { amount: mailAmount('en', 150_000n, 'USD'), appeal: 'Wait...', due: '5 December 2026' });
    expect(text).toContain('Wait...');
    expect(text).toContain('$1,500.00');
  });
});
