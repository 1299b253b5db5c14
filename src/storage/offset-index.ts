import { invariant } from './errors.js';

const INITIAL_CAPACITY = 1024;

/**
 * File offset of each record of a segment, 4 bytes per entry (segment files stay below 4 GiB).
 * endOffset is where the next record goes, so record i spans [offsetOf(i), offsetOf(i + 1)).
 */
export class OffsetIndex {
  private offsets = new Uint32Array(INITIAL_CAPACITY);
  private count = 0;

  constructor(private end: number) {}

  get entryCount(): number {
    return this.count;
  }

  get endOffset(): number {
    return this.end;
  }

  /** Offset of record entryId; entryId == entryCount gives endOffset. */
  offsetOf(entryId: number): number {
    invariant(entryId >= 0 && entryId <= this.count, `entry ${entryId} outside 0..${this.count}`);
    return entryId === this.count ? this.end : this.offsets[entryId]!;
  }

  push(recordOffset: number, recordBytes: number): void {
    invariant(recordOffset === this.end, 'records are contiguous');
    invariant(recordOffset + recordBytes <= 0xffff_ffff, 'segment offsets fit 32 bits');
    if (this.count === this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.count++] = recordOffset;
    this.end = recordOffset + recordBytes;
  }

  /** Gives back over-allocated capacity once a segment is sealed. */
  compact(): void {
    this.offsets = this.offsets.slice(0, Math.max(1, this.count));
  }
}
