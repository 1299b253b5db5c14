import type { AckSetWord } from './ack-set-wire.js';

/**
 * Protobuf varint sizes and writers for the hand-encoded hot frames (MESSAGE header, SEND_RECEIPT):
 * numbers up to 2^53, exact BigInts for larger 64-bit ids, and 64-bit words as two uint32 halves.
 */
export function varintSize(value: number | bigint): number {
  if (typeof value === 'bigint') {
    let v = BigInt.asUintN(64, value);
    let size = 1;
    while (v >= 128n) {
      v >>= 7n;
      size++;
    }
    return size;
  }
  let size = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) size++;
  return size;
}

export function int32Size(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

export function wordSize(word: AckSetWord): number {
  let lo = word.low >>> 0;
  let hi = word.high >>> 0;
  let size = 1;
  while (hi !== 0 || lo > 127) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
    size++;
  }
  return size;
}

export function writeVarint(out: Buffer, pos: number, value: number | bigint): number {
  if (typeof value === 'bigint') {
    let v = BigInt.asUintN(64, value);
    while (v >= 128n) {
      out[pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    out[pos++] = Number(v);
    return pos;
  }
  let v = value;
  while (v >= 128) {
    out[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

/** A negative int32 is sign-extended to 64 bits: ten bytes. */
export function writeInt32(out: Buffer, pos: number, value: number): number {
  return value < 0 ? writeWord(out, pos, value >>> 0, 0xffffffff) : writeVarint(out, pos, value);
}

export function writeWord(out: Buffer, pos: number, low: number, high: number): number {
  let lo = low;
  let hi = high;
  while (hi !== 0 || lo > 127) {
    out[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  out[pos++] = lo;
  return pos;
}
