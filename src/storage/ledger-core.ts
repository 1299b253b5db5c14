/**
 * The Ledger contract on top of a SegmentBackend: positions, reads across segments, trimming and
 * closing. Shared by the file and the memory storage so both behave the same by construction.
 */
import { StorageError, invariant } from './errors.js';
import { LedgerWriter } from './ledger-writer.js';
import { requireCount, type ResolvedLedgerOptions } from './options.js';
import type {
  InstrumentedLedger,
  LedgerStats,
  RecoveredLedger,
  SegmentBackend,
  SegmentHandle,
  SegmentReadRequest,
} from './segment-backend.js';
import {
  countEntriesBetween,
  firstEntryAtOrAfter,
  firstSegmentAtOrAfter,
  lastEntryOf,
  maxPosition,
  positionAfterEntries,
  requirePosition,
} from './segment-math.js';
import { comparePositions, type Entry, type Position, type SegmentInfo } from './types.js';

export interface LedgerCoreHooks {
  /** Called when close() or delete() starts; `done` settles when the ledger is fully closed. */
  onClosing(name: string, done: Promise<void>): void;
}

export async function openLedgerCore<S extends SegmentHandle>(
  name: string,
  backend: SegmentBackend<S>,
  recovered: RecoveredLedger<S>,
  options: ResolvedLedgerOptions,
  hooks: LedgerCoreHooks,
): Promise<InstrumentedLedger> {
  const ledger = new LedgerCore(name, backend, recovered, options, hooks);
  try {
    await ledger.writer.startSegment();
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw error;
  }
  return ledger;
}

