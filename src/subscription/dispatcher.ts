import type { Clock } from '../clock.js';
import type { Logger } from '../config/logger.js';
import { scanDispatchFields, type DispatchFields } from '../protocol/metadata-scan.js';
import { messagesInEntry, readEntryMetadata } from '../protocol/peek.js';
import type { MessageMetadata } from '../protocol/wire-types.js';
import type { Entry, Ledger, Position } from '../storage/types.js';
import { ackBitsToWire, countAckBits } from './batch-ack-sets.js';
import type { Consumer } from './consumer.js';
import type { Cursor } from './cursor.js';
import { DelayedDeliveryTracker, type DelayedDeliveryOptions, type DelayedIndex } from './delayed-delivery-tracker.js';
import { isBefore, positionFromKey, positionKey } from './positions.js';

/** What Shared and Key_Shared dispatchers need to hold messages with a future deliver_at_time. */
export interface DelayedDeliverySetup {
  readonly clock: Clock;
  readonly options: DelayedDeliveryOptions;
  /**
   * The persistent index of one dispatcher kind (tags differ between kinds: Key_Shared keeps hash slots, which
   * depend on its selector). Absent for non-durable subscriptions: everything then stays in memory.
   */
  readonly index?: (kind: string) => DelayedIndex;
}

/** What one MESSAGE charged: the messages still unacknowledged in the entry, and its batch size. */
export interface Delivered {
  readonly messages: number;
  readonly batchSize: number;
}

export interface DispatchContext {
  readonly ledger: Ledger;
  readonly cursor: Cursor;
  /** Partition index of the topic (-1 when not partitioned), echoed in MessageIdData. */
  readonly partitionIndex: number;
  readonly readBatchSize: number;
  readonly logger: Logger;
  /** Delayed delivery (Shared and Key_Shared); absent: messages go out at once, as when Pulsar disables it. */
  readonly delayedDelivery?: DelayedDeliverySetup;
}

/**
 * Moves entries from the ledger to consumers as permits allow. One read is in flight at a time;
 * trigger() coalesces the wake-ups (new entries, FLOW, acks, consumers joining).
 */
export abstract class Dispatcher {
  protected readonly consumers: Consumer[] = [];
  private running = false;
  private rerun = false;
  protected closed = false;
  private delayedTracker: DelayedDeliveryTracker | undefined;

  constructor(protected readonly ctx: DispatchContext) {}

  abstract addConsumer(consumer: Consumer): void;
  abstract removeConsumer(consumer: Consumer): void;
  /** REDELIVER_UNACKNOWLEDGED_MESSAGES: every unacked entry of the consumer, or only `positions`. */
  abstract redeliver(consumer: Consumer, positions: Position[] | undefined): void;
  /** Called after the cursor acknowledged `position` for `consumer`. */
  abstract acked(consumer: Consumer | undefined, position: Position): void;
  /** The cursor was reset (seek): forget what was in flight. */
  abstract reset(): void;
  /** Some messages of a batch entry `consumer` holds were acknowledged (batch-index ack). */
  ackedPartially(_consumer: Consumer, _position: Position, _messages: number): void {}
  /** Everything up to `markDelete` was acknowledged in bulk (cumulative ack, expiry): drop per-entry state. */
  forgetUpTo(_markDelete: Position): void {}
  protected abstract dispatchOnce(): Promise<void>;

  connectedConsumers(): readonly Consumer[] {
    return this.consumers;
  }

  /** Reset (seek): every consumer forgets what it had in flight. */
  protected clearConsumersPending(): void {
    for (const consumer of this.consumers) {
      consumer.clearPending();
      consumer.blocked = false;
    }
  }

