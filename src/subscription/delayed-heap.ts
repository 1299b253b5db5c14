/**
 * Min-heap of delayed entries ordered by (deliverAt, position key), in typed arrays: 20 bytes per
 * entry and no object per entry, so a large delayed index costs little memory and no GC pressure.
 * `tag` is an opaque 32-bit value carried along (Key_Shared keeps the entry's hash slot there).
 */
export interface HeapItem {
  readonly at: number;
  readonly key: number;
  readonly tag: number;
}

export function before(aAt: number, aKey: number, bAt: number, bKey: number): boolean {
  return aAt < bAt || (aAt === bAt && aKey < bKey);
}

export class DelayedHeap {
  private at = new Float64Array(64);
  private keys = new Float64Array(64);
  private tags = new Int32Array(64);
  size = 0;

  get minAt(): number {
    return this.size > 0 ? this.at[0]! : Infinity;
  }

  push(item: HeapItem): void {
    if (this.size === this.at.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item.at, item.key, this.at[parent]!, this.keys[parent]!)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, item);
  }

  /** Position key of the earliest entry (the heap must not be empty). */
  get topKey(): number {
    return this.keys[0]!;
  }

  get topTag(): number {
    return this.tags[0]!;
  }

  /** Removes the earliest entry without allocating (thousands of entries a second fall due). */
  removeTop(): void {
    if (this.size === 0) return;
    const last = --this.size;
    if (last === 0) return;
    const at = this.at[last]!;
    const key = this.keys[last]!;
    const tag = this.tags[last]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && before(this.at[right]!, this.keys[right]!, this.at[left]!, this.keys[left]!) ? right : left;
      if (!before(this.at[child]!, this.keys[child]!, at, key)) break;
      this.move(child, i);
      i = child;
    }
    this.at[i] = at;
    this.keys[i] = key;
    this.tags[i] = tag;
  }

  /** Every item, in no particular order. */
  items(): HeapItem[] {
    const out: HeapItem[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.item(i));
    return out;
  }

  clear(): void {
    this.size = 0;
  }

  /** Replaces the content with `items` (heapified in O(n)). */
  reset(items: readonly HeapItem[]): void {
    this.size = 0;
    while (this.at.length < items.length) this.grow();
    items.forEach((item, i) => this.set(i, item));
    this.size = items.length;
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDownFrom(i);
  }

  private siftDownFrom(start: number): void {
    const item = this.item(start);
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && before(this.at[right]!, this.keys[right]!, this.at[left]!, this.keys[left]!) ? right : left;
      if (!before(this.at[child]!, this.keys[child]!, item.at, item.key)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, item);
  }

  private item(i: number): HeapItem {
    return { at: this.at[i]!, key: this.keys[i]!, tag: this.tags[i]! };
  }

  private set(i: number, item: HeapItem): void {
    this.at[i] = item.at;
    this.keys[i] = item.key;
    this.tags[i] = item.tag;
  }

  private move(from: number, to: number): void {
    this.at[to] = this.at[from]!;
    this.keys[to] = this.keys[from]!;
    this.tags[to] = this.tags[from]!;
  }

  private grow(): void {
    const capacity = this.at.length * 2;
    const at = new Float64Array(capacity);
    at.set(this.at);
    const keys = new Float64Array(capacity);
    keys.set(this.keys);
    const tags = new Int32Array(capacity);
    tags.set(this.tags);
    this.at = at;
    this.keys = keys;
    this.tags = tags;
  }
}
