import type { Logger } from '../config/logger.js';
import { messagesInEntry, readEntryMetadata } from '../protocol/peek.js';
import type { Entry, Ledger, Position } from '../storage/types.js';
import type { Consumer } from './consumer.js';
import type { Cursor } from './cursor.js';
import { isBefore } from './positions.js';

export interface DispatchContext {
  readonly ledger: Ledger;
  readonly cursor: Cursor;
  /** Partition index of the topic (-1 when not partitioned), echoed in MessageIdData. */
  readonly partitionIndex: number;
  readonly readBatchSize: number;
  readonly logger: Logger;
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

  constructor(protected readonly ctx: DispatchContext) {}

  abstract addConsumer(consumer: Consumer): void;
  abstract removeConsumer(consumer: Consumer): void;
  /** REDELIVER_UNACKNOWLEDGED_MESSAGES: every unacked entry of the consumer, or only `positions`. */
  abstract redeliver(consumer: Consumer, positions: Position[] | undefined): void;
  /** Called after the cursor acknowledged `position` for `consumer`. */
  abstract acked(consumer: Consumer | undefined, position: Position): void;
  /** The cursor was reset (seek): forget what was in flight. */
  abstract reset(): void;
  protected abstract dispatchOnce(): Promise<void>;

  connectedConsumers(): readonly Consumer[] {
    return this.consumers;
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

  /**
   * Sends one entry and charges the consumer's permits with the messages it carries
   * (`knownMessages` when the caller already read the entry's metadata).
   */
  protected deliver(consumer: Consumer, entry: Entry, redeliveryCount: number, knownMessages?: number): number {
    let messages = knownMessages ?? 1;
    if (knownMessages === undefined) {
      try {
        messages = messagesInEntry(readEntryMetadata(entry.data));
      } catch (error) {
        this.ctx.logger.warn(`entry ${entry.position.ledgerId}:${entry.position.entryId} has unreadable metadata`, error);
      }
    }
    consumer.permits -= messages;
    consumer.msgOutCounter += messages;
    consumer.bytesOutCounter += entry.data.length;
    consumer.sender.sendMessage(consumer.id, entry.position, this.ctx.partitionIndex, redeliveryCount, entry.data);
    return messages;
  }
}

export function nextPositionAfter(entry: Entry): Position {
  return { ledgerId: entry.position.ledgerId, entryId: entry.position.entryId + 1 };
}
