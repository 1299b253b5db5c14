import type { AckSetWord } from './ack-set-wire.js';
import { int32Size, varintSize, wordSize, writeInt32, writeVarint, writeWord } from './varint.js';

/**
 * The header of a MESSAGE frame, [totalSize][commandSize][BaseCommand{type: MESSAGE, message}], written byte by
 * byte: it goes out once per delivered entry, and protobufjs' writer allocates several objects per 64-bit
 * field. Field numbers as in PulsarApi.proto: BaseCommand.type 1, BaseCommand.message 9; CommandMessage
 * consumer_id 1, message_id 2, redelivery_count 3, ack_set 4; MessageIdData ledgerId 1, entryId 2, partition 3.
 * The output equals protobufjs' encoding of the same command (message-header.test.ts).
 */
export interface MessageHeaderFields {
  readonly consumerId: number | bigint;
  readonly ledgerId: number;
  readonly entryId: number;
  /** int32; -1 (not partitioned) takes ten bytes, as protobuf encodes negative int32. */
  readonly partition: number;
  /** Written only when above 0, as Pulsar does. */
  readonly redeliveryCount: number;
  readonly ackSet?: readonly AckSetWord[];
}

const MESSAGE_TYPE = 9;

export function encodeMessageHeader(f: MessageHeaderFields, entryBytes: number): Buffer {
  const idSize = 1 + varintSize(f.ledgerId) + 1 + varintSize(f.entryId) + 1 + int32Size(f.partition);
  let messageSize = 1 + varintSize(f.consumerId) + 1 + varintSize(idSize) + idSize;
  if (f.redeliveryCount > 0) messageSize += 1 + varintSize(f.redeliveryCount);
  for (const word of f.ackSet ?? []) messageSize += 1 + wordSize(word);
  const commandSize = 2 + 1 + varintSize(messageSize) + messageSize;
  const out = Buffer.allocUnsafe(8 + commandSize);
  out.writeUInt32BE(4 + commandSize + entryBytes, 0);
  out.writeUInt32BE(commandSize, 4);
  let pos = 8;
  out[pos++] = 0x08;
  out[pos++] = MESSAGE_TYPE;
  out[pos++] = (9 << 3) | 2;
  pos = writeVarint(out, pos, messageSize);
  out[pos++] = 0x08;
  pos = writeVarint(out, pos, f.consumerId);
  out[pos++] = 0x12;
  pos = writeVarint(out, pos, idSize);
  out[pos++] = 0x08;
  pos = writeVarint(out, pos, f.ledgerId);
  out[pos++] = 0x10;
  pos = writeVarint(out, pos, f.entryId);
  out[pos++] = 0x18;
  pos = writeInt32(out, pos, f.partition);
  if (f.redeliveryCount > 0) {
    out[pos++] = 0x18;
    pos = writeVarint(out, pos, f.redeliveryCount);
  }
  for (const word of f.ackSet ?? []) {
    out[pos++] = 0x20;
    pos = writeWord(out, pos, word.low >>> 0, word.high >>> 0);
  }
  return out;
}
