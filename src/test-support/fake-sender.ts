import type { AckSetWord } from '../protocol/ack-set-wire.js';
import { readEntryMetadata } from '../protocol/peek.js';
import type { Position } from '../storage/types.js';
import type { ConsumerSender } from '../subscription/consumer.js';
import { keyedEntry } from './key-shared-harness.js';

export interface Delivered {
  consumerId: number;
  position: Position;
  redeliveryCount: number;
  sequenceId: number;
  /** MESSAGE.ack_set of a partly acknowledged batch. */
  ackSet?: readonly AckSetWord[];
}

/** Records what a subscription sends to one connection. */
export class FakeSender implements ConsumerSender {
  readonly delivered: Delivered[] = [];
  readonly activeChanges: Array<[number, boolean]> = [];
  readonly closed: number[] = [];
  writable = true;
  readonly remoteAddress = 'test:1';

  sendMessage(consumerId: number, position: Position, _partition: number, redeliveryCount: number, entry: Buffer,
    ackSet?: readonly AckSetWord[]): void {
    this.delivered.push({
      consumerId, position, redeliveryCount, sequenceId: readEntryMetadata(entry).sequence_id, ...(ackSet ? { ackSet } : {}),
    });
  }
  sendActiveConsumerChange(consumerId: number, isActive: boolean): void {
    this.activeChanges.push([consumerId, isActive]);
  }
  sendCloseConsumer(consumerId: number): void {
    this.closed.push(consumerId);
  }
  isWritable(): boolean {
    return this.writable;
  }
  async isAlive(): Promise<boolean> {
    return true;
  }
  sequenceIds(consumerId?: number): number[] {
    return this.delivered.filter((d) => consumerId === undefined || d.consumerId === consumerId).map((d) => d.sequenceId);
  }
}

/** A stored entry as a producer would send it: [0x0e01][crc][size][MessageMetadata][payload]. */
export function makeEntry(sequenceId: number, publishTimeMs = 1000 + sequenceId, messages?: number): Buffer {
  return keyedEntry({ sequenceId, publishTimeMs, ...(messages ? { messages } : {}) });
}

export async function settle(ms = 20): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
