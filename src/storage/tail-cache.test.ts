import { describe, expect, it } from 'vitest';
import { CacheRun, TailCache } from './tail-cache.js';

const entry = (sizeBytes: number) => Buffer.alloc(sizeBytes);

describe('TailCache', () => {
  it('stays within its budget, evicting the oldest entries across segments', () => {
    const cache = new TailCache(1000);
    const a = new CacheRun();
    const b = new CacheRun();
    cache.add(a, 0, [entry(200), entry(200)]);
    cache.add(b, 0, [entry(200)]);
    cache.add(a, 2, [entry(200)]);
    expect(cache.sizeBytes).toBeLessThanOrEqual(1000);
    expect(a.get(0)).toBeUndefined();
    expect(a.firstEntryId).toBe(1);
    expect(a.get(1)).toBeDefined();
    expect(a.get(2)).toBeDefined();
    expect(b.get(0)).toBeDefined();
  });

  it('counts an overhead per entry so empty entries are bounded too', () => {
    const cache = new TailCache(64 * 10);
    const run = new CacheRun();
    for (let i = 0; i < 1000; i++) cache.add(run, i, [entry(0)]);
    expect(run.endEntryId - run.firstEntryId).toBe(10);
  });

  it('forgets dropped segments and restarts a fully evicted run at the next entry', () => {
    const cache = new TailCache(300);
    const a = new CacheRun();
    const b = new CacheRun();
    cache.add(a, 0, [entry(100)]);
    cache.drop(a);
    expect(cache.sizeBytes).toBe(0);
    expect(a.get(0)).toBeUndefined();
    cache.add(b, 0, [entry(200)]);
    cache.add(b, 1, [entry(200)]);
    expect(b.get(0)).toBeUndefined();
    cache.add(b, 2, [entry(1000)]);
    expect(b.firstEntryId).toBe(b.endEntryId);
    cache.add(b, 3, [entry(10)]);
    expect(b.get(3)).toBeDefined();
    expect(() => cache.add(b, 7, [entry(10)])).toThrow(/contiguous/);
  });

  it('caches nothing with a zero budget', () => {
    const cache = new TailCache(0);
    const run = new CacheRun();
    cache.add(run, 0, [entry(10)]);
    expect(run.get(0)).toBeUndefined();
  });
});
