// A read-only Map whose values are built when first read: the senders of a
// loaded cache entry (mail-flow-codec.ts), each parsed from its record, and
// the senders of a finished pass (mail-flow-tally.ts), each built from its
// accumulator. A reader that needs a few of ~10 000 builds only those.
/**
 * A read-only Map over stored values, in the stored order, each built on first
 * read and kept (the same object every time, as in a Map). A key stored twice
 * keeps its first place and its last value, as Map#set would.
 */
export class LazyMap<K, V> implements ReadonlyMap<K, V> {
  private readonly index = new Map<K, number>();
  private readonly built: Array<V | undefined>;

  constructor(keys: readonly K[], private readonly build: (i: number) => V) {
    for (let i = 0; i < keys.length; i++) this.index.set(keys[i]!, i);
    this.built = new Array<V | undefined>(keys.length);
  }

  get size(): number {
    return this.index.size;
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  get(key: K): V | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.at(i);
  }

  private at(i: number): V {
    return (this.built[i] ??= this.build(i));
  }

  keys(): MapIterator<K> {
    return this.index.keys();
  }

  * values(): MapIterator<V> {
    for (const i of this.index.values()) yield this.at(i);
  }

  * entries(): MapIterator<[K, V]> {
    for (const [key, i] of this.index) yield [key, this.at(i)];
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, i] of this.index) fn.call(thisArg, this.at(i), key, this);
  }
}
