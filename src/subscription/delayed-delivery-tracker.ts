import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../config/logger.js';
import { before, DelayedHeap, type HeapItem } from './delayed-heap.js';

/** The persistent part of the index: entries in (deliverAt, key) order (delayed-index.ts). */
export interface DelayedIndex {
  put(item: HeapItem): void;
  /** Removes [from, to) in (deliverAt, key) order; ±Infinity times stand for the ends. */
  removeRange(fromAt: number, fromKey: number, toAt: number, toKey: number): void;
  /** Up to `limit` entries at or after (fromAt, fromKey) in order; fromAt -Infinity reads from the start. */
  page(fromAt: number, fromKey: number, limit: number): Promise<HeapItem[]>;
  /** Writes not yet durable. */
  readonly backlog: number;
  /** Called whenever every write so far is durable. */
  onDrained(callback: () => void): void;
}

/** Index writes outstanding beyond which the dispatcher stops reading new entries until they are written. */
const MAX_INDEX_BACKLOG = 20_000;

export interface DelayedDeliveryOptions {
  /** delayedDeliveryTickTimeMillis: the timer runs at most once per tick. */
  readonly tickMs: number;
  /** Entries kept in memory; the later ones wait in the persistent index. */
  readonly maxInMemory: number;
}

export interface DueEntry {
  readonly key: number;
  readonly tag: number;
}

/**
 * Holds entries whose deliver_at_time is in the future (Pulsar's DelayedDeliveryTracker, for Shared
 * and Key_Shared). Strict: an entry is due only once the clock reaches its time (Pulsar's
 * isDelayedDeliveryDeliverAtTimeStrict=true); the timer wakes the dispatcher when the next entry
 * falls due, at most once per tick.
 *
 * Memory holds only (deliverAt, position key, tag) and at most `maxInMemory` of them: every entry
 * before the horizon is in memory, every entry from it on is in the index on disk. When memory fills,
 * the later half moves to the index; when memory runs low, the next page comes back from it (and leaves
 * the disk, so each entry is in exactly one place). Without an index (non-durable subscriptions)
 * everything stays in memory. What was in memory at a crash is found again when the dispatcher reads
 * the unacknowledged backlog after the restart; the index spares memory, not correctness.
 */
