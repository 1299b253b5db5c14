import { describe, expect, it } from 'vitest';
import { decodeCursorState, encodeCursorState } from './cursor-codec.js';
import type { CursorState } from './types.js';

const base: CursorState = {
  markDelete: { ledgerId: 1, entryId: 4 },
  individuallyDeleted: [[{ ledgerId: 1, entryId: 6 }, { ledgerId: 1, entryId: 7 }]],
  properties: { type: '1' },
};

describe('cursor codec', () => {
  it('round-trips batch ack sets and still reads states written without them', () => {
    const withSets: CursorState = { ...base, batchAckSets: [[{ ledgerId: 1, entryId: 5 }, [0xfffffffe, 0x7fffffff]]] };
    expect(decodeCursorState(encodeCursorState(withSets))).toEqual(withSets);
    const old = '{"v":1,"md":[1,4],"del":[[1,6,1,7]],"props":{"type":"1"}}';
    expect(decodeCursorState(old)).toEqual(base);
    expect(encodeCursorState(base)).toBe(old);
  });

  it('refuses ack sets at or below markDelete and words that are not uint32', () => {
    expect(() => encodeCursorState({ ...base, batchAckSets: [[{ ledgerId: 1, entryId: 4 }, [1]]] })).toThrow(/above markDelete/);
    expect(() => encodeCursorState({ ...base, batchAckSets: [[{ ledgerId: 1, entryId: 5 }, [-1]]] })).toThrow(/unsigned 32-bit/);
  });
});
