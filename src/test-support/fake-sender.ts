import { readEntryMetadata } from '../protocol/peek.js';
import { MessageMetadataType } from '../protocol/proto.js';
import type { Position } from '../storage/types.js';
import type { ConsumerSender } from '../subscription/consumer.js';

export interface Delivered {
  consumerId: number;
  position: Position;
  redeliveryCount: number;
  sequenceId: number;
}

/** Records what a subscription sends to one connection. */
export class FakeSender implements ConsumerSender {
  readonly delivered: Delivered[] = [];
  readonly activeChanges: Array<[number, boolean]> = [];
  readonly closed: number[] = [];
  writable = true;
  readonly remoteAddress = 'test:1';

  sendMessage(consumerId: number, position: Position, _partition: number, redeliveryCount: number, entry: Buffer): void {
    this.delivered.push({ consumerId, position, redeliveryCount, sequenceId: readEntryMetadata(entry).sequence_id });
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
  const metadata = Buffer.from(MessageMetadataType.encode({
    producer_name: 'p', sequence_id: sequenceId, publish_time: publishTimeMs,
    ...(messages ? { num_messages_in_batch: messages } : {}),
  }).finish());
  const entry = Buffer.alloc(10 + metadata.length + 4);
  entry.writeUInt16BE(0x0e01, 0);
  entry.writeUInt32BE(metadata.length, 6);
  metadata.copy(entry, 10);
  return entry;
}

export async function settle(ms = 20): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}
