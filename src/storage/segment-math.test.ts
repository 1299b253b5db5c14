import { describe, expect, it } from 'vitest';
import { countEntriesBetween, positionAfterEntries, type SegmentCounts } from './segment-math.js';
import { comparePositions, type Position } from './types.js';

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function allEntries(segments: readonly SegmentCounts[]): Position[] {
  return segments.flatMap((s) => Array.from({ length: s.entryCount }, (_, entryId) => ({ ledgerId: s.ledgerId, entryId })));
}

describe('segment math against a brute-force model', () => {
  it('agrees on countEntries and positionAfter for random layouts', () => {
    const next = random(42);
    const int = (max: number) => Math.floor(next() * max);
    const mismatches: string[] = [];
    for (let round = 0; round < 300; round++) {
      const segments: SegmentCounts[] = [];
      let ledgerId = 1 + int(3);
      for (let i = int(5); i >= 0; i--) {
        segments.push({ ledgerId, entryCount: int(4) });
        ledgerId += 1 + int(3);
      }
      const nextPosition = { ledgerId: segments[segments.length - 1]!.ledgerId, entryId: segments[segments.length - 1]!.entryCount };
      const entries = allEntries(segments);
      const randomPosition = (): Position => ({ ledgerId: int(ledgerId + 1), entryId: int(6) - 1 });
      for (let probe = 0; probe < 20; probe++) {
        const from = randomPosition();
        const to = randomPosition();
        const expectedCount = entries.filter((e) => comparePositions(e, from) > 0 && comparePositions(e, to) <= 0).length;
        const count = countEntriesBetween(segments, from, to);
        if (count !== expectedCount) mismatches.push(`count ${JSON.stringify({ segments, from, to, count })}`);
        const n = int(6);
        const after = entries.filter((e) => comparePositions(e, from) > 0);
        const clampedFrom = comparePositions(from, nextPosition) < 0 ? from : nextPosition;
        const expectedAfter = n === 0 ? clampedFrom : (after[n - 1] ?? nextPosition);
        const actual = positionAfterEntries(segments, from, n, nextPosition);
        if (comparePositions(actual, expectedAfter) !== 0) {
          mismatches.push(`after ${JSON.stringify({ segments, from, n, actual, expectedAfter })}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
