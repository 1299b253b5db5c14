import { describe, expect, it } from 'vitest';
import { HashRangeSelector, validateStickyRanges } from './hash-range-selector.js';
import type { HashRange } from './key-shared-meta.js';
import { rangeSlotOf } from './sticky-key.js';

interface C { readonly name: string; readonly ranges: HashRange[] }
const c = (name: string, ...ranges: Array<[number, number]>): C => ({ name, ranges: ranges.map(([start, end]) => ({ start, end })) });
const newSelector = () => new HashRangeSelector<C>((x) => x.ranges, (x) => `Consumer{consumerName=${x.name}}`);
const assignError = (message: string) => expect.objectContaining({ code: 'ConsumerAssignError', message });

describe('HashRangeSelector (STICKY)', () => {
  it('gives each slot to the consumer whose inclusive range covers it, and uncovered slots to nobody', () => {
    const selector = newSelector();
    const low = c('low', [0, 99], [400, 65535]);
    const mid = c('mid', [100, 200]);
    selector.addConsumer(low);
    selector.addConsumer(mid);
    expect([0, 99, 100, 200, 201, 399, 400, 65535].map((s) => selector.select(s)?.name))
      .toEqual(['low', 'low', 'mid', 'mid', undefined, undefined, 'low', 'low']);
    selector.removeConsumer(low);
    expect(selector.select(5)).toBeUndefined();
  });

  it('maps fixed keys to the consumer real Pulsar picks (slot = murmur3 & 0x7fffffff % 65536)', () => {
    const selector = newSelector();
    selector.addConsumer(c('a', [0, 5535]));
    selector.addConsumer(c('b', [5536, 5536]));
    selector.addConsumer(c('z', [5537, 65535]));
    expect(selector.select(rangeSlotOf(Buffer.from('key-1')))!.name).toBe('b');
    expect(selector.select(rangeSlotOf(Buffer.from('p-7')))!.name).toBe('z');
  });

  it('rejects conflicts like KeySharedSubscriptionTest.testHashRangeConflict', () => {
    const selector = newSelector();
    const c1 = c('c1', [0, 99], [400, 65535]);
    selector.addConsumer(c1);
    selector.addConsumer(c('c2', [100, 399]));
    for (const range of [[0, 65535], [1, 1], [50, 100], [399, 500]] as Array<[number, number]>) {
      const name = range[0] === 399 ? 'c2' : 'c1';
      expect(() => selector.addConsumer(c('c3', range))).toThrow(assignError(`Range conflict with consumer Consumer{consumerName=${name}}`));
    }
    selector.removeConsumer(c1);
    selector.addConsumer(c('c3', [400, 600]));
    selector.addConsumer(c('c4', [50, 99]));
    expect(selector.select(500)!.name).toBe('c3');
    expect(selector.select(60)!.name).toBe('c4');
  });

  it('validates a consumer\'s own ranges with Pulsar\'s messages', () => {
    expect(() => validateStickyRanges([])).toThrow(assignError('Ranges for KeyShared policy must not be empty.'));
    expect(() => validateStickyRanges([{ start: 10, end: 5 }])).toThrow(assignError('Fixed hash range start > end for range: [10,5]'));
    expect(() => validateStickyRanges([{ start: 50, end: 60 }, { start: 0, end: 50 }]))
      .toThrow(assignError("Consumer's own ranges conflict: [0,50] overlaps with [50,60]"));
    expect(() => validateStickyRanges([{ start: 0, end: 49 }, { start: 50, end: 60 }])).not.toThrow();
  });

  it('leaves the selector unchanged when a consumer is refused', () => {
    const selector = newSelector();
    selector.addConsumer(c('a', [0, 10]));
    expect(() => selector.addConsumer(c('b', [20, 30], [5, 6]))).toThrow();
    expect(selector.select(25)).toBeUndefined();
  });
});
