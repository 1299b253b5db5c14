import type { Clock } from '../clock.js';
import type { Logger } from '../config/logger.js';
import { EntryFormatError, readEntryMetadata } from '../protocol/peek.js';
import type { MessageMetadata } from '../protocol/wire-types.js';
import type { Ledger, MetadataStore, Position } from '../storage/types.js';
import { isBefore, previousOf } from '../subscription/positions.js';

/** Pulsar's MessageDeduplication.MessageDupStatus. */
export type DupStatus = 'NotDup' | 'Dup' | 'Unknown';

/** Sequence ids are 64-bit: numbers, or BigInts above 2^53 (protocol/wide-integers.ts). */
export type SequenceId = number | bigint;

function highest(a: SequenceId, b: SequenceId): SequenceId {
  return a > b ? a : b;
}

export interface DeduplicationSettings {
  /** brokerDeduplicationEntriesInterval: a snapshot after this many persisted entries. */
  readonly entriesInterval: number;
  /** brokerDeduplicationMaxNumberOfProducers: producers kept in a snapshot. */
  readonly maxProducers: number;
  /** brokerDeduplicationSnapshotIntervalSeconds, in ms: a snapshot at least this often while entries arrive. */
  readonly snapshotIntervalMs: number;
  /** brokerDeduplicationProducerInactivityTimeoutMinutes, in ms: names of producers gone longer are forgotten. */
  readonly producerInactivityMs: number;
}

export const DEFAULT_DEDUPLICATION_SETTINGS: DeduplicationSettings = {
  entriesInterval: 1000, maxProducers: 10_000, snapshotIntervalMs: 120_000, producerInactivityMs: 360 * 60_000,
};

/**
 * The persisted snapshot: highest persisted sequence id per producer name, covering entries up to `md`.
 * Ids above 2^53 are kept as decimal strings (JSON has no 64-bit integers).
 */
interface Snapshot {
  readonly md: [number, number];
  readonly producers: Record<string, number | string>;
}

const REPLAY_BATCH = 100;

/**
 * Producer deduplication for one topic (Pulsar's MessageDeduplication). Keyed by producer name:
 * `pushed` is the highest sequence id accepted for writing, `persisted` the highest written.
 *
 * Survives a crash at any point of a write: a receipt is sent only after the entry is durable, the
 * snapshot covers entries up to its position, and on recovery every entry after that position is read
 * again for its producer name and sequence ids. The topic keeps those entries (retainFrom()), the way
 * Pulsar's `pulsar.dedup` cursor holds the ledger.
 */
