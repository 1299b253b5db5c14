import protobuf from 'protobufjs';

/**
 * 64-bit protobuf integers as plain numbers when they fit 2^53, as exact BigInts when they do not.
 * Numbers keep the hot path cheap (ids Vela hands out are small), but clients send large values
 * that must come back unchanged: the Java client starts its request ids at a random value below
 * 2^62 (PulsarClientImpl), and the earliest/latest message-id sentinels are 2^64-1 and 2^63-1.
 * A BigInt compares correctly with numbers (`>=`, `<`), so sentinel checks keep working.
 */
export type WideInteger = number | bigint;

const FAST_VARINT_BYTES = 7; // 49 bits: always a safe integer
const MAX_VARINT_BYTES = 10;

export interface RawReader {
  buf: Uint8Array;
  pos: number;
  len: number;
}

export function readVarint64(reader: RawReader, signed: boolean): WideInteger {
  const { buf, len } = reader;
  let pos = reader.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < FAST_VARINT_BYTES; i++) {
    if (pos >= len) throw new RangeError('varint beyond the end of the message');
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      reader.pos = pos;
      return value;
    }
    scale *= 128;
  }
  let big = BigInt(value);
  for (let i = FAST_VARINT_BYTES; i < MAX_VARINT_BYTES; i++) {
    if (pos >= len) throw new RangeError('varint beyond the end of the message');
    const byte = buf[pos++]!;
    big |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) {
      reader.pos = pos;
      const exact = signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
      return exact >= BigInt(Number.MIN_SAFE_INTEGER) && exact <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(exact) : exact;
    }
  }
  throw new RangeError('varint longer than 10 bytes');
}

/** protobufjs writes {low, high} objects exactly; BigInts are turned into that form. */
function toLongBits(value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: true };
}

/** Installs the number-or-BigInt 64-bit handling on protobufjs' reader and writer. */
export function installWideIntegers(): void {
  const reader = protobuf.Reader.prototype as unknown as Record<string, unknown>;
  reader.uint64 = function uint64(this: RawReader) {
    return readVarint64(this, false);
  };
  reader.int64 = function int64(this: RawReader) {
    return readVarint64(this, true);
  };
  const writer = protobuf.Writer.prototype as unknown as Record<string, (value: unknown) => unknown>;
  for (const method of ['uint64', 'int64'] as const) {
    const original = writer[method]!;
    writer[method] = function write(this: unknown, value: unknown) {
      return original.call(this, toLongBits(value));
    };
  }
}
