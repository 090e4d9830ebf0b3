import { describe, expect, it } from 'vitest';
import { batchColumns, bodySeparator, type InboxEvent } from '../../server/payments/inbox-writer';

// The inbox's batch INSERT receives every body of a batch as one text, joined by a character
// JSON text cannot hold, and splits it again in Postgres with string_to_array.
describe('inbox batch parameters', () => {
  const row = (id: string, body: string): InboxEvent => ({ id, type: 'customer.created', apiVersion: null, createdSeconds: 1_700_000_000, body });

  it('joins the bodies so that splitting on the separator gives each one back, in order', () => {
    const texts = ['{"a":"¥3,000 大阪"}', '{"b":"🧱"}', '{"c":"ascii"}', '{"d":"وهران"}'];
    const [ids, , , , joined] = batchColumns(texts.map((t, i) => row(`evt_${i}`, t))) as [string[], unknown, unknown, unknown, string];
    expect(ids).toEqual(['evt_0', 'evt_1', 'evt_2', 'evt_3']);
    expect(joined.split(bodySeparator)).toEqual(texts);
  });

  it('refuses a body that holds the separator instead of splitting it in two', () => {
    expect(() => batchColumns([row('evt_0', `{"a":"x${bodySeparator}y"}`)])).toThrow(/separator/);
  });

  it('relies on JSON itself: no text JSON.parse accepts holds the separator unescaped', () => {
    expect(() => JSON.parse(`{"a":"x${bodySeparator}y"}`)).toThrow(SyntaxError);
    expect(() => JSON.parse(`{"a":1}${bodySeparator}`)).toThrow(SyntaxError);
    expect(() => JSON.parse(`${bodySeparator}{"a":1}`)).toThrow(SyntaxError);
    // Escaped, as JSON.stringify writes it, it is six plain characters and safe to join.
    expect(JSON.stringify({ a: bodySeparator })).not.toContain(bodySeparator);
  });
});