  trigger(): void {
    if (this.closed) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  close(): void {
    this.closed = true;
  }

  /** Creates the tracker for a dispatcher that holds delayed messages (Pulsar: Shared and Key_Shared). */
  protected createDelayedTracker(kind: string): DelayedDeliveryTracker | undefined {
    const setup = this.ctx.delayedDelivery;
    if (!setup) return undefined;
    this.delayedTracker = new DelayedDeliveryTracker(setup.clock, setup.options, setup.index?.(kind), () => this.trigger(), this.ctx.logger);
    return this.delayedTracker;
  }

  /** Delayed messages held back now (the msgDelayed stat); 0 for dispatchers that deliver at once. */
  delayedMessageCount(): number {
    return this.delayedTracker?.heldCount ?? 0;
  }

  /**
   * The entries at `keys` (position keys), undefined where an entry is gone. Runs of consecutive positions are
   * read with one read each: replayed entries (delayed ones falling due, redeliveries) often come in runs.
   */
  protected async readPositions(keys: readonly number[]): Promise<Array<Entry | undefined>> {
    const order = keys.map((key, i) => [key, i] as const).sort((a, b) => a[0] - b[0]);
    const result = new Array<Entry | undefined>(keys.length);
    const reads: Array<Promise<void>> = [];
    for (let start = 0; start < order.length;) {
      let end = start + 1;
      while (end < order.length && order[end]![0] === order[end - 1]![0] + 1) end++;
      const run = order.slice(start, end);
      reads.push(this.ctx.ledger.read(positionFromKey(run[0]![0]), run.length).then((entries) => {
        const byKey = new Map(entries.map((entry) => [positionKey(entry.position), entry]));
        for (const [key, index] of run) result[index] = byKey.get(key);
      }));
      start = end;
    }
    await Promise.all(reads);
    return result;
  }

  /** Batch size, deliver_at_time and marker type of an entry, undefined (logged) when its metadata is unreadable. */
  protected dispatchFieldsOf(entry: Entry): DispatchFields | undefined {
    const scanned = scanDispatchFields(entry.data);
    if (scanned) return scanned;
    const metadata = this.metadataOf(entry);
    if (!metadata) return undefined;
    return { messages: messagesInEntry(metadata), deliverAt: Number(metadata.deliver_at_time ?? 0), markerType: metadata.marker_type ?? 0 };
  }

  /** The entry's metadata, or undefined (logged) when it cannot be read. */
  protected metadataOf(entry: Entry): MessageMetadata | undefined {
    try {
      return readEntryMetadata(entry.data);
    } catch (error) {
      this.ctx.logger.warn(`entry ${entry.position.ledgerId}:${entry.position.entryId} has unreadable metadata`, error);
      return undefined;
    }
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.rerun = false;
        await this.dispatchOnce();
      } while (this.rerun && !this.closed);
    } catch (error) {
      this.ctx.logger.error('dispatch failed', error);
    } finally {
      this.running = false;
    }
  }

  protected hasEntriesFrom(from: Position): boolean {
    const last = this.ctx.ledger.lastPosition();
    return last !== null && !isBefore(last, from);
  }

  /** Whether `entry` must wait for its deliver_at_time; if so the tracker now holds it. */
  protected holdIfDelayed(tracker: DelayedDeliveryTracker | undefined, entry: Entry,
    fields: Pick<DispatchFields, 'deliverAt' | 'markerType'> | undefined, tag: number): boolean {
    // Markers are never delayed (PersistentDispatcherMultipleConsumers.trackDelayedDelivery).
    if (!tracker || !fields?.deliverAt || fields.markerType) return false;
    return tracker.hold(positionKey(entry.position), fields.deliverAt, tag);
  }

  /**
   * Sends one entry and charges the consumer's permits with the messages it carries
   * (`knownMessages` when the caller already read the entry's metadata). A partly acknowledged batch
   * goes with its ack set and is charged only for the messages still unacknowledged (Consumer.sendMessages).
   */
  protected deliver(consumer: Consumer, entry: Entry, redeliveryCount: number, knownMessages?: number): Delivered {
    const batchSize = knownMessages ?? this.dispatchFieldsOf(entry)?.messages ?? 1;
    const ackBits = this.ctx.cursor.ackSetOf(entry.position);
    const messages = ackBits ? countAckBits(ackBits) : batchSize;
    consumer.permits -= messages;
    consumer.msgOutCounter += messages;
    consumer.bytesOutCounter += entry.data.length;
    const ackSet = ackBits ? ackBitsToWire(ackBits) : undefined;
    consumer.sender.sendMessage(consumer.id, entry.position, this.ctx.partitionIndex, redeliveryCount, entry.data, ackSet);
    return { messages, batchSize };
  }
}


export function nextPositionAfter(entry: Entry): Position {
  return { ledgerId: entry.position.ledgerId, entryId: entry.position.entryId + 1 };
}
