import type { AckSetWord } from '../protocol/ack-set-wire.js';

/**
 * Batch-index acknowledgement state of one entry: bit i set = message i of the batch is still
 * unacknowledged (Pulsar's ManagedCursorImpl.batchDeletedIndexes, java.util.BitSet semantics).
 * Held as 32-bit words; two of them make one wire word (BitSet.toLongArray, little-endian).
 */
export type AckBits = Uint32Array;

/** Largest batch tracked per entry (Pulsar clients cap a batch at 1000 messages by default). */
const MAX_BATCH_BITS = 1 << 16;

/** The client's ack set, cut to the entry's batch size when it is known (stray high bits never block the entry). */
export function ackBitsFromWire(words: readonly AckSetWord[], batchSize?: number): AckBits {
  const limit = Math.min(batchSize ?? words.length * 64, MAX_BATCH_BITS, words.length * 64);
  const bits = new Uint32Array(Math.ceil(limit / 32));
  for (let i = 0; i < bits.length; i++) {
    const word = words[i >> 1]!;
    bits[i] = (i & 1) === 0 ? word.low >>> 0 : word.high >>> 0;
  }
  clearFrom(bits, limit);
  return bits;
}

export function ackBitsToWire(bits: AckBits): AckSetWord[] {
  const words: AckSetWord[] = [];
  for (let i = 0; i < bits.length; i += 2) words.push({ low: bits[i]!, high: bits[i + 1] ?? 0 });
  return words;
}

/** Every message of a batch of `size` still unacknowledged. */
export function fullAckBits(size: number): AckBits {
  const limit = Math.min(size, MAX_BATCH_BITS);
  const bits = new Uint32Array(Math.ceil(limit / 32)).fill(0xffffffff);
  clearFrom(bits, limit);
  return bits;
}

export function countAckBits(bits: AckBits): number {
  let count = 0;
  for (const word of bits) count += popcount(word);
  return count;
}

/**
 * AND-merges `given` into `stored` (a message acknowledged once stays acknowledged), in place.
 * Returns how many messages this merge acknowledged.
 */
export function mergeAckBits(stored: AckBits, given: AckBits): number {
  let cleared = 0;
  for (let i = 0; i < stored.length; i++) {
    const before = stored[i]!;
    const after = (before & (given[i] ?? 0)) >>> 0;
    cleared += popcount(before) - popcount(after);
    stored[i] = after;
  }
  return cleared;
}

function clearFrom(bits: AckBits, limit: number): void {
  const last = limit >> 5;
  if (last < bits.length) bits[last] = (bits[last]! & ((1 << (limit & 31)) - 1)) >>> 0;
  for (let i = last + 1; i < bits.length; i++) bits[i] = 0;
}

function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
