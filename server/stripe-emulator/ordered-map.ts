/**
 * A Map that also knows where each key stands in insertion order (Stripe's creation order), so a
 * list reads its page from a cursor without scanning every object before it. The order is kept
 * as an array beside the map, built on first use and kept up by `set`; a deletion (the event log
 * drops its oldest) only drops it, to be rebuilt by the next list that asks.
 */
export class OrderedMap<K, V> extends Map<K, V> {
  // Not field initializers: Map's constructor calls `set` before they would run.
  declare private values_: V[] | undefined;
  declare private places: Map<K, number> | undefined;

  override set(key: K, value: V): this {
    if (this.places) {
      const at = this.places.get(key);
      if (at === undefined) {
        this.places.set(key, this.values_!.length);
        this.values_!.push(value);
      } else {
        this.values_![at] = value;
      }
    }
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.forget();
    return super.delete(key);
  }

  override clear(): void {
    this.forget();
    super.clear();
  }

  /**
   * The values, oldest first, and each key's place among them: read only, and one consistent
   * picture even if the map changes while it is read (a deletion starts a new one).
   */
  inOrder(): { values: readonly V[]; places: ReadonlyMap<K, number> } {
    const places = this.index();
    return { values: this.values_!, places };
  }

  private index(): Map<K, number> {
    if (!this.places) {
      this.values_ = [...super.values()];
      this.places = new Map([...super.keys()].map((k, i) => [k, i]));
    }
    return this.places;
  }

  private forget(): void {
    this.values_ = undefined;
    this.places = undefined;
  }
}
