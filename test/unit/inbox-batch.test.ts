import { describe, expect, it } from 'vitest';
import { batchColumns, type InboxEvent } from '../../server/payments/inbox-writer';

// The inbox's batch INSERT cuts each body out of one byte string with substring(FROM offset FOR
// length), which counts bytes from 1: offsets and lengths must be bytes, not characters.
describe('inbox batch parameters', () => {
  const row = (id: string, text: string): InboxEvent => ({ id, type: 'customer.created', apiVersion: null, createdSeconds: 1_700_000_000, body: Buffer.from(text) });

  it('gives each body its 1-based byte offset and byte length in the concatenated bytes', () => {
    const texts = ['{"a":"¥3,000 大阪"}', '{"b":"🧱"}', '{"c":"ascii"}', '{"d":"وهران"}'];
    const [ids, , , , offsets, lengths, bytes] = batchColumns(texts.map((t, i) => row(`evt_${i}`, t))) as [string[], unknown, unknown, unknown, number[], number[], Buffer];
    expect(ids).toEqual(['evt_0', 'evt_1', 'evt_2', 'evt_3']);
    expect(lengths).toEqual(texts.map((t) => Buffer.byteLength(t)));
    expect(offsets[0]).toBe(1);
    texts.forEach((t, i) => {
      expect(bytes.subarray(offsets[i]! - 1, offsets[i]! - 1 + lengths[i]!).toString('utf8')).toBe(t);
    });
    expect(bytes.length).toBe(texts.reduce((n, t) => n + Buffer.byteLength(t), 0));
  });
});
