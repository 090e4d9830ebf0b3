import { describe, expect, it } from 'vitest';
import { parseUnits, suggestedAmountsMinor } from '../../web/src/lib/amounts';
import { maxDrawnBricks, planWall } from '../../web/src/lib/bricks';
import { amountExample, formatMinor, timeLeft } from '../../web/src/lib/format';
import { readProgressEvent } from '../../web/src/lib/live-progress';
import { chooseLocale, pickLocale } from '../../web/src/lib/locale';
import { parseStory } from '../../web/src/lib/markdown';

describe('web helpers', () => {
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

  it('suggests amounts that make sense for the currency', () => {
    expect(suggestedAmountsMinor('USD')).toEqual(['1000', '2500', '5000', '10000']);
    expect(suggestedAmountsMinor('JPY')).toEqual(['1000', '3000', '5000', '10000']);
    expect(suggestedAmountsMinor('KWD')[0]).toBe('10000');
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

  // Stories are rendered from data, never as HTML: markup stays text and only http(s) links pass.
  it('parseStory keeps markup as text and only http(s) links', () => {
    const blocks = parseStory('<script>x</script> **bold**\n\n- one\n- [two](javascript:alert(1))\n\n[site](https://example.org)');
    expect(blocks[0]).toEqual({ kind: 'p', inlines: [{ kind: 'text', text: '<script>x</script> ' }, { kind: 'strong', text: 'bold' }] });
    expect(blocks[1]).toEqual({ kind: 'ul', items: [[{ kind: 'text', text: 'one' }], [{ kind: 'text', text: '[two](javascript:alert(1))' }]] });
    expect(blocks[2]).toEqual({ kind: 'p', inlines: [{ kind: 'link', text: 'site', href: 'https://example.org' }] });
  });
});
