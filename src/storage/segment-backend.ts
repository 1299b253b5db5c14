import type { Ledger, Position, Storage } from './types.js';

/** Durable state of one segment as the ledger sees it. Both counts only cover durable entries. */
export interface SegmentHandle {
  readonly ledgerId: number;
  readonly entryCount: number;
  /** Sum of the entries' data lengths (record framing not included). */
  readonly sizeBytes: number;
}

export interface SegmentReadRequest {
  readonly fromEntryId: number;
  /** Exclusive; never beyond the segment's durable entryCount. */
  readonly toEntryId: number;
  /** Stop before the returned data would exceed this many bytes... */
  readonly maxBytes: number;
  /** ...except that the first entry is returned whatever its size when this is true. */
  readonly takeFirst: boolean;
}

/**
 * What differs between storage implementations; LedgerCore holds everything else
 * (positions, group commit, rollover, trimming). Methods are never called concurrently
 * for the same segment except readEntries, which may overlap anything.
 */
export interface SegmentBackend<S extends SegmentHandle> {
  /** Takes a new ledgerId from the storage-wide counter and durably creates an empty segment. */
  createSegment(): Promise<S>;
  /** Durably appends entries after the segment's last durable entry, then grows entryCount/sizeBytes. */
  appendBatch(segment: S, entries: readonly Buffer[]): Promise<void>;
  /** Entries fromEntryId.. of the durable part, limited as the request says. */
  readEntries(segment: S, request: SegmentReadRequest): Promise<Buffer[]>;
  /** No more appends will go to this segment (it rolled over). Never throws. */
  sealSegment(segment: S): Promise<void>;
  /** Durably remembers the last position of segments about to be removed. */
  saveTrimmedPosition(position: Position): Promise<void>;
  removeSegment(segment: S): Promise<void>;
  close(): Promise<void>;
  /** Removes all data of the ledger; called after close(). */
  destroy(): Promise<void>;
}

/** What a backend recovered when a ledger was opened. */
export interface RecoveredLedger<S extends SegmentHandle> {
  /** Non-empty segments, oldest first. */
  readonly segments: S[];
  /** Last position of segments removed by trimBefore, so lastPosition() survives a full trim. */
  readonly trimmedPosition: Position | null;
}

/** Counters for tests and metrics. */
export interface LedgerStats {
  /** Entries made durable since the ledger was opened. */
  readonly appendedEntries: number;
  /** Group commits (one write + one fsync each) since the ledger was opened. */
  readonly flushes: number;
  readonly pendingAppends: number;
  readonly pendingBytes: number;
  readonly fenced: boolean;
}

export interface InstrumentedLedger extends Ledger {
  stats(): LedgerStats;
}

export interface InstrumentedStorage extends Storage {
  openLedger(name: string): Promise<InstrumentedLedger>;
}