export class MessageDeduplication {
  private status: 'Disabled' | 'Recovering' | 'Enabled' = 'Disabled';
  private readonly pushed = new Map<string, SequenceId>();
  private readonly persistedIds = new Map<string, SequenceId>();
  private readonly inactiveSince = new Map<string, number>();
  private snapshotPosition: Position | undefined;
  private entriesSinceSnapshot = 0;
  private lastSnapshotAt = 0;
  private lastPersisted: Position | undefined;
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly topic: string,
    private readonly ledger: Ledger,
    private readonly metadata: MetadataStore,
    private readonly settings: DeduplicationSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.status === 'Enabled';
  }

  /** Enables (recovering the state) or disables (dropping it) as the policy says (MessageDeduplication.checkStatus). */
  setEnabled(enabled: boolean): Promise<void> {
    this.transition = this.transition.then(async () => {
      if (enabled && this.status === 'Disabled') await this.enable();
      else if (!enabled && this.status === 'Enabled') await this.disable();
    });
    return this.transition;
  }

  /**
   * isDuplicateNormal: a sequence id at or below the highest accepted is a duplicate when it is also at or
   * below the highest persisted, and "unknown" (still being written) otherwise. Only the last chunk of a
   * chunked message is checked.
   */
  check(producerName: string, sequenceId: SequenceId, highestSequenceId: SequenceId, metadata: MessageMetadata | undefined): DupStatus {
    if (!this.enabled || metadata?.marker_type || isEarlierChunk(metadata)) return 'NotDup';
    const lastPushed = this.pushed.get(producerName);
    if (lastPushed !== undefined && sequenceId <= lastPushed) {
      const lastPersisted = this.persistedIds.get(producerName);
      return lastPersisted !== undefined && sequenceId <= lastPersisted ? 'Dup' : 'Unknown';
    }
    this.pushed.set(producerName, highest(highestSequenceId, sequenceId));
    return 'NotDup';
  }

  /** recordMessagePersisted: the entry is durable at `position`. */
  persisted(producerName: string, sequenceId: SequenceId, highestSequenceId: SequenceId, metadata: MessageMetadata | undefined,
    position: Position): void {
    if (!this.enabled || metadata?.marker_type || isEarlierChunk(metadata)) return;
    this.persistedIds.set(producerName, highest(highestSequenceId, sequenceId));
    this.lastPersisted = position;
    if (++this.entriesSinceSnapshot >= this.settings.entriesInterval) void this.takeSnapshot(position);
  }

  /** A write failed: what was accepted but not written may be sent again (resetHighestSequenceIdPushed). */
  writeFailed(): void {
    if (!this.enabled) return;
    this.pushed.clear();
    for (const [name, id] of this.persistedIds) this.pushed.set(name, id);
  }

  /** PRODUCER_SUCCESS.last_sequence_id (getLastPublishedSequenceId: the highest accepted, -1 if none). */
  lastSequenceId(producerName: string): SequenceId {
    return this.enabled ? this.pushed.get(producerName) ?? -1 : -1;
  }

  producerAdded(name: string): void {
    this.inactiveSince.delete(name);
  }

  /** Names of producers gone are kept (for their reconnect) up to maxProducers, the longest gone forgotten first. */
  producerRemoved(name: string): void {
    if (!this.enabled) return;
    this.inactiveSince.delete(name);
    this.inactiveSince.set(name, this.clock.now());
    for (const oldest of this.inactiveSince.keys()) {
      if (this.inactiveSince.size <= this.settings.maxProducers) break;
      this.forget(oldest);
    }
  }

  private forget(name: string): void {
    this.inactiveSince.delete(name);
    this.pushed.delete(name);
    this.persistedIds.delete(name);
  }

  /** The first position recovery must read again: trimming must keep it. */
  retainFrom(): Position | undefined {
    if (!this.enabled || !this.snapshotPosition) return undefined;
    return this.ledger.positionAfter(this.snapshotPosition, 1);
  }

  /** Periodic work: a snapshot when entries arrived since the last one long ago, and forgetting long-gone producers. */
  async housekeeping(): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock.now();
    for (const [name, since] of this.inactiveSince) {
      if (now - since >= this.settings.producerInactivityMs) this.forget(name);
    }
    const last = this.lastPersisted;
    const stale = now - this.lastSnapshotAt >= this.settings.snapshotIntervalMs;
    if (stale && last && (!this.snapshotPosition || isBefore(this.snapshotPosition, last))) await this.takeSnapshot(last);
  }

  /** On topic close: a last snapshot shortens the next recovery. */
  async close(): Promise<void> {
    await this.transition;
    if (this.enabled && this.lastPersisted && this.snapshotPosition && isBefore(this.snapshotPosition, this.lastPersisted)) {
      await this.takeSnapshot(this.lastPersisted);
    }
  }

  private get key(): string {
    return dedupSnapshotKey(this.topic);
  }

  private async enable(): Promise<void> {
    this.status = 'Recovering';
    try {
      const snapshot = await this.metadata.get<Snapshot>(this.key);
      if (snapshot) await this.recover(snapshot);
      else await this.startFresh();
      this.status = 'Enabled';
      this.logger.info(`enabled deduplication on ${this.topic}`);
    } catch (error) {
      this.status = 'Disabled';
      this.logger.warn(`enabling deduplication on ${this.topic} failed`, error);
      throw error;
    }
  }

  /** Pulsar creates its dedup cursor at the end of the topic: what was written before is not tracked. */
  private async startFresh(): Promise<void> {
    this.lastSnapshotAt = this.clock.now();
    await this.writeSnapshot(this.ledger.lastPosition() ?? previousOf(this.ledger.nextPosition()));
  }

  private async recover(snapshot: Snapshot): Promise<void> {
    for (const [name, id] of Object.entries(snapshot.producers)) this.remember(name, typeof id === 'string' ? BigInt(id) : id);
    this.snapshotPosition = { ledgerId: snapshot.md[0], entryId: snapshot.md[1] };
    let from = this.ledger.positionAfter(this.snapshotPosition, 1);
    let replayed = 0;
    for (;;) {
      const entries = await this.ledger.read(from, REPLAY_BATCH);
      if (entries.length === 0) break;
      for (const entry of entries) this.replayEntry(entry.data);
      replayed += entries.length;
      this.lastPersisted = entries[entries.length - 1]!.position;
      from = this.ledger.positionAfter(this.lastPersisted, 1);
    }
    this.entriesSinceSnapshot = replayed;
    this.lastSnapshotAt = this.clock.now();
    this.logger.debug(`replayed ${replayed} entries of ${this.topic} for deduplication`);
  }

  private replayEntry(data: Buffer): void {
    let metadata: MessageMetadata;
    try {
      metadata = readEntryMetadata(data);
    } catch (error) {
      if (error instanceof EntryFormatError) return;
      throw error;
    }
    // A chunk before the last carries the message's sequence id but does not complete it.
    if (metadata.marker_type || isEarlierChunk(metadata)) return;
    this.remember(metadata.producer_name, highest(metadata.highest_sequence_id ?? 0, metadata.sequence_id));
  }

  private remember(name: string, sequenceId: SequenceId): void {
    this.pushed.set(name, sequenceId);
    this.persistedIds.set(name, sequenceId);
    this.inactiveSince.set(name, this.clock.now());
  }

  private async disable(): Promise<void> {
    this.status = 'Disabled';
    this.pushed.clear();
    this.persistedIds.clear();
    this.inactiveSince.clear();
    this.snapshotPosition = undefined;
    await this.metadata.delete(this.key);
    this.logger.info(`disabled deduplication on ${this.topic}`);
  }

  private async takeSnapshot(position: Position): Promise<void> {
    this.entriesSinceSnapshot = 0;
    this.lastSnapshotAt = this.clock.now();
    try {
      await this.writeSnapshot(position);
    } catch (error) {
      this.logger.warn(`storing the deduplication snapshot of ${this.topic} failed`, error);
    }
  }

  private async writeSnapshot(position: Position): Promise<void> {
    const producers: Record<string, number | string> = {};
    let count = 0;
    for (const [name, id] of this.persistedIds) {
      if (count++ >= this.settings.maxProducers) break;
      producers[name] = typeof id === 'bigint' ? id.toString() : id;
    }
    const snapshot: Snapshot = { md: [position.ledgerId, position.entryId], producers };
    await this.metadata.put(this.key, snapshot);
    if (!this.snapshotPosition || isBefore(this.snapshotPosition, position)) this.snapshotPosition = position;
  }
}

/** Where a topic's snapshot lives in the metadata store (deleted with the topic). */
export function dedupSnapshotKey(topic: string): string {
  return `dedup/${topic}`;
}

function isEarlierChunk(metadata: MessageMetadata | undefined): boolean {
  const chunkId = metadata?.chunk_id;
  const chunks = metadata?.num_chunks_from_msg;
  return chunkId !== undefined && chunks !== undefined && chunks > 0 && chunkId !== chunks - 1;
}