export class DelayedDeliveryTracker {
  private readonly heap = new DelayedHeap();
  private readonly inMemory = new Set<number>();
  private horizonAt: number;
  private horizonKey: number;
  private loading = false;
  private heldWhileLoading: HeapItem[] = [];
  /** Entries put into the index and not read back yet (see heldCount). */
  private indexed = 0;
  private generation = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private lastTickAt = -Infinity;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: DelayedDeliveryOptions,
    private readonly index: DelayedIndex | undefined,
    private readonly onDue: () => void,
    private readonly logger?: Logger,
  ) {
    // With an index, what earlier runs spilled is unknown until the first page is read.
    this.horizonAt = index ? -Infinity : Infinity;
    this.horizonKey = -Infinity;
    index?.onDrained(() => {
      if (!this.closed) this.onDue();
    });
    this.refill();
  }

  /** Too many index writes outstanding: the dispatcher should not read (and hold) more until they are written. */
  congested(): boolean {
    return (this.index?.backlog ?? 0) > MAX_INDEX_BACKLOG;
  }

  /** Entries held in memory (the rest are in the index). */
  get inMemoryCount(): number {
    return this.heap.size;
  }

  /**
   * Entries held, in memory and in the index (Pulsar's DelayedDeliveryTracker.getNumberOfDelayedMessages, the
   * msgDelayed stat). Exact while the index is empty; an entry held again after a rewind while the index still
   * has it counts twice until the index has been read through, which sets the count right again.
   */
  get heldCount(): number {
    return this.heap.size + this.indexed;
  }

  /** Holds the entry if its time has not come; returns whether it is held. Holding twice is harmless. */
  hold(key: number, deliverAt: number, tag: number): boolean {
    if (deliverAt <= this.clock.now()) return false;
    if (this.inMemory.has(key)) return true;
    const item = { at: deliverAt, key, tag };
    if (before(deliverAt, key, this.horizonAt, this.horizonKey)) {
      this.pushInMemory(item);
      if (this.heap.size > this.options.maxInMemory && this.index) this.spillLaterHalf();
      this.scheduleTimer();
    } else {
      this.index!.put(item);
      this.indexed++;
      if (this.loading) this.heldWhileLoading.push(item);
    }
    return true;
  }

  hasDue(): boolean {
    return this.heap.minAt <= this.clock.now();
  }

  /** Removes and returns up to `limit` entries whose time has come, earliest first. */
  takeDue(limit: number): DueEntry[] {
    const now = this.clock.now();
    const due: DueEntry[] = [];
    while (due.length < limit && this.heap.minAt <= now) {
      const key = this.heap.topKey;
      due.push({ key, tag: this.heap.topTag });
      this.heap.removeTop();
      this.inMemory.delete(key);
    }
    if (this.heap.size < this.options.maxInMemory / 4) this.refill();
    this.scheduleTimer();
    return due;
  }

  /** Forgets what is in memory (the dispatcher reads the backlog again); the index stays. */
  clear(): void {
    this.generation++;
    this.heap.clear();
    this.inMemory.clear();
    this.heldWhileLoading = [];
    this.loading = false;
    this.horizonAt = this.index ? -Infinity : Infinity;
    this.horizonKey = -Infinity;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Infinity;
    this.refill();
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private pushInMemory(item: HeapItem): void {
    this.heap.push(item);
    this.inMemory.add(item.key);
  }

  /**
   * Memory is full: the later half goes to the index and the horizon moves down to it. A page being read
   * is dropped: it starts at the old horizon and would claim the spilled range as held in memory.
   */
  private spillLaterHalf(): void {
    if (this.loading) {
      this.loading = false;
      this.heldWhileLoading = [];
      this.generation++;
    }
    const items = this.heap.items().sort((a, b) => a.at - b.at || a.key - b.key);
    const keep = items.slice(0, Math.max(1, items.length >> 1));
    const spill = items.slice(keep.length);
    for (const item of spill) {
      this.index!.put(item);
      this.inMemory.delete(item.key);
    }
    this.indexed += spill.length;
    this.heap.reset(keep);
    this.horizonAt = spill[0]!.at;
    this.horizonKey = spill[0]!.key;
  }

  /** Reads the next page from the index when memory runs low and the index holds later entries. */
  private refill(): void {
    if (!this.index || this.loading || this.closed || this.horizonAt === Infinity) return;
    this.loading = true;
    const generation = this.generation;
    const limit = Math.max(1, Math.floor(this.options.maxInMemory / 2));
    this.index.page(this.horizonAt, this.horizonKey, limit).then(
      (page) => {
        if (generation !== this.generation) return;
        this.loaded(page, limit);
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.loading = false;
        this.logger?.warn('reading the delayed-delivery index failed', error);
      },
    );
  }

  private loaded(page: HeapItem[], limit: number): void {
    const last = page[page.length - 1];
    const full = page.length >= limit && last !== undefined;
    const [fromAt, fromKey] = [this.horizonAt, this.horizonKey];
    // Everything up to the last entry read is in memory now; the next page starts right after it.
    this.horizonAt = full ? last.at : Infinity;
    this.horizonKey = full ? last.key + 1 : -Infinity;
    this.index!.removeRange(fromAt, fromKey, this.horizonAt, this.horizonKey);
    // A short page was the index's last: nothing is left in it.
    this.indexed = full ? Math.max(0, this.indexed - page.length) : 0;
    for (const item of page) if (!this.inMemory.has(item.key)) this.pushInMemory(item);
    for (const item of this.heldWhileLoading) {
      if (!this.inMemory.has(item.key) && before(item.at, item.key, this.horizonAt, this.horizonKey)) this.pushInMemory(item);
    }
    this.heldWhileLoading = [];
    this.loading = false;
    if (this.heap.size > this.options.maxInMemory) this.spillLaterHalf();
    else if (this.heap.size < this.options.maxInMemory / 4) this.refill();
    this.scheduleTimer();
    if (this.hasDue()) this.onDue();
  }

  /** At the next entry's time, but not sooner than one tick after the last run (InMemoryDelayedDeliveryTracker.updateTimer). */
  private scheduleTimer(): void {
    if (this.closed || this.heap.size === 0) return;
    const now = this.clock.now();
    const delayMs = Math.max(this.heap.minAt - now, this.lastTickAt + this.options.tickMs - now, 0);
    // Holding thousands of entries a second must not re-arm a timer for each.
    if (this.timer && this.timerAt <= now + delayMs) return;
    this.timer?.cancel();
    this.timerAt = now + delayMs;
    this.timer = this.clock.schedule(() => this.fire(), delayMs);
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closed) return;
    this.lastTickAt = this.clock.now();
    // Timers may fire a little early; strict delivery waits for the clock.
    if (this.hasDue()) this.onDue();
    else this.scheduleTimer();
  }
}
