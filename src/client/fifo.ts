/**
 * A first-in first-out queue on a growable ring buffer: push, shift and peek cost O(1) at any
 * length, and so does reading or replacing the i-th element from the front.
 *
 * Why not an array with `shift()`: V8 can only "left-trim" an array's backing store while it is
 * small; once it lives in large-object space (roughly 16k+ elements) every `shift()` copies the
 * whole rest of the array, so draining N queued items costs O(N^2).
 * @packageDocumentation
 */

/** FIFO queue; see the file comment. */
export class Fifo<T> {
  private items: Array<T | undefined>;
  /** Index of the front element in `items`. */
  private head = 0;
  private size = 0;
  /** items.length - 1; the capacity is always a power of two. */
  private mask: number;
  /** The capacity never shrinks below this. */
  private readonly minCapacity: number;

  /**
   * @param capacity initial room (rounded up to a power of two, at least 8). The queue doubles
   *   when full and halves when under a quarter full, never below this, so a queue that once held
   *   a million elements does not keep their room.
   */
  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.minCapacity = cap;
    this.items = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  /** Number of queued elements. */
  get length(): number {
    return this.size;
  }

  /** Add at the back. */
  push(item: T): void {
    if (this.size === this.items.length) this.resize(this.items.length * 2);
    this.items[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  /** Remove and return the front element; undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) & this.mask;
    this.size--;
    const cap = this.items.length;
    if (cap > this.minCapacity && this.size < cap >>> 2) this.resize(cap >>> 1);
    return item;
  }

  /** The front element without removing it; undefined when empty. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  /** The element `i` places from the front (0 is the front); undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.items[(this.head + i) & this.mask];
  }

  /** Replace the element `i` places from the front. Throws RangeError when out of range. */
  set(i: number, item: T): void {
    if (i < 0 || i >= this.size || !Number.isInteger(i)) throw new RangeError(`Fifo.set: index ${i} outside 0..${this.size - 1}`);
    this.items[(this.head + i) & this.mask] = item;
  }

  /** Remove every element and return them, front first. */
  drain(): T[] {
    const out = new Array<T>(this.size);
    for (let i = 0; i < out.length; i++) out[i] = this.items[(this.head + i) & this.mask] as T;
    this.clear();
    return out;
  }

  /** Remove every element. */
  clear(): void {
    this.items = new Array<T | undefined>(this.minCapacity).fill(undefined);
    this.mask = this.minCapacity - 1;
    this.head = 0;
    this.size = 0;
  }

  /** Front to back. Do not push or shift while iterating. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  /** Move the elements into a ring of `cap` places (a power of two >= size), front at index 0. */
  private resize(cap: number): void {
    const next = new Array<T | undefined>(cap).fill(undefined);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = cap - 1;
  }
}
