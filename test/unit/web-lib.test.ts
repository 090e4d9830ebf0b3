import { parseSetCookie, sessionCookieHeader } from '../../web/src/lib/server/cookies';
import { slugFrom } from '../../web/src/lib/slug';
import { describe, expect, it } from 'vitest';
import { parseUnits, suggestedAmountsMinor, tooManyUnits } from '../../web/src/lib/amounts';
import { coverFeeRule } from '../../web/src/lib/cover-fees';
import { coverFeesMinor } from '../../server/payments/charge-limits';
import { APPEAL_CURRENCIES, parseAmount, stripeMinimumChargeMinor, stripeStepMinor } from '../../server/ledger/money';
import { chargeFee, resolveFees } from '../../server/stripe-emulator/fees';
import { unitFor } from '../../web/src/lib/appeal-text';
import { m } from '../../web/src/lib/paraglide/messages';
import { shownUnitName, unitWords } from '../../web/src/lib/unit-words';
import { maxDrawnBricks, planWall } from '../../web/src/lib/bricks';
import { amountExample, formatDay, formatMinor, formatMinorPlain, timeLeft, unitPriceExample, zoneName } from '../../web/src/lib/format';
import { dateTimeFormat, numberFormat } from '../../web/src/lib/intl-cache';
import { donorDateZone, isTimeZone, readTimeZoneFrom } from '../../web/src/lib/time-zone';
import { formText, formTextShown, typedEmail } from '../../web/src/lib/server/form-text';
import { readProgressEvent } from '../../web/src/lib/live-progress';
import { chooseLocale, pickLocale } from '../../web/src/lib/locale';
import { formatDate, formatDateTime, receiptNote } from '../../web/src/lib/labels';
import { apiSend, refusedStatus, safeReturnPath, signInPath } from '../../web/src/lib/server/api';

