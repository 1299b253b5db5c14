import type { CursorState, Ledger, Position } from '../storage/types.js';
import { isBefore, positionFromKey, positionKey } from './positions.js';

const MAX_PERSISTED_RANGES = 10_000;

/**
 * A subscription's position in a ledger (Pulsar's ManagedCursor): everything at or before
 * `markDelete` is acknowledged, plus individually acknowledged entries above it.
 * `readPosition` is where dispatch of new entries continues.
 */
export class Cursor {
  private markDeletePosition: Position;
  private readonly individuallyAcked = new Set<number>();
  readPosition: Position;
  /** Bumped whenever readPosition moves backwards, so in-flight reads can tell they are stale. */
  generation = 0;
  private dirty = false;

  constructor(private readonly ledger: Ledger, state: CursorState) {
    this.markDeletePosition = state.markDelete;
    for (const [start, end] of state.individuallyDeleted) {
      for (let e = start.entryId; e <= end.entryId; e++) this.individuallyAcked.add(positionKey({ ledgerId: start.ledgerId, entryId: e }));
    }
    this.readPosition = this.firstUnacked();
    this.advanceMarkDelete();
  }

  get markDelete(): Position {
    return this.markDeletePosition;
  }

  isAcked(p: Position): boolean {
    return !isBefore(this.markDeletePosition, p) || this.individuallyAcked.has(positionKey(p));
  }

  /** Returns true if the entry was not acknowledged before. */
  ackIndividual(p: Position): boolean {
    if (this.isAcked(p)) return false;
    this.individuallyAcked.add(positionKey(p));
    this.advanceMarkDelete();
    this.dirty = true;
    return true;
  }

  ackCumulative(p: Position): void {
    if (!isBefore(this.markDeletePosition, p)) return;
    this.markDeletePosition = p;
    for (const key of this.individuallyAcked) {
      if (!isBefore(p, positionFromKey(key))) this.individuallyAcked.delete(key);
    }
    this.advanceMarkDelete();
    if (isBefore(this.readPosition, this.firstUnacked())) this.readPosition = this.firstUnacked();
    this.dirty = true;
  }

  /** Forget all acknowledgements after `p`'s predecessor: the next entry delivered is `p` (SEEK, reset). */
  resetTo(next: Position, markDelete: Position): void {
    this.markDeletePosition = markDelete;
    this.individuallyAcked.clear();
    this.readPosition = next;
    this.generation++;
    this.dirty = true;
  }

  /** Move the read position back to the first unacknowledged entry (redeliver everything). */
  rewind(): void {
    this.readPosition = this.firstUnacked();
    this.generation++;
  }

  firstUnacked(): Position {
    return this.ledger.positionAfter(this.markDeletePosition, 1);
  }

  /** Unacknowledged entries after the mark-delete position. */
  backlogEntries(): number {
    const last = this.ledger.lastPosition();
    if (!last || !isBefore(this.markDeletePosition, last)) return 0;
    return Math.max(0, this.ledger.countEntries(this.markDeletePosition, last) - this.individuallyAcked.size);
  }

  takeDirty(): boolean {
    const was = this.dirty;
    this.dirty = false;
    return was;
  }

  state(properties: Record<string, string>): CursorState {
    return { markDelete: this.markDeletePosition, individuallyDeleted: this.ackedRanges(), properties };
  }

  private advanceMarkDelete(): void {
    for (;;) {
      const next = this.ledger.positionAfter(this.markDeletePosition, 1);
      const key = positionKey(next);
      if (!this.individuallyAcked.has(key)) return;
      this.individuallyAcked.delete(key);
      this.markDeletePosition = next;
    }
  }

  /** Pulsar persists at most managedLedgerMaxUnackedRangesToPersist=10000 ranges; acks beyond come back after a restart. */
  private ackedRanges(): Array<[Position, Position]> {
    const keys = [...this.individuallyAcked].sort((a, b) => a - b);
    const ranges: Array<[Position, Position]> = [];
    for (const key of keys) {
      const p = positionFromKey(key);
      const last = ranges[ranges.length - 1];
      if (last && last[1].ledgerId === p.ledgerId && last[1].entryId + 1 === p.entryId) last[1] = p;
      else if (ranges.length < MAX_PERSISTED_RANGES) ranges.push([p, p]);
      else break;
    }
    return ranges;
  }
}
