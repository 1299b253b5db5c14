import { describe, expect, it } from 'vitest';
import { BaseCommandType } from '../protocol/proto.js';
import { ackBitsFromWire, ackBitsToWire, countAckBits, fullAckBits, mergeAckBits } from './batch-ack-sets.js';

/** What a Java client sends for a batch of `size` with `acked` indexes cleared (BitSet.set(0,size); clear(i)). */
function javaAckSet(size: number, acked: number[]): bigint[] {
  const words: bigint[] = [];
  for (let w = 0; w < Math.ceil(size / 64); w++) {
    let word = 0n;
    for (let b = 0; b < 64 && w * 64 + b < size; b++) if (!acked.includes(w * 64 + b)) word |= 1n << BigInt(b);
    words.push(BigInt.asIntN(64, word));
  }
  return words;
}

function wire(words: bigint[]) {
  return words.map((w) => ({ low: Number(BigInt.asUintN(64, w) & 0xffffffffn), high: Number(BigInt.asUintN(64, w) >> 32n) }));
}

describe('batch ack sets', () => {
  it('AND-merges acks per entry and reports how many messages each ack cleared', () => {
    const stored = ackBitsFromWire(wire(javaAckSet(10, [3])), 10);
    expect(countAckBits(stored)).toBe(9);
    expect(mergeAckBits(stored, ackBitsFromWire(wire(javaAckSet(10, [3, 4, 5])), 10))).toBe(2);
    expect(mergeAckBits(stored, ackBitsFromWire(wire(javaAckSet(10, [4])), 10))).toBe(0);
    expect(countAckBits(stored)).toBe(7);
    expect(mergeAckBits(stored, ackBitsFromWire(wire(javaAckSet(10, [0, 1, 2, 6, 7, 8, 9])), 10))).toBe(7);
    expect(countAckBits(stored)).toBe(0);
  });

  it('keeps all 64 bits of a word exact (batches above 53 messages) and round-trips to the wire', () => {
    const words = javaAckSet(130, [63, 64, 129]);
    const bits = ackBitsFromWire(wire(words), 130);
    expect(countAckBits(bits)).toBe(127);
    expect(ackBitsToWire(bits)).toEqual(wire(words));
    expect(countAckBits(fullAckBits(130))).toBe(130);
  });

  it('ignores bits beyond the batch size', () => {
    const bits = ackBitsFromWire([{ low: 0xffffffff, high: 0xffffffff }], 5);
    expect(countAckBits(bits)).toBe(5);
  });

  it('decodes ack_set words exactly from an ACK frame', () => {
    const words = javaAckSet(64, [0, 63]);
    const bytes = BaseCommandType.encode({
      type: 10, ack: { consumer_id: 1, ack_type: 0, message_id: [{ ledgerId: 5, entryId: 7, ack_set: wire(words) }] },
    }).finish();
    const decoded = BaseCommandType.decode(bytes) as unknown as { ack: { message_id: Array<{ ledgerId: number; ack_set: unknown }> } };
    expect(decoded.ack.message_id[0]!.ledgerId).toBe(5);
    expect(decoded.ack.message_id[0]!.ack_set).toEqual(wire(words));
  });
});
