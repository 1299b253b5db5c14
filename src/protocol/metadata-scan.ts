import { MAGIC_CRC32C } from './frame.js';

/** What a dispatcher needs from an entry's MessageMetadata before sending it. */
export interface DispatchFields {
  /** num_messages_in_batch (11), 1 when absent. */
  readonly messages: number;
  /** deliver_at_time (19), 0 when absent. */
  readonly deliverAt: number;
  /** marker_type (20), 0 when absent. */
  readonly markerType: number;
}

/**
 * Reads three varint fields of a stored entry's MessageMetadata without decoding the rest: dispatchers look
 * at every entry they send, and a full protobufjs decode allocates an object per field. Returns undefined
 * when the entry is malformed (the caller then falls back to a full decode, which reports the error).
 */
export function scanDispatchFields(entry: Buffer): DispatchFields | undefined {
  if (entry.length < 10 || entry.readUInt16BE(0) !== MAGIC_CRC32C) return undefined;
  const end = 10 + entry.readUInt32BE(6);
  if (end > entry.length) return undefined;
  let messages = 1;
  let deliverAt = 0;
  let markerType = 0;
  let pos = 10;
  while (pos < end) {
    let tag = 0;
    [tag, pos] = varint(entry, pos, end);
    if (pos < 0) return undefined;
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) {
      let value = 0;
      [value, pos] = varint(entry, pos, end);
      if (pos < 0) return undefined;
      if (field === 11) messages = value < 1 ? 1 : value;
      else if (field === 19) deliverAt = value;
      else if (field === 20) markerType = value;
    } else if (wireType === 2) {
      let length = 0;
      [length, pos] = varint(entry, pos, end);
      if (pos < 0) return undefined;
      pos += length;
    } else if (wireType === 1) {
      pos += 8;
    } else if (wireType === 5) {
      pos += 4;
    } else {
      return undefined;
    }
  }
  return pos === end ? { messages, deliverAt, markerType } : undefined;
}

/** [value, next position], or [0, -1] when the varint runs past `end`. Exact below 2^53. */
function varint(buf: Buffer, start: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos < end && pos < start + 10; pos++) {
    const byte = buf[pos]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos + 1];
    scale *= 128;
  }
  return [0, -1];
}
