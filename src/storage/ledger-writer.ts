/**
 * Group commit: append() only queues; one flush at a time takes everything queued that fits the
 * current segment, makes it durable with one backend call (one write + one fsync) and resolves the
 * batch in order. Appends arriving meanwhile wait for the next flush, which starts right after.
 */
import { SegmentWriteError, StorageError, invariant } from './errors.js';
import type { ResolvedLedgerOptions } from './options.js';
import type { SegmentBackend, SegmentHandle } from './segment-backend.js';
import type { Position } from './types.js';

/** Upper bound of one flush, so the concatenated write buffer stays small. */
const MAX_FLUSH_BYTES = 8 * 1024 * 1024;

interface PendingAppend {
  readonly data: Buffer;
  readonly resolve: (position: Position) => void;
  readonly reject: (error: unknown) => void;
}

export class LedgerWriter<S extends SegmentHandle> {
  private queue: PendingAppend[] = [];
  private queuedBytes = 0;
  private flushing = false;
  private idleWaiters: Array<() => void> = [];
  private fenceCause: unknown = null;
  private accepting = true;
  appendedEntries = 0;
  flushes = 0;

  constructor(
    private readonly ledgerName: string,
    private readonly backend: SegmentBackend<S>,
    /** Shared with LedgerCore; the writer only pushes new segments at the end. */
    private readonly segments: S[],
    private readonly options: ResolvedLedgerOptions,
  ) {}

  get current(): S {
    const segment = this.segments[this.segments.length - 1];
    invariant(segment !== undefined, 'a ledger always has a current segment');
    return segment;
  }

  get fenced(): boolean {
    return this.fenceCause !== null;
  }

  get pendingAppends(): number {
    return this.queue.length;
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Opens the segment appends go to; called once when the ledger opens. */
  async startSegment(): Promise<void> {
    const segment = await this.backend.createSegment();
    this.pushSegment(segment);
  }

  append(data: Buffer): Promise<Position> {
    if (!this.accepting) {
      return Promise.reject(new StorageError('LEDGER_CLOSED', `ledger ${this.ledgerName} is closed`));
    }
    if (this.fenced) return Promise.reject(this.fencedError());
    if (!Buffer.isBuffer(data)) {
      return Promise.reject(new StorageError('INVALID_ARGUMENT', 'append() needs a Buffer'));
    }
    if (data.length > this.options.maxEntryBytes) {
      return Promise.reject(
        new StorageError('ENTRY_TOO_LARGE', `entry of ${data.length} bytes exceeds ${this.options.maxEntryBytes}`),
      );
    }
    return new Promise<Position>((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      this.queuedBytes += data.length;
      this.scheduleFlush();
    });
  }

  /** Stops accepting appends; resolves once everything queued before was flushed or rejected. */
  async drain(): Promise<void> {
    this.accepting = false;
    if (!this.flushing && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    // setImmediate rather than a microtask: appends from all sockets read in this I/O phase join the batch.
    setImmediate(() => void this.flushLoop());
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if (this.fenced) {
          this.rejectQueued(this.fencedError());
          break;
        }
        if (this.isCurrentFull() && !(await this.rollOver())) continue;
        await this.flushBatch(this.takeBatch());
      }
      // Roll over eagerly so nextPosition() moves on and the full segment becomes trimmable.
      if (this.isCurrentFull() && this.accepting && !this.fenced) await this.rollOver();
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.scheduleFlush();
      else this.notifyIdle();
    }
  }

  private isCurrentFull(): boolean {
    const segment = this.current;
    return (
      segment.entryCount >= this.options.maxSegmentEntries || segment.sizeBytes >= this.options.maxSegmentBytes
    );
  }

  /** Everything queued that still fits the current segment (at least one entry) and MAX_FLUSH_BYTES. */
  private takeBatch(): PendingAppend[] {
    const segment = this.current;
    const roomEntries = this.options.maxSegmentEntries - segment.entryCount;
    let count = 0;
    let batchBytes = 0;
    while (count < this.queue.length && count < roomEntries) {
      const sizeBytes = this.queue[count]!.data.length;
      const segmentFull = segment.sizeBytes + batchBytes >= this.options.maxSegmentBytes;
      if (count > 0 && (segmentFull || batchBytes + sizeBytes > MAX_FLUSH_BYTES)) break;
      count++;
      batchBytes += sizeBytes;
    }
    invariant(count > 0, 'a flush takes at least one entry');
    this.queuedBytes -= batchBytes;
    return this.queue.splice(0, count);
  }

  private async flushBatch(batch: PendingAppend[]): Promise<void> {
    const segment = this.current;
    const firstEntryId = segment.entryCount;
    try {
      await this.backend.appendBatch(segment, batch.map((pending) => pending.data));
    } catch (error) {
      // Anything but a clean, rolled-back write failure leaves bytes of unknown durability behind.
      if (!(error instanceof SegmentWriteError) || error.durabilityUnknown) this.fenceCause = error;
      for (const pending of batch) pending.reject(error);
      return;
    }
    invariant(segment.entryCount === firstEntryId + batch.length, 'a flush appends exactly its batch');
    this.flushes++;
    this.appendedEntries += batch.length;
    for (let i = 0; i < batch.length; i++) {
      batch[i]!.resolve({ ledgerId: segment.ledgerId, entryId: firstEntryId + i });
    }
  }

  /** Returns false (after rejecting what is queued) when the new segment could not be created. */
  private async rollOver(): Promise<boolean> {
    const previous = this.current;
    try {
      this.pushSegment(await this.backend.createSegment());
    } catch (error) {
      this.rejectQueued(error);
      return false;
    }
    await this.backend.sealSegment(previous);
    return true;
  }

  private pushSegment(segment: S): void {
    const last = this.segments[this.segments.length - 1];
    invariant(last === undefined || segment.ledgerId > last.ledgerId, 'ledger ids only grow');
    invariant(segment.entryCount === 0, 'a new segment starts empty');
    this.segments.push(segment);
  }

  private rejectQueued(error: unknown): void {
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const pending of queued) pending.reject(error);
  }

  private fencedError(): StorageError {
    return new StorageError(
      'LEDGER_FENCED',
      `ledger ${this.ledgerName} stopped appending after a failed fsync; reopen it`,
      { cause: this.fenceCause },
    );
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
