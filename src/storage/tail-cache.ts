/**
 * The most recently appended entries of all ledgers of a storage, within one byte budget, so readers
 * that keep up with producers never touch the disk. Eviction is first-in-first-out across ledgers;
 * inside one segment that always removes the oldest cached entry, so each segment's cached entries
 * stay one contiguous run ending at its last durable entry.
 */
import { invariant } from './errors.js';

/** Charged per cached entry on top of its data, so even empty entries fill the budget. */
const ENTRY_OVERHEAD_BYTES = 64;

export class CacheRun {
  private entries: Array<Buffer | undefined> = [];
  private baseEntryId = 0;
  private head = 0;
  bytes = 0;
  dropped = false;

  /** First cached entry id; equals endEntryId when nothing is cached. */
  get firstEntryId(): number {
    return this.baseEntryId + this.head;
  }

  get endEntryId(): number {
    return this.baseEntryId + this.entries.length;
  }

  get(entryId: number): Buffer | undefined {
    return entryId >= this.firstEntryId ? this.entries[entryId - this.baseEntryId] : undefined;
  }

  add(firstEntryId: number, datas: readonly Buffer[]): void {
    if (this.firstEntryId === this.endEntryId) {
      this.entries = [];
      this.baseEntryId = firstEntryId;
      this.head = 0;
    }
    invariant(firstEntryId === this.endEntryId, 'cached entries of a segment are contiguous');
    for (const data of datas) {
      this.entries.push(data);
      this.bytes += data.length + ENTRY_OVERHEAD_BYTES;
    }
  }

  /** Removes the oldest cached entry and returns the bytes it was charged. */
  evictOldest(): number {
    const data = this.entries[this.head];
    invariant(data !== undefined, 'evicting from an empty cache run');
    this.entries[this.head++] = undefined;
    const chargedBytes = data.length + ENTRY_OVERHEAD_BYTES;
    this.bytes -= chargedBytes;
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.baseEntryId += this.head;
      this.head = 0;
    }
    return chargedBytes;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
  }
}

interface CacheInsert {
  readonly run: CacheRun;
  count: number;
}

export class TailCache {
  private inserts: CacheInsert[] = [];
  private insertsHead = 0;
  /** Queue length that triggers dropping records of removed segments from its middle. */
  private compactAtLength = 4096;
  private totalBytes = 0;

  constructor(readonly limitBytes: number) {}

  get sizeBytes(): number {
    return this.totalBytes;
  }

  add(run: CacheRun, firstEntryId: number, datas: readonly Buffer[]): void {
    if (this.limitBytes === 0 || run.dropped || datas.length === 0) return;
    const before = run.bytes;
    run.add(firstEntryId, datas);
    this.totalBytes += run.bytes - before;
    this.inserts.push({ run, count: datas.length });
    this.evict();
  }

  /** Forgets a segment's entries (segment removed or ledger closed). */
  drop(run: CacheRun): void {
    if (run.dropped) return;
    this.totalBytes -= run.bytes;
    run.clear();
    run.dropped = true;
  }

  private evict(): void {
    while (this.totalBytes > this.limitBytes && this.insertsHead < this.inserts.length) {
      const oldest = this.inserts[this.insertsHead]!;
      if (oldest.run.dropped || oldest.count === 0) {
        this.insertsHead++;
        continue;
      }
      this.totalBytes -= oldest.run.evictOldest();
      oldest.count--;
    }
    if (this.inserts.length - this.insertsHead > this.compactAtLength || this.insertsHead > this.compactAtLength) {
      this.inserts = this.inserts.slice(this.insertsHead).filter((insert) => !insert.run.dropped && insert.count > 0);
      this.insertsHead = 0;
      this.compactAtLength = Math.max(4096, this.inserts.length * 2);
    }
    invariant(this.totalBytes >= 0, 'cache size never negative');
  }
}
