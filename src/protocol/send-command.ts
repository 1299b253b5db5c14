import { readVarint64, type RawReader } from './wide-integers.js';
import { CommandType, type BaseCommand, type CommandSend } from './wire-types.js';

/**
 * Decodes BaseCommand{type: SEND, send} without protobufjs, for the common shape producers send: fields
 * producer_id 1, sequence_id 2, num_messages 3, highest_sequence_id 6, is_chunk 7, marker 8 of
 * CommandSend (PulsarApi.proto). Anything else (transaction ids, message_id, unknown fields, other
 * commands, malformed bytes) returns undefined and the caller decodes with protobufjs, which also
 * reports errors. One SEND arrives per unbatched message, so this is the broker's hottest decode.
 */
const SEND_TYPE = 6;
const SEND_FIELD_TAG = (6 << 3) | 2;

export function decodeSendCommand(bytes: Uint8Array): BaseCommand | undefined {
  if (bytes.length < 4 || bytes[0] !== 0x08 || bytes[1] !== SEND_TYPE || bytes[2] !== SEND_FIELD_TAG) return undefined;
  const reader: RawReader = { buf: bytes, pos: 3, len: bytes.length };
  try {
    const size = readVarint64(reader, false);
    if (reader.pos + (size as number) !== bytes.length) return undefined;
    let producerId: number | bigint | undefined;
    let sequenceId: number | bigint | undefined;
    const send: Partial<Record<keyof CommandSend, unknown>> = {};
    while (reader.pos < reader.len) {
      const tag = bytes[reader.pos++]!;
      const value = readVarint64(reader, tag === 0x18);
      switch (tag) {
        case 0x08: producerId = value; break;
        case 0x10: sequenceId = value; break;
        case 0x18:
          if (typeof value !== 'number' || value < -(2 ** 31) || value >= 2 ** 31) return undefined;
          send.num_messages = value;
          break;
        case 0x30: send.highest_sequence_id = value; break;
        case 0x38: send.is_chunk = value !== 0; break;
        case 0x40: send.marker = value !== 0; break;
        default: return undefined;
      }
    }
    if (producerId === undefined || sequenceId === undefined) return undefined;
    send.producer_id = producerId;
    send.sequence_id = sequenceId;
    return { type: CommandType.SEND, send: send as CommandSend } as BaseCommand;
  } catch {
    return undefined;
  }
}
