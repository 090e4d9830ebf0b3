import { describe, expect, it } from 'vitest';
import { OrderedMap } from '../../server/stripe-emulator/ordered-map';

// The emulator's lists page by each object's place in creation order: that place must follow
// every change to the map, whether the index was built before the change or after.
describe('OrderedMap', () => {
  it('knows each key’s place through inserts, replacements, deletions and clears', () => {
    const m = new OrderedMap<string, number>([['a', 1], ['b', 2]]);
    expect([m.inOrder(), m.placeOf('b'), m.placeOf('z')]).toEqual([[1, 2], 1, -1]);
    m.set('c', 3);
    m.set('a', 10);
    expect([m.inOrder(), m.placeOf('c')]).toEqual([[10, 2, 3], 2]);
    m.delete('a');
    m.set('d', 4);
    expect([m.inOrder(), m.placeOf('b'), m.placeOf('d'), m.placeOf('a')]).toEqual([[2, 3, 4], 0, 2, -1]);
    expect([...m.values()]).toEqual(m.inOrder());
    m.clear();
    m.set('e', 5);
    expect([m.inOrder(), m.placeOf('e'), m.size]).toEqual([[5], 0, 1]);
  });
});