describe('web helpers', () => {
  // What a browser posts, read as people typed it: CRLF breaks as the API counts them, full-width addresses.
  it('reads form text with LF breaks, and a full-width address as the address', () => {
    const form = new FormData();
    form.set('message', ' one\r\ntwo\rthree ');
    form.set('email', ' ｈａｎａｋｏ＠example.jp ');
    expect(formText(form, 'message')).toBe('one\ntwo\nthree');
    expect(typedEmail(form)).toBe('hanako@example.jp');
    // A field of bidi marks and zero-width spaces looks empty to whoever filled it: it is read so.
    form.set('name', '\u200f\u200b\u2067 ');
    form.set('other', '\u200fسارة');
    expect([formTextShown(form, 'name'), formTextShown(form, 'other')]).toEqual(['', '\u200fسارة']);
  });

  // Formatters are built once (a receipt per gift in the poster): each locale and options its own.
  it('keeps one formatter per locale and options, and never hands out another one\'s', () => {
    expect(numberFormat('de', { style: 'currency', currency: 'EUR' })).toBe(numberFormat('de', { style: 'currency', currency: 'EUR' }));
    expect(numberFormat('de', { style: 'currency', currency: 'EUR' })).not.toBe(numberFormat('de', { style: 'currency', currency: 'USD' }));
    expect(dateTimeFormat('ja', { timeZone: 'Asia/Tokyo' })).not.toBe(dateTimeFormat('ja', { timeZone: 'UTC' }));
    const shown = [formatMinor('3000', 'JPY', 'en'), formatMinor('3000', 'USD', 'en'), formatMinorPlain('3000', 'USD', 'en'), formatMinor('3000', 'KWD', 'en'), formatMinor('3000', 'USD', 'fr'), formatMinor('3000', 'USD', 'en', 'code'), formatMinor('250', 'KWD', 'fr', 'code')];
    expect(shown.map((s) => s.replace(/\s/g, ' '))).toEqual(['¥3,000', '$30.00', '30.00', 'KWD 3.000', '30,00 $US', 'USD 30.00', '0,250 KWD']);
    expect(() => formatMinor('1', 'USD', 'not a locale!')).toThrow(RangeError);
  });

  // A receipt stands for a gift only while the appeal keeps the money (a donor may file it for taxes).
  it('receiptNote says a refunded, disputed or failed payment\'s page is no record of a gift', () => {
    expect(receiptNote('succeeded', '$25.00')).toBe('Thank you for your solidarity. Keep this receipt for your records.');
    expect(receiptNote('partially_refunded', '$15.00')).toBe('Thank you for your solidarity. After the refund, you paid $15.00 in all. Keep this receipt for your records.');
    for (const status of ['refunded', 'disputed', 'failed']) expect(receiptNote(status, '$25.00')).toMatch(/is not a (record of a gift|receipt)\.$/);
  });

  // The unit hint's example price is one a unit could have in the form's currency.
  it('unitPriceExample is one of the currency, or 100 where there are no decimals', () => {
    expect([unitPriceExample('USD', 'en'), unitPriceExample('JPY', 'ja'), unitPriceExample('KWD', 'en').replace(/\s/g, ' '), unitPriceExample('EUR', 'de').replace(/\s/g, ' ')]).toEqual(['$1.00', '￥100', 'KWD 1.000', '1,00 €']);
  });

  // Only a zone this runtime knows is used: a crafted cookie falls back to UTC, never breaks a page.
  it('isTimeZone takes IANA zones and nothing else', () => {
    expect(['Asia/Tokyo', 'Africa/Algiers', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT+9'].filter(isTimeZone)).toHaveLength(5);
    expect(['', 'Mars/Olympus', '../etc/passwd', 'Asia/Tokyo\u0000', 'a'.repeat(65), '%E0%A4%A', 42, null].filter(isTimeZone)).toEqual([]);
  });

  // An appeal's deadline is a day the organizer chose (kept as its last second UTC): the same day in
  // Tokyo, where that second is already the next morning; a moment is on the reader's calendar.
  it('formatDay keeps a deadline on its day in every zone; formatDate follows the reader', () => {
    readTimeZoneFrom(() => ({ timeZone: 'Asia/Tokyo', said: true }));
    try {
      expect(formatDay('2026-12-31T23:59:59Z', 'fr')).toBe('31 décembre 2026');
      expect(formatDate('2026-12-31T23:59:59Z', 'fr')).toBe('1 janvier 2027');
    } finally {
      readTimeZoneFrom(() => ({ timeZone: 'UTC', said: false }));
    }
  });

  // Until the reader's browser has said its zone, the page dates in UTC: a reader in Tokyo who saw
  // a bare "31 December" would take it for her own 31st. So the date says whose day it is, as each
  // language says it (a Russian date's "г." is no full stop before the zone).
  it('formatDate names UTC while the reader has said no zone', () => {
    const at = '2026-12-31T23:59:59Z';
    expect(['en', 'fr', 'de', 'es', 'ja', 'sv', 'ar', 'ru'].map((locale) => formatDate(at, locale))).toEqual([
      'December 31, 2026 (UTC)',
      '31 décembre 2026 (heure UTC)',
      '31. Dezember 2026 (Zeitzone UTC)',
      '31 de diciembre de 2026 (hora UTC)',
      '2026年12月31日（UTC）',
      '31 december 2026 (tidszon UTC)',
      '\u206831 ديسمبر 2026 (بتوقيت \u2068UTC\u2069)\u2069',
      '31 декабря 2026 г. (по UTC)',
    ]);
    // A browser that said UTC reads its own calendar: nothing to name.
    readTimeZoneFrom(() => ({ timeZone: 'UTC', said: true }));
    try {
      expect(formatDate(at, 'en')).toBe('December 31, 2026');
    } finally {
      readTimeZoneFrom(() => ({ timeZone: 'UTC', said: false }));
    }
  });

  // A monthly gift charged at 22:40 UTC on the 5th is charged on the 6th for a donor in Osaka. A
  // page without JavaScript (no zone of its own) names that day from the zone the donor's browser
  // said when they gave, or else names UTC; a reader whose browser has said where they are now
  // reads that zone's day.
  it("donorDateZone names the donor's day when the reader's browser has said no zone", () => {
    const charge = '2027-01-05T22:40:00Z';
    expect(formatDate(charge, 'ja', donorDateZone('Asia/Tokyo'))).toBe('2027年1月6日');
    expect(formatDate(charge, 'en', donorDateZone(null))).toBe('January 5, 2027 (UTC)');
    expect(formatDate(charge, 'ja', donorDateZone(null))).toBe('2027年1月5日（UTC）');
    // A zone this runtime does not know (kept from another one) is not a reason to fail the page.
    expect(formatDate(charge, 'en', donorDateZone('Mars/Olympus'))).toBe('January 5, 2027 (UTC)');
    readTimeZoneFrom(() => ({ timeZone: 'Europe/Stockholm', said: true }));
    try {
      expect(donorDateZone('Asia/Tokyo')).toEqual({ timeZone: 'Europe/Stockholm', named: false });
      expect(formatDate(charge, 'sv', donorDateZone('Asia/Tokyo'))).toBe('5 januari 2027');
      expect(formatDate(charge, 'sv', donorDateZone(null))).toBe('5 januari 2027');
    } finally {
      readTimeZoneFrom(() => ({ timeZone: 'UTC', said: false }));
    }
  });

  // An Arabic page sets its dates in right-to-left sentences. Intl's "غرينتش+1" laid out bare in one
  // read "1+غرينتش": the sign is a neutral that took the Arabic side. So in Arabic a date is one
  // isolated piece (FSI…PDI), a zone's name another inside it, and its offset one more inside that, which has
  // no strong letter and so reads left to right, "+1". The words around them are unchanged.
  it('isolates dates, times and zone names set in an Arabic sentence', () => {
    const at = '2026-12-05T10:00:00Z';
    expect(zoneName(new Date(at), 'ar', 'Africa/Algiers')).toBe('\u2068غرينتش\u2068+1\u2069\u2069');
    expect(zoneName(new Date(at), 'ar', 'America/St_Johns')).toBe('\u2068غرينتش\u2068-3:30\u2069\u2069');
    expect(zoneName(new Date(at), 'ar', 'UTC')).toBe('\u2068UTC\u2069');
    expect(formatDateTime(at, 'ar', 'Africa/Algiers')).toBe('\u20685 ديسمبر 2026، 11:00 ص غرينتش\u2068+1\u2069\u2069');
    expect(formatDate(at, 'ar')).toBe('\u20685 ديسمبر 2026 (بتوقيت \u2068UTC\u2069)\u2069');
    expect(formatDate(at, 'ar', donorDateZone('Africa/Algiers'))).toBe('\u20685 ديسمبر 2026\u2069');
    expect(m.deadline_on({ date: formatDay('2026-12-31T23:59:59Z', 'ar') }, { locale: 'ar' })).toBe('تُغلق في \u206831 ديسمبر 2026\u2069');
    expect(m.monthly_next_charge({ date: formatDate(at, 'ar') }, { locale: 'ar' })).toBe('الدفعة التالية: \u20685 ديسمبر 2026 (بتوقيت \u2068UTC\u2069)\u2069');
    // Left-to-right languages get Intl's text as it is.
    expect(zoneName(new Date(at), 'en', 'Africa/Algiers')).toBe('GMT+1');
    expect(formatDay('2026-12-31T23:59:59Z', 'ru')).toBe('31 декабря 2026 г.');
  });

  // zoneName and isTimeZone keep their answers (the poster asks for every receipt): kept or not,
  // the answer is the one for that minute and that value, across a change of summer time and past
  // the bound on what is kept.
  it('zoneName and isTimeZone answer alike whether their answer was kept or not', () => {
    // Newfoundland moves its clocks at half past an hour UTC, 02:00 its own time.
    const stJohns = (iso: string) => zoneName(new Date(iso), 'en', 'America/St_Johns');
    expect(['05:29:59', '05:30:00', '05:29:00', '05:30:59'].map((t) => stJohns(`2026-03-08T${t}Z`))).toEqual(['GMT-3:30', 'GMT-2:30', 'GMT-3:30', 'GMT-2:30']);
    for (let i = 0; i < 600; i++) expect(isTimeZone(`Mars/Crater_${i}`)).toBe(false);
    expect(['Asia/Tokyo', 'Mars/Olympus', 'Asia/Tokyo', 'Mars/Olympus'].map(isTimeZone)).toEqual([true, false, true, false]);
  });

  // Readers type a number of bricks the way they write numbers; anything else must be refused.
  it('parseUnits reads local ways of writing whole numbers and refuses the rest', () => {
    expect(parseUnits('25')).toBe(25);
    expect(parseUnits('1,000')).toBe(1000);
    expect(parseUnits('1.000')).toBe(1000);
    expect(parseUnits('1 000')).toBe(1000);
    expect(parseUnits('２５')).toBe(25);
    expect(parseUnits('٢٥')).toBe(25);
    for (const bad of ['', '0', '-3', '2.5', '1,00', 'abc', '12345678']) expect(parseUnits(bad), bad).toBeNull();
  });

  // A Japanese IME in kana mode types 、 for the comma key; it groups bricks as it groups yen
  // (parseAmount), in threes only.
  it('parseUnits reads the ideographic comma 、 as a group separator in groups of three', () => {
    expect(parseUnits('1、000')).toBe(1000);
    expect(parseUnits('１、０００')).toBe(1000);
    expect(parseUnits('1、000、000')).toBe(1_000_000);
    for (const bad of ['1、00', '1、0000', '、100', '100、', '2、5']) expect(parseUnits(bad), bad).toBeNull();
    expect(tooManyUnits('12、000、000')).toBe(true);
    expect(tooManyUnits('1、00')).toBe(false);
  });

  // 万 is read on every amount field (parseAmount), but a Japanese reader only learns so if the
  // message for an amount it could not read says it; and its example must be one parseAmount reads.
  it('the Japanese messages for an unreadable amount give a 万 example that parseAmount reads', () => {
    const example = amountExample('JPY', 'ja');
    for (const message of [m.error_amount_invalid({ example }, { locale: 'ja' }), m.appeal_error_amount({ example }, { locale: 'ja' })]) {
      const tenThousands = /[0-9０-９]+万/u.exec(message)?.[0];
      expect(tenThousands, message).toBeDefined();
      expect(parseAmount(tenThousands!, 'JPY', 'ja') % 10_000n, message).toBe(0n);
      expect(message).toContain(example);
    }
  });

  it('tooManyUnits tells a whole number too large to take from one that is not a whole number', () => {
    for (const many of ['12345678', '999999999999', '12.000.000', '１２３４５６７８９']) expect(tooManyUnits(many), many).toBe(true);
    for (const other of ['', '25', '9999999', '00000025', '2.5', '-12345678', 'abc', '1,00']) expect(tooManyUnits(other), other).toBe(false);
  });

  it('suggests amounts that make sense for the currency', () => {
    expect(suggestedAmountsMinor('USD')).toEqual(['1000', '2500', '5000', '10000']);
    expect(suggestedAmountsMinor('JPY')).toEqual(['1000', '3000', '5000', '10000']);
    expect(suggestedAmountsMinor('KWD')[0]).toBe('10000');
  });

  // The form offers these, the second chosen from the start: a Hungarian donor offered 10, 25, 50
  // and 100 Ft, all under Stripe's 175 Ft, was refused whichever she took.
  it('suggests only amounts Stripe takes: at least its smallest charge, in its step', () => {
    for (const currency of APPEAL_CURRENCIES) {
      const minimum = stripeMinimumChargeMinor(currency) ?? 0n;
      for (const amount of suggestedAmountsMinor(currency).map(BigInt)) {
        expect(amount >= minimum, `${currency} ${amount} under ${minimum}`).toBe(true);
        expect(amount % stripeStepMinor(currency), `${currency} ${amount}`).toBe(0n);
      }
    }
    expect(suggestedAmountsMinor('HUF')).toEqual(['100000', '250000', '500000', '1000000']);
  });

  // Stripe publishes no minimum for the Algerian dinar: it takes 0.50 USD's worth. A donor in Oran
  // was offered 10, 25, 50 and 100 DA (0.08 to 0.75 USD), with 25 DA chosen from the start, which
  // Stripe refuses; an Iraqi one 10 to 100 dinars (under a dime).
  it('suggests no gift under about a dollar where Stripe publishes no minimum', () => {
    expect(suggestedAmountsMinor('DZD')).toEqual(['100000', '250000', '500000', '1000000']);
    expect(suggestedAmountsMinor('IQD')[0]).toBe('10000000');
    expect(suggestedAmountsMinor('VND')[0]).toBe('100000');
    // Worth a dollar or more each (or a published minimum): as before.
    expect(suggestedAmountsMinor('MXN')).toEqual(['1000', '2500', '5000', '10000']);
    expect(suggestedAmountsMinor('CLP')).toEqual(['1000', '3000', '5000', '10000']);
    expect(suggestedAmountsMinor('TND')).toEqual(['10000', '25000', '50000', '100000']);
  });

  // A huge goal must not draw millions of bricks; a small one draws one brick per unit.
  it('planWall draws one brick per unit up to the cap, then round groups', () => {
    expect(planWall(1300, 37)).toEqual({ unitsPerBrick: 1, drawn: 1300, filled: 37 });
    expect(planWall(1300, 5000).filled).toBe(1300);
    const big = planWall(1_000_000, 123_456);
    expect(big.unitsPerBrick).toBe(1000);
    expect(big.drawn).toBeLessThanOrEqual(maxDrawnBricks);
    expect(big.filled).toBe(123);
    expect(planWall(2000, 3).unitsPerBrick).toBe(2);
  });

  it('formats money and examples in the reader’s locale', () => {
    expect(formatMinor('123450', 'EUR', 'de').replace(/\s/g, ' ')).toBe('1.234,50 €');
    expect(amountExample('EUR', 'de')).toBe('1.234,50');
    expect(amountExample('JPY', 'ja')).toBe('3,000');
    expect(amountExample('KWD', 'en')).toBe('1,234.500');
  });

  // Arabic's "‏-25.00 US$" set bare in a right-to-left line read "$-25.00 US" and "$US 25.00": an
  // amount is one right-to-left isolate, its currency symbol isolated inside it, so "US$" stays
  // whole and "د.ك." keeps its own direction. Intl's marks (RLM, LRM) are kept as they are.
  it('formats an amount in Arabic as one isolated piece, and English exactly as Intl does', () => {
    expect(formatMinor('-17400', 'USD', 'ar')).toBe('\u2067\u200f\u200e-174.00\u00a0\u2068US$\u2069\u2069');
    expect(formatMinor('2500', 'USD', 'ar')).toBe('\u2067\u200f25.00\u00a0\u2068US$\u2069\u2069');
    expect(formatMinor('3000', 'JPY', 'ar')).toBe('\u2067\u200f3,000\u00a0\u2068JP¥\u2069\u2069');
    expect(formatMinor('750', 'KWD', 'ar')).toBe('\u2067\u200f0.750\u00a0\u2068د.ك.\u2069\u200f\u2069');
    expect(formatMinor('-750', 'KWD', 'ar')).toBe('\u2067\u200f\u200e-0.750\u00a0\u2068د.ك.\u2069\u200f\u2069');
    // Left-to-right languages: not one invisible character more.
    expect(formatMinor('-17400', 'USD', 'en')).toBe('-$174.00');
    expect(formatMinor('2500', 'USD', 'en')).toBe('$25.00');
    expect(formatMinor('750', 'KWD', 'en')).toBe('KWD\u00a00.750');
    expect(formatMinor('123450', 'EUR', 'fr')).toBe(new Intl.NumberFormat('fr', { style: 'currency', currency: 'EUR' }).format(1234.5));
  });

  it('timeLeft counts whole days, then hours, then ended', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(timeLeft('2026-01-03T00:00:00Z', now)).toEqual({ unit: 'days', count: 2 });
    expect(timeLeft('2026-01-01T05:30:00Z', now)).toEqual({ unit: 'hours', count: 6 });
    expect(timeLeft('2025-12-31T00:00:00Z', now)).toEqual({ unit: 'ended' });
  });

  it('chooses the cookie language, else the best Accept-Language one, else English', () => {
    expect(chooseLocale('ar', 'de')).toBe('ar');
    expect(chooseLocale('xx', 'fr-CA,fr;q=0.9')).toBe('fr');
    expect(pickLocale('nl, ja;q=0.5, ru;q=0.8')).toBe('ru');
    expect(pickLocale('de;q=0')).toBe('en');
  });

  // Live progress comes from another process: a malformed event must be ignored, not shown.
  it('readProgressEvent accepts the progress shape and nothing else', () => {
    const ok = { raisedGrossMinor: '1000', raisedNetMinor: '941', donorCount: 1, giftCount: 1, unitsFilled: 10, shareOfGoalBasisPoints: 76, lastGiftAt: null };
    expect(readProgressEvent(JSON.stringify(ok))).toEqual(ok);
    expect(readProgressEvent('not json')).toBeNull();
    expect(readProgressEvent(JSON.stringify({ ...ok, raisedGrossMinor: 10.5 }))).toBeNull();
  });

  // The pages' API calls carry the browser's session cookie and nothing else, byte for byte.
  it('sessionCookieHeader keeps only the session cookies, unaltered', () => {
    expect(sessionCookieHeader('lang=de; sf.session_token=abc.d%2Be%3D; other=1')).toBe('sf.session_token=abc.d%2Be%3D');
    expect(sessionCookieHeader('__Secure-sf.session_token=x')).toBe('__Secure-sf.session_token=x');
    expect(sessionCookieHeader('lang=de')).toBeNull();
    expect(sessionCookieHeader(null)).toBeNull();
  });

  // A sign-out's Set-Cookie from the API reaches the browser as SvelteKit cookie options.
  it('parseSetCookie reads a session cookie being cleared, and ignores other cookies', () => {
    const c = parseSetCookie('sf.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
    expect(c).toMatchObject({ name: 'sf.session_token', value: '', options: { path: '/', maxAge: 0, httpOnly: true, sameSite: 'lax', secure: false } });
    expect(parseSetCookie('tracker=1; Path=/')).toBeNull();
  });

  it('slugFrom makes a web address from a title', () => {
    expect(slugFrom('Buck-a-Brick: a hall for Mexico!')).toBe('buck-a-brick-a-hall-for-mexico');
    expect(slugFrom('Grève à Montréal')).toBe('greve-a-montreal');
    expect(slugFrom('大阪介護')).toBe('');
    // One character is no address the API takes: the launch form then makes one up rather than
    // telling a Japanese organizer that the address they left empty is wrong.
    expect(slugFrom('第2回 春闘支援')).toBe('');
    expect(slugFrom('Ö 大阪')).toBe('');
    expect(slugFrom('第12回 春闘支援')).toBe('12');
  });

  // The unit is named as the rest of the page reads: the reader's translation, never in the
  // appeal's own language, and the original name where the translation gives none.
  it('names the unit in the reader language where the translation does, else as written', () => {
    const t = (language: string, unitName: string | null) => ({ language, title: 't', summary: '', storyHtml: '', unitName });
    const appeal = { language: 'en', unit: { name: 'brick', priceMinor: '100' }, translations: [t('ja', 'レンガ'), t('fr', null), t('en', 'stray')] };
    expect(unitFor(appeal, 'ja')).toEqual({ name: 'レンガ', priceMinor: '100', language: 'ja' });
    expect(unitFor(appeal, 'fr')).toEqual({ name: 'brick', priceMinor: '100', language: 'en' });
    expect(unitFor(appeal, 'ar')?.name).toBe('brick');
    expect(unitFor(appeal, 'en')).toEqual({ name: 'brick', priceMinor: '100', language: 'en' });
    expect(unitFor({ ...appeal, unit: null }, 'ja')).toBeNull();
    // A Russian appeal read in English is named in English only where its English translation does.
    const russian = { language: 'ru', unit: { name: 'кирпич', priceMinor: '100' }, translations: [t('en', 'brick'), t('fr', null)] };
    expect(unitFor(russian, 'en')).toMatchObject({ name: 'brick', language: 'en' });
    expect(unitFor({ ...russian, translations: [t('en', null)] }, 'en')).toMatchObject({ name: 'кирпич', language: 'ru' });
  });
});

// An audit found English pages appending "s" to any unit: "0 of 6,001 кирпичs laid", "Mahlzeits",
// "boxs", "1 bricks". English inflects an English name by its count; it sets a name in another
// language apart, as written, the way the other languages' messages always do.
describe('the unit counted in English', () => {
  const brick = { name: 'brick', language: 'en' };

  it('inflects an English name by its count, irregular plurals too', () => {
    expect(unitWords(brick, 'en', 1)).toEqual({ unit: 'brick', unitForm: 'inflected' });
    expect(unitWords(brick, 'en', 0).unit).toBe('bricks');
    expect(unitWords(brick, 'en', 25).unit).toBe('bricks');
    expect(unitWords(brick, 'en').unit).toBe('bricks');
    const plural = (name: string) => unitWords({ name, language: 'en' }, 'en', 2).unit;
    expect(['box', 'family', 'person', 'child', 'shelf', 'sheep', 'meal kit', 'bag of rice', 'Brick'].map(plural)).toEqual(['boxes', 'families', 'people', 'children', 'shelves', 'sheep', 'meal kits', 'bags of rice', 'Bricks']);
    // One is said as the organizer wrote it.
    expect(unitWords({ name: 'day of pay', language: 'en' }, 'en', 1).unit).toBe('day of pay');
  });

  it('sets a name in another language apart, as written, whatever the count', () => {
    for (const [name, language] of [['кирпич', 'ru'], ['レンガ', 'ja'], ['Mahlzeit', 'de'], ['box', 'fr']]) {
      for (const count of [1, 6001, undefined]) expect(unitWords({ name: name!, language: language! }, 'en', count), `${name} ${count}`).toEqual({ unit: name, unitForm: 'named' });
    }
  });

  it('leaves the other languages as they were, even for an English name', () => {
    for (const locale of ['fr', 'es', 'de', 'ja', 'ru', 'sv']) expect(unitWords(brick, locale, 25), locale).toEqual({ unit: 'brick', unitForm: 'named' });
  });

  // An Arabic page showing a unit the organizers did not translate ("brick") read "brick: 0 من
  // 1,300" with the Latin name and the count run together as one left-to-right piece. Inserted into
  // a right-to-left sentence the name is isolated (U+2068…U+2069), as the mails isolate titles.
  it('isolates the name inside an Arabic sentence, whatever its language', () => {
    expect(unitWords(brick, 'ar', 25)).toEqual({ unit: '\u2068brick\u2069', unitForm: 'named' });
    expect(unitWords({ name: 'طوبة', language: 'ar' }, 'ar', 1).unit).toBe('\u2068طوبة\u2069');
    expect(unitWords(brick, 'ar-DZ').unit).toBe('\u2068brick\u2069');
    expect(m.wall_laid({ filled: '0', goal: '1,300', ...unitWords(brick, 'ar', 1300) }, { locale: 'ar' })).toBe('\u2068brick\u2069: 0 من 1,300');
    expect(shownUnitName('brick', 'ar')).toBe('\u2068brick\u2069');
    expect(m.unit_price({ unit: shownUnitName('brick', 'ar'), price: '5' }, { locale: 'ar' })).toBe('1 \u2068brick\u2069 = 5');
    expect(shownUnitName('brick', 'en')).toBe('brick');
  });

  // The other way round: an Arabic name on an English page ("طوبة: 0 of 1,300 laid") had the count
  // read into the right-to-left name, shown before it. A Latin or CJK name stays as written.
  it('isolates a right-to-left name inside a left-to-right sentence', () => {
    expect(unitWords({ name: 'طوبة', language: 'ar' }, 'en', 1300).unit).toBe('\u2068طوبة\u2069');
    expect(m.wall_laid({ filled: '0', goal: '1 300', ...unitWords({ name: 'לבנה', language: 'he' }, 'fr', 1300) }, { locale: 'fr' })).toBe('\u2068לבנה\u2069 : 0 sur 1 300 posées');
    expect(shownUnitName('レンガ', 'en')).toBe('レンガ');
  });

  // The sentences as the pages say them, from the compiled messages.
  it('reads right in the messages, and the other languages are unchanged', () => {
    const ru = { name: 'кирпич', language: 'ru' };
    const en = { locale: 'en' } as const;
    expect(m.wall_laid({ filled: '0', goal: '1,300', ...unitWords(brick, 'en', 1300) }, en)).toBe('0 of 1,300 bricks laid');
    expect(m.wall_laid({ filled: '0', goal: '1', ...unitWords(brick, 'en', 1) }, en)).toBe('0 of 1 brick laid');
    expect(m.wall_laid({ filled: '0', goal: '6,001', ...unitWords(ru, 'en', 6001) }, en)).toBe('кирпич: 0 of 6,001 laid');
    expect(m.wall_grouped({ size: '5', ...unitWords(ru, 'en', 5) }, en)).toBe('Each brick drawn here stands for 5 × кирпич.');
    expect(m.wall_grouped({ size: '5', ...unitWords({ name: 'family', language: 'en' }, 'en', 5) }, en)).toBe('Each brick drawn here stands for 5 families.');
    expect(m.units_laid({ n: '1', ...unitWords(brick, 'en', 1) }, en)).toBe('1 brick laid so far');
    expect(m.units_laid({ n: '7', ...unitWords({ name: 'レンガ', language: 'ja' }, 'en', 7) }, en)).toBe('レンガ: 7 laid so far');
    expect(m.give_units_legend(unitWords(brick, 'en'), en)).toBe('How many bricks?');
    expect(m.give_units_legend(unitWords(ru, 'en'), en)).toBe('How many? (кирпич)');
    expect(m.give_other_units(unitWords({ name: 'box', language: 'en' }, 'en'), en)).toBe('Another number of boxes');
    expect(m.give_other_units(unitWords({ name: 'Mahlzeit', language: 'de' }, 'en'), en)).toBe('Another number (Mahlzeit)');
    expect(m.error_units(unitWords({ name: 'person', language: 'en' }, 'en'), en)).toBe('Give a whole number of people, at least 1.');
    expect(m.error_units(unitWords(ru, 'en'), en)).toBe('Give a whole number, at least 1 (кирпич).');
    expect(m.wall_laid({ filled: '0', goal: '1 300', ...unitWords(brick, 'fr', 1300) }, { locale: 'fr' })).toBe('brick : 0 sur 1 300 posées');
    expect(m.give_units_legend(unitWords(brick, 'ja'), { locale: 'ja' })).toBe('いくつ？（brick）');
    expect(m.units_laid({ n: '1', ...unitWords(brick, 'de', 1) }, { locale: 'de' })).toBe('brick: bisher 1');
  });
});

// "About 3%" was 9% of a $5 gift: the form states the fee the server adds, from the same numbers.
describe('the cover-the-fees rule', () => {
  it('says the fee as charged, in the reader’s way of writing numbers', () => {
    expect(coverFeeRule('USD', 'en', (minor) => formatMinor(minor, 'USD', 'en'))).toBe('\u20682.9% + $0.30\u2069');
    expect(coverFeeRule('EUR', 'fr', () => 'never')).toMatch(/^\u20682,9\s%\u2069$/u);
    expect(coverFeeRule('JPY', 'ja', () => 'never')).toBe('\u20682.9%\u2069');
    // What the server adds to 5 bricks ($5.00): the charge of $5.46 pays a fee of 16¢ + 30¢.
    expect(coverFeesMinor(500n, 'USD')).toBe(46n);
    expect(coverFeesMinor(3000n, 'JPY')).toBe(90n);
  });

  // "So the card fees don't come out of my gift": the fee is taken on the whole charge, the
  // covered fees included, so covering 2.9% of the gift alone left the appeal short.
  it('adds what leaves the appeal the whole gift after the fee on the whole charge, and no more', () => {
    const fees = resolveFees();
    for (const [currency, gifts] of [
      ['USD', [100n, 300n, 500n, 2_500n, 5_000n, 12_345n, 99_999_00n]],
      ['JPY', [50n, 3_000n, 10_000n, 999_999n]],
      ['KWD', [1_000n, 2_320n, 100_000n]],
      ['EUR', [50n, 1_999n]],
    ] as const) {
      const step = stripeStepMinor(currency);
      for (const gift of gifts) {
        const covered = coverFeesMinor(gift, currency);
        const charge = gift + covered;
        const net = (c: bigint) => c - BigInt(chargeFee(fees, Number(c), currency));
        expect(charge % step, `${currency} ${gift}`).toBe(0n);
        expect(net(charge), `${currency} ${gift}: the appeal receives the gift`).toBeGreaterThanOrEqual(gift);
        expect(net(charge - step), `${currency} ${gift}: one step less would do`).toBeLessThan(gift);
      }
    }
  });
});

// The way to sign in carries the page to come back to, as far as sign-in takes it back.
describe('the sign-in address', () => {
  const back = (path: string) => new URL(`http://localhost:3000${path}`);
  const nextOf = (signIn: string) => new URL(signIn, 'http://localhost:3000').searchParams.get('next');

  it('comes back to the page and its query', () => {
    const signIn = signInPath(back('/treasury?type=liability&q=bank'));
    expect(nextOf(signIn)).toBe('/treasury?type=liability&q=bank');
    expect(safeReturnPath(nextOf(signIn))).toBe('/treasury?type=liability&q=bank');
  });

  // An 8 kB query made a 16 kB Location header (Node's fetch refuses such an answer), and sign-in
  // then went home anyway: the page without its query is where a person can go on from.
  it('leaves out a query longer than sign-in takes back, and a path too long, altogether', () => {
    const signIn = signInPath(back(`/manage/appeals/buck-a-brick?q=${'x'.repeat(8_000)}`));
    expect(signIn.length).toBeLessThan(600);
    expect(safeReturnPath(nextOf(signIn))).toBe('/manage/appeals/buck-a-brick');
    expect(signInPath(back(`/${'p'.repeat(600)}`))).toBe('/signin');
    expect(safeReturnPath(`/${'p'.repeat(499)}`)).toBe(`/${'p'.repeat(499)}`);
    expect(safeReturnPath(`/${'p'.repeat(500)}`, '/account')).toBe('/account');
  });

  it('never goes back to another site', () => {
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/a b', '', null]) expect(safeReturnPath(next, '/account')).toBe('/account');
    // A control character (a mangled link's %00, %7F) would have the sign-in service refuse the link.
    for (const next of ['/account\u0000', '/a\u007fb', '/a\u0085b']) expect(safeReturnPath(next, '/account')).toBe('/account');
  });
});

describe('a form’s call to the API', () => {
  // The API not there (its process restarting, when the pages run apart from it) makes fetch throw;
  // that throw was the action's, and so a 500 page. A form says "try again" instead, as for an API
  // that failed.
  it('answers a call that got no answer as a refusal the action answers with 502, never a throw', async () => {
    const unanswered: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3001'), { code: 'ECONNREFUSED' }) });
    };
    const sent = await apiSend(unanswered, 'POST', '/api/invitations/accept', { token: 'x'.repeat(40) });
    expect(sent).toEqual({ ok: false, status: 502, error: { code: 'api_unanswered', message: 'The service did not answer.' } });
    expect(refusedStatus(sent.status)).toBe(502);
  });
});
