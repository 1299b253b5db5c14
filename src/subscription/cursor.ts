import type { CursorState, Ledger, Position } from '../storage/types.js';
import { countAckBits, fullAckBits, mergeAckBits, type AckBits } from './batch-ack-sets.js';
import { isBefore, positionFromKey, positionKey } from './positions.js';

const MAX_PERSISTED_RANGES = 10_000;
/** Pulsar's managedLedgerMaxBatchDeletedIndexToPersist: partly acked batches beyond it come back whole after a restart. */
const MAX_PERSISTED_BATCH_ACK_SETS = 10_000;

/**
 * A subscription's position in a ledger (Pulsar's ManagedCursor): everything at or before
 * `markDelete` is acknowledged, plus individually acknowledged entries above it.
 * `readPosition` is where dispatch of new entries continues.
 */
export class Cursor {
  private markDeletePosition: Position;
  private readonly individuallyAcked = new Set<number>();
  /** Partly acknowledged batch entries: bit i set = message i still unacknowledged (batchDeletedIndexes). */
  private readonly batchAcks = new Map<number, AckBits>();
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
    for (const [position, words] of state.batchAckSets ?? []) {
      if (!this.isAcked(position)) this.batchAcks.set(positionKey(position), Uint32Array.from(words));
    }
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
    this.batchAcks.delete(positionKey(p));
    this.individuallyAcked.add(positionKey(p));
    this.advanceMarkDelete();
    this.dirty = true;
    return true;
  }

  /** Messages of a partly acknowledged batch entry still unacknowledged, if any were acknowledged. */
  ackSetOf(p: Position): AckBits | undefined {
    return this.batchAcks.get(positionKey(p));
  }

  /**
   * Batch-index ack (ManagedCursorImpl with deletion at batch index level): `given` is AND-merged into
   * what the entry had; once no message is left the whole entry is acknowledged. `batchSize` is the
   * entry's message count when known (it says how many an entry's first partial ack acknowledged).
   */
  ackBatchIndexes(p: Position, given: AckBits, batchSize: number | undefined): { acked: number; entryAcked: boolean } {
    if (this.isAcked(p)) return { acked: 0, entryAcked: false };
    const key = positionKey(p);
    let stored = this.batchAcks.get(key);
    let acked = 0;
    if (stored || batchSize !== undefined) {
      stored ??= fullAckBits(batchSize!);
      acked = mergeAckBits(stored, given);
    } else {
      // Without the batch size the count is unknown, as in Pulsar when the entry is not pending for the consumer.
      stored = Uint32Array.from(given);
    }
    this.batchAcks.set(key, stored);
    this.dirty = true;
    if (countAckBits(stored) > 0) return { acked, entryAcked: false };
    this.ackIndividual(p);
    return { acked, entryAcked: true };
  }

  ackCumulative(p: Position): void {
    if (!isBefore(this.markDeletePosition, p)) return;
    this.markDeletePosition = p;
    for (const key of this.individuallyAcked) {
      if (!isBefore(p, positionFromKey(key))) this.individuallyAcked.delete(key);
    }
    for (const key of this.batchAcks.keys()) {
      if (!isBefore(p, positionFromKey(key))) this.batchAcks.delete(key);
    }
    this.advanceMarkDelete();
    if (isBefore(this.readPosition, this.firstUnacked())) this.readPosition = this.firstUnacked();
    this.dirty = true;
  }

  /** Forget all acknowledgements after `p`'s predecessor: the next entry delivered is `p` (SEEK, reset). */
  resetTo(next: Position, markDelete: Position): void {
    this.markDeletePosition = markDelete;
    this.individuallyAcked.clear();
    this.batchAcks.clear();
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
    const state: CursorState = { markDelete: this.markDeletePosition, individuallyDeleted: this.ackedRanges(), properties };
    if (this.batchAcks.size === 0) return state;
    const sets = [...this.batchAcks].sort((a, b) => a[0] - b[0]).slice(0, MAX_PERSISTED_BATCH_ACK_SETS);
    return { ...state, batchAckSets: sets.map(([key, bits]) => [positionFromKey(key), [...bits]] as const) };
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
