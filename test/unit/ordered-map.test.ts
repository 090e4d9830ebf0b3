import { describe, expect, it } from 'vitest';
import { OrderedMap } from '../../server/stripe-emulator/ordered-map';

// The emulator's lists page by each object's place in creation order: that place must follow
// every change to the map, whether the index was built before the change or after.
describe('OrderedMap', () => {
  it('knows each key’s place through inserts, replacements, deletions and clears', () => {
    const m = new OrderedMap<string, number>([['a', 1], ['b', 2]]);
    const order = () => {
      const { values, places } = m.inOrder();
      return { values: [...values], places: Object.fromEntries(places) };
    };
    expect(order()).toEqual({ values: [1, 2], places: { a: 0, b: 1 } });
    m.set('c', 3);
    m.set('a', 10);
    expect(order()).toEqual({ values: [10, 2, 3], places: { a: 0, b: 1, c: 2 } });
    const before = m.inOrder();
    m.delete('a');
    m.set('d', 4);
    expect(order()).toEqual({ values: [2, 3, 4], places: { b: 0, c: 1, d: 2 } });
    expect([...m.values()]).toEqual(order().values);
    // A picture taken before the deletion stays as it was, values and places alike.
    expect([[...before.values], before.places.get('c')]).toEqual([[10, 2, 3], 2]);
    m.clear();
    m.set('e', 5);
    expect([order(), m.size]).toEqual([{ values: [5], places: { e: 0 } }, 1]);
  });
});
