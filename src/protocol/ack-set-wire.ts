import protobuf from 'protobufjs';

/**
 * One 64-bit word of an ack set (java.util.BitSet.toLongArray), as two unsigned 32-bit halves.
 * Vela decodes 64-bit fields to plain numbers (proto.ts), which would round words above 2^53: a batch
 * of more than 53 messages would lose bits. Ack sets therefore keep their exact bits in this form;
 * protobufjs encodes {low, high} objects exactly too.
 */
export interface AckSetWord {
  readonly low: number;
  readonly high: number;
}

const ACK_SET_FIELD = 5;

/**
 * Makes MessageIdData decode `ack_set` exactly: the generated decoder runs as usual, then the field's
 * varints are read again from the message's own bytes. Parent messages call `types[i].decode`, so
 * replacing the type's decode covers ACK, SEEK and every other command that carries a message id.
 */
export function installExactAckSetDecoding(messageIdType: protobuf.Type): void {
  messageIdType.setup();
  const generated = messageIdType.decode;
  const exact = function decodeMessageId(this: protobuf.Type, reader: protobuf.Reader | Uint8Array, length?: number,
    ...rest: unknown[]): protobuf.Message {
    const r = reader instanceof protobuf.Reader ? reader : protobuf.Reader.create(reader);
    const start = r.pos;
    const message = (generated as (...args: unknown[]) => protobuf.Message).call(this, r, length, ...rest);
    const fields = message as unknown as { ack_set?: unknown[] };
    if (fields.ack_set && fields.ack_set.length > 0) fields.ack_set = readAckSetWords(r.buf.subarray(start, r.pos));
    return message;
  };
  messageIdType.decode = exact as typeof messageIdType.decode;
}

/** Every ack_set word of one encoded MessageIdData, packed or not. */
export function readAckSetWords(bytes: Uint8Array): AckSetWord[] {
  const words: AckSetWord[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= bytes.length) throw new Error('truncated varint in MessageIdData');
      const byte = bytes[pos++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new Error('varint too long in MessageIdData');
  };
  const word = (value: bigint): AckSetWord => ({
    low: Number(value & 0xffffffffn), high: Number((value >> 32n) & 0xffffffffn),
  });
  while (pos < bytes.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) {
      const value = varint();
      if (field === ACK_SET_FIELD) words.push(word(value));
    } else if (wireType === 2) {
      const end = pos + Number(varint());
      if (field === ACK_SET_FIELD) while (pos < end) words.push(word(varint()));
      pos = end;
    } else if (wireType === 1) {
      pos += 8;
    } else if (wireType === 5) {
      pos += 4;
    } else {
      throw new Error(`unexpected wire type ${wireType} in MessageIdData`);
    }
  }
  return words;
}