class LedgerCore<S extends SegmentHandle> implements InstrumentedLedger {
  readonly writer: LedgerWriter<S>;
  /** Oldest first; the last one is the segment being written. Trimming removes a prefix. */
  private readonly segmentList: S[];
  private readonly removed = new WeakSet<S>();
  private trimmedPosition: Position | null;
  private trimChain: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly backend: SegmentBackend<S>,
    recovered: RecoveredLedger<S>,
    private readonly options: ResolvedLedgerOptions,
    private readonly hooks: LedgerCoreHooks,
  ) {
    this.segmentList = [...recovered.segments];
    this.trimmedPosition = recovered.trimmedPosition;
    this.writer = new LedgerWriter(name, backend, this.segmentList, options);
  }

  append(data: Buffer): Promise<Position> {
    return this.writer.append(data);
  }

  async read(from: Position, maxEntries: number, maxBytes?: number): Promise<Entry[]> {
    this.requireOpen();
    requirePosition('from', from);
    requireCount('maxEntries', maxEntries);
    if (maxBytes !== undefined) requireCount('maxBytes', maxBytes);
    const entries: Entry[] = [];
    let remainingBytes = maxBytes ?? this.options.defaultReadMaxBytes;
    const start = firstSegmentAtOrAfter(this.segmentList, from.ledgerId);
    for (const segment of this.segmentList.slice(start)) {
      if (entries.length >= maxEntries) break;
      const fromEntryId = firstEntryAtOrAfter(segment, from);
      const toEntryId = Math.min(segment.entryCount, fromEntryId + (maxEntries - entries.length));
      if (fromEntryId >= toEntryId) continue;
      const request = { fromEntryId, toEntryId, maxBytes: remainingBytes, takeFirst: entries.length === 0 };
      const datas = await this.readSegment(segment, request);
      if (datas === null) continue;
      for (let i = 0; i < datas.length; i++) {
        entries.push({ position: { ledgerId: segment.ledgerId, entryId: fromEntryId + i }, data: datas[i]! });
        remainingBytes -= datas[i]!.length;
      }
      if (datas.length < toEntryId - fromEntryId) break; // byte limit reached
    }
    return entries;
  }

  /** null when the segment was trimmed while being read: its entries are gone, skip it. */
  private async readSegment(segment: S, request: SegmentReadRequest): Promise<Buffer[] | null> {
    try {
      return await this.backend.readEntries(segment, request);
    } catch (error) {
      if (this.removed.has(segment)) return null;
      throw error;
    }
  }

  lastPosition(): Position | null {
    for (let i = this.segmentList.length - 1; i >= 0; i--) {
      const last = lastEntryOf(this.segmentList[i]!);
      if (last !== null) return last;
    }
    return this.trimmedPosition;
  }

  firstPosition(): Position {
    const first = this.segmentList.find((segment) => segment.entryCount > 0);
    return first === undefined ? this.nextPosition() : { ledgerId: first.ledgerId, entryId: 0 };
  }

  nextPosition(): Position {
    const current = this.writer.current;
    return { ledgerId: current.ledgerId, entryId: current.entryCount };
  }

  segments(): readonly SegmentInfo[] {
    return this.segmentList.map(({ ledgerId, entryCount, sizeBytes }) => ({ ledgerId, entryCount, sizeBytes }));
  }

  countEntries(fromExclusive: Position, toInclusive: Position): number {
    requirePosition('fromExclusive', fromExclusive);
    requirePosition('toInclusive', toInclusive);
    return countEntriesBetween(this.segmentList, fromExclusive, toInclusive);
  }

  positionAfter(from: Position, n: number): Position {
    requirePosition('from', from);
    return positionAfterEntries(this.segmentList, from, n, this.nextPosition());
  }

  trimBefore(position: Position): Promise<number> {
    try {
      this.requireOpen();
      requirePosition('position', position);
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.trimChain.then(() => this.trimNow(position));
    this.trimChain = result.catch(() => undefined);
    return result;
  }

  private async trimNow(position: Position): Promise<number> {
    const victims: S[] = [];
    for (const segment of this.segmentList) {
      if (segment === this.writer.current) break;
      const last = lastEntryOf(segment);
      if (last !== null && comparePositions(last, position) >= 0) break;
      victims.push(segment);
    }
    if (victims.length === 0) return 0;
    const trimmed = victims.reduce<Position | null>((acc, s) => maxPosition(acc, lastEntryOf(s)), null);
    const newTrimmed = maxPosition(this.trimmedPosition, trimmed);
    if (newTrimmed !== this.trimmedPosition && newTrimmed !== null) {
      await this.backend.saveTrimmedPosition(newTrimmed);
      this.trimmedPosition = newTrimmed;
    }
    victims.forEach((victim, i) => invariant(this.segmentList[i] === victim, 'trimming removes a prefix'));
    this.segmentList.splice(0, victims.length);
    for (const victim of victims) {
      this.removed.add(victim);
      await this.backend.removeSegment(victim);
    }
    return victims.length;
  }

  sizeBytes(): number {
    return this.segmentList.reduce((total, segment) => total + segment.sizeBytes, 0);
  }

  stats(): LedgerStats {
    const { appendedEntries, flushes, pendingAppends, pendingBytes, fenced } = this.writer;
    return { appendedEntries, flushes, pendingAppends, pendingBytes, fenced };
  }

  close(): Promise<void> {
    return this.startClosing(false);
  }

  delete(): Promise<void> {
    if (this.closing !== null) return Promise.reject(this.closedError());
    return this.startClosing(true);
  }

  private startClosing(destroy: boolean): Promise<void> {
    if (this.closing === null) {
      this.closing = this.closeNow(destroy);
      this.hooks.onClosing(this.name, this.closing);
    }
    return this.closing;
  }

  private async closeNow(destroy: boolean): Promise<void> {
    await this.writer.drain();
    await this.trimChain;
    await this.backend.close();
    if (destroy) await this.backend.destroy();
  }

  private requireOpen(): void {
    if (this.closing !== null) throw this.closedError();
  }

  private closedError(): StorageError {
    return new StorageError('LEDGER_CLOSED', `ledger ${this.name} is closed`);
  }
}
