/**
 * The one test suite every Storage implementation passes (run from file-storage.test.ts and
 * memory-storage.test.ts). Only test files import this module.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerOptions } from './options.js';
import type { InstrumentedLedger, InstrumentedStorage } from './segment-backend.js';
import { comparePositions, type CursorState, type Position } from './types.js';

export interface StorageHarness {
  /** Opens the storage under test; every call after the first opens the same data again (a restart). */
  open(options?: LedgerOptions): Promise<InstrumentedStorage>;
  /** Closes what is still open and removes all data. */
  cleanup(): Promise<void>;
}

export function entryData(i: number): Buffer {
  return Buffer.from(`entry-${i}`);
}

export async function appendMany(ledger: InstrumentedLedger, count: number, first = 0): Promise<Position[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => ledger.append(entryData(first + i))));
}

export function expectIncreasing(positions: readonly Position[]): void {
  for (let i = 1; i < positions.length; i++) {
    expect(comparePositions(positions[i - 1]!, positions[i]!)).toBeLessThan(0);
  }
}

const ZERO: Position = { ledgerId: 0, entryId: 0 };

export function defineStorageContract(label: string, createHarness: () => StorageHarness): void {
  describe(`${label}: Storage contract`, () => {
    let harness: StorageHarness;
    beforeEach(() => {
      harness = createHarness();
    });
    afterEach(async () => {
      await harness.cleanup();
    });
    const ctx = { get harness() { return harness; } };
    defineAppendTests(ctx);
    defineReadTests(ctx);
    definePositionTests(ctx);
    defineTrimAndReopenTests(ctx);
    defineLifecycleTests(ctx);
    defineCursorTests(ctx);
    defineMetadataTests(ctx);
    defineIndexTests(ctx);
  });
}

interface SuiteContext {
  readonly harness: StorageHarness;
}

function defineReadTests(ctx: SuiteContext): void {
  it('resolves appends in order with increasing positions and reads them back', async () => {
    const ledger = await (await ctx.harness.open()).openLedger('t1');
    const positions = await appendMany(ledger, 20);
    expectIncreasing(positions);
    expect(positions[0]!.entryId).toBe(0);
    const entries = await ledger.read(ZERO, 100);
    expect(entries.map((e) => e.data.toString())).toEqual(positions.map((_, i) => `entry-${i}`));
    expect(entries.map((e) => e.position)).toEqual(positions);
    expect(await ledger.read(ledger.nextPosition(), 10)).toEqual([]);
    expect(await ledger.read(positions[5]!, 3)).toHaveLength(3);
    expect((await ledger.read(positions[5]!, 3))[0]!.data.toString()).toBe('entry-5');
  });

  it('reads across segment boundaries and skips the gaps between segments', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentEntries: 3 })).openLedger('t1');
    const positions = await appendMany(ledger, 10);
    expectIncreasing(positions);
    const segments = ledger.segments();
    expect(segments.slice(0, 4).map((s) => s.entryCount)).toEqual([3, 3, 3, 1]);
    const first = segments[0]!.ledgerId;
    const fromMiddle = await ledger.read({ ledgerId: first, entryId: 2 }, 4);
    expect(fromMiddle.map((e) => e.data.toString())).toEqual(['entry-2', 'entry-3', 'entry-4', 'entry-5']);
    // Past the end of a segment is the start of the next one.
    const pastEnd = await ledger.read({ ledgerId: first, entryId: 3 }, 1);
    expect(pastEnd[0]!.position).toEqual({ ledgerId: segments[1]!.ledgerId, entryId: 0 });
    const beyond = await ledger.read({ ledgerId: first, entryId: 99 }, 1);
    expect(beyond[0]!.data.toString()).toBe('entry-3');
    expect((await ledger.read(ZERO, 100)).map((e) => e.data.toString())).toHaveLength(10);
  });

  it('rolls over at maxSegmentBytes, keeping the entry that crosses the limit', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentBytes: 100 })).openLedger('t1');
    for (let i = 0; i < 7; i++) await ledger.append(Buffer.alloc(40, i));
    const sizes = ledger.segments().map((s) => s.entryCount);
    expect(sizes.slice(0, 3)).toEqual([3, 3, 1]);
    expect(ledger.segments()[0]!.sizeBytes).toBe(120);
    expect(ledger.sizeBytes()).toBe(280);
  });

  it('reads at most maxBytes but always at least one entry', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentEntries: 4 })).openLedger('t1');
    for (let i = 0; i < 10; i++) await ledger.append(Buffer.alloc(100, i));
    expect(await ledger.read(ZERO, 10, 250)).toHaveLength(2);
    expect(await ledger.read(ZERO, 10, 10)).toHaveLength(1);
    expect(await ledger.read(ZERO, 10, 500)).toHaveLength(5);
    expect(await ledger.read(ZERO, 10, 1000)).toHaveLength(10);
    expect(await ledger.read(ZERO, 0)).toEqual([]);
  });

  it('skips ledger ids that went to other ledgers', async () => {
    const storage = await ctx.harness.open({ maxSegmentEntries: 1 });
    const a = await storage.openLedger('a');
    const b = await storage.openLedger('b');
    const positionsOfA: Position[] = [];
    for (let i = 0; i < 3; i++) {
      positionsOfA.push(await a.append(entryData(i)));
      await b.append(entryData(100 + i));
      await waitFor(() => a.nextPosition().entryId === 0 && b.nextPosition().entryId === 0);
    }
    const [first, second] = positionsOfA;
    const gap = { ledgerId: first!.ledgerId + 1, entryId: 0 };
    expect(second!.ledgerId).toBeGreaterThan(gap.ledgerId);
    expect((await a.read(gap, 1))[0]!.position).toEqual(second);
    expect((await a.read(ZERO, 10)).map((e) => e.data.toString())).toEqual(['entry-0', 'entry-1', 'entry-2']);
    expect(a.countEntries(gap, positionsOfA[2]!)).toBe(2);
    expect(a.positionAfter(gap, 1)).toEqual(second);
  });
}

function defineAppendTests(ctx: SuiteContext): void {
  it('copies small entries, so a caller reusing its buffer afterwards does not change them', async () => {
    const ledger = await (await ctx.harness.open()).openLedger('t1');
    const buffer = Buffer.from('original');
    await ledger.append(buffer);
    buffer.write('mutated!');
    expect((await ledger.read(ZERO, 1))[0]!.data.toString()).toBe('original');
  });

  it('rejects entries above maxEntryBytes and keeps working', async () => {
    const ledger = await (await ctx.harness.open({ maxEntryBytes: 10 })).openLedger('t1');
    await expect(ledger.append(Buffer.alloc(11))).rejects.toMatchObject({ code: 'ENTRY_TOO_LARGE' });
    await expect(ledger.append(Buffer.alloc(10))).resolves.toMatchObject({ entryId: 0 });
  });

  it('groups concurrent appends into fewer flushes and resolves them in order', async () => {
    const ledger = await (await ctx.harness.open()).openLedger('t1');
    const order: number[] = [];
    const count = 500;
    const appends = Array.from({ length: count }, (_, i) =>
      ledger.append(entryData(i)).then((position) => {
        order.push(i);
        return position;
      }),
    );
    const positions = await Promise.all(appends);
    expect(order).toEqual(Array.from({ length: count }, (_, i) => i));
    expectIncreasing(positions);
    const stats = ledger.stats();
    expect(stats.appendedEntries).toBe(count);
    expect(stats.flushes).toBeGreaterThan(0);
    expect(stats.flushes).toBeLessThan(count / 10);
    expect(stats.pendingAppends).toBe(0);
  });

  it('never exposes an entry before its append resolved', async () => {
    const ledger = await (await ctx.harness.open()).openLedger('t1');
    const pending = ledger.append(entryData(0));
    expect(ledger.lastPosition()).toBeNull();
    expect(await ledger.read(ZERO, 10)).toEqual([]);
    expect(ledger.countEntries(ZERO, { ledgerId: Number.MAX_SAFE_INTEGER, entryId: 0 })).toBe(0);
    const position = await pending;
    expect(ledger.lastPosition()).toEqual(position);
  });

  it('stores empty entries', async () => {
    const storage = await ctx.harness.open();
    const ledger = await storage.openLedger('t1');
    await ledger.append(Buffer.alloc(0));
    await ledger.append(entryData(1));
    await storage.close();
    const reopened = await (await ctx.harness.open()).openLedger('t1');
    expect((await reopened.read(ZERO, 10)).map((e) => e.data.length)).toEqual([0, 7]);
  });

  it('rejects ledger names that are empty or too long', async () => {
    const storage = await ctx.harness.open();
    await expect(storage.openLedger('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(storage.openLedger('x'.repeat(5000))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
}

function definePositionTests(ctx: SuiteContext): void {
  it('describes an empty ledger', async () => {
    const ledger = await (await ctx.harness.open()).openLedger('t1');
    expect(ledger.lastPosition()).toBeNull();
    const next = ledger.nextPosition();
    expect(next.entryId).toBe(0);
    expect(next.ledgerId).toBeGreaterThan(0);
    expect(ledger.firstPosition()).toEqual(next);
    expect(ledger.countEntries(ZERO, next)).toBe(0);
    expect(ledger.positionAfter(ZERO, 5)).toEqual(next);
    expect(ledger.segments()).toEqual([{ ledgerId: next.ledgerId, entryCount: 0, sizeBytes: 0 }]);
    expect(ledger.sizeBytes()).toBe(0);
  });

  it('tracks first, last and next positions', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentEntries: 2 })).openLedger('t1');
    const positions = await appendMany(ledger, 5);
    expect(ledger.firstPosition()).toEqual(positions[0]);
    expect(ledger.lastPosition()).toEqual(positions[4]);
    const next = ledger.nextPosition();
    expect(comparePositions(next, positions[4]!)).toBeGreaterThan(0);
    expect(await ledger.append(entryData(5))).toEqual(next);
  });

  it('moves nextPosition to a new segment once the current one is full', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentEntries: 2 })).openLedger('t1');
    const positions = await appendMany(ledger, 2);
    await waitFor(() => ledger.segments().length === 2);
    expect(ledger.nextPosition()).toEqual({ ledgerId: ledger.segments()[1]!.ledgerId, entryId: 0 });
    expect(ledger.nextPosition().ledgerId).toBeGreaterThan(positions[1]!.ledgerId);
  });

  it('counts stored entries in (from, to] across segments', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentEntries: 3 })).openLedger('t1');
    const p = await appendMany(ledger, 8);
    expect(ledger.countEntries(p[0]!, p[7]!)).toBe(7);
    expect(ledger.countEntries(ZERO, p[7]!)).toBe(8);
    expect(ledger.countEntries(p[2]!, p[3]!)).toBe(1);
    expect(ledger.countEntries(p[3]!, p[3]!)).toBe(0);
    expect(ledger.countEntries(p[5]!, p[2]!)).toBe(0);
    expect(ledger.countEntries({ ledgerId: p[0]!.ledgerId, entryId: -1 }, p[1]!)).toBe(2);
    expect(ledger.countEntries(p[1]!, { ledgerId: p[7]!.ledgerId, entryId: 1000 })).toBe(6);
    expect(ledger.countEntries(p[6]!, ledger.nextPosition())).toBe(1);
  });

  it('finds the position n stored entries after another, clamped to nextPosition', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentEntries: 3 })).openLedger('t1');
    const p = await appendMany(ledger, 8);
    expect(ledger.positionAfter(p[0]!, 0)).toEqual(p[0]);
    expect(ledger.positionAfter(p[0]!, 1)).toEqual(p[1]);
    expect(ledger.positionAfter(p[1]!, 3)).toEqual(p[4]);
    expect(ledger.positionAfter(ZERO, 1)).toEqual(p[0]);
    expect(ledger.positionAfter(p[2]!, 5)).toEqual(p[7]);
    expect(ledger.positionAfter(p[2]!, 6)).toEqual(ledger.nextPosition());
    expect(ledger.positionAfter({ ledgerId: Number.MAX_SAFE_INTEGER, entryId: 0 }, 0)).toEqual(ledger.nextPosition());
    for (let n = 0; n <= 7; n++) expect(ledger.countEntries(p[0]!, ledger.positionAfter(p[0]!, n))).toBe(n);
    expect(() => ledger.positionAfter(p[0]!, -1)).toThrow();
  });
}

function defineTrimAndReopenTests(ctx: SuiteContext): void {
  it('trims whole segments below a position, never the current one', async () => {
    const ledger = await (await ctx.harness.open({ maxSegmentEntries: 3 })).openLedger('t1');
    const p = await appendMany(ledger, 8);
    expect(await ledger.trimBefore(p[2]!)).toBe(0);
    expect(await ledger.trimBefore(p[3]!)).toBe(1);
    expect(ledger.firstPosition()).toEqual(p[3]);
    expect(await ledger.read(ZERO, 1)).toEqual([{ position: p[3], data: entryData(3) }]);
    expect(ledger.countEntries(ZERO, p[7]!)).toBe(5);
    expect(await ledger.trimBefore({ ledgerId: Number.MAX_SAFE_INTEGER, entryId: 0 })).toBe(1);
    expect(ledger.segments().map((s) => s.entryCount)).toEqual([2]);
    expect(ledger.lastPosition()).toEqual(p[7]);
    expect(ledger.sizeBytes()).toBe(entryData(6).length * 2);
  });

  it('keeps everything across a reopen and continues with a larger ledgerId', async () => {
    const first = await ctx.harness.open({ maxSegmentEntries: 3 });
    const ledger = await first.openLedger('t1');
    const before = await appendMany(ledger, 7);
    await first.close();
    const second = await ctx.harness.open({ maxSegmentEntries: 3 });
    const reopened = await second.openLedger('t1');
    const entries = await reopened.read(ZERO, 100);
    expect(entries.map((e) => e.position)).toEqual(before);
    expect(entries.map((e) => e.data.toString())).toEqual(before.map((_, i) => `entry-${i}`));
    expect(reopened.lastPosition()).toEqual(before[6]);
    expect(reopened.nextPosition().ledgerId).toBeGreaterThan(before[6]!.ledgerId);
    const after = await appendMany(reopened, 3, 7);
    expectIncreasing([...before, ...after]);
    expect(await second.listLedgers()).toEqual(['t1']);
  });

  it('takes ledger ids from one counter shared by all ledgers', async () => {
    const storage = await ctx.harness.open();
    const a = await storage.openLedger('a');
    const b = await storage.openLedger('b');
    expect(b.nextPosition().ledgerId).toBeGreaterThan(a.nextPosition().ledgerId);
    await a.close();
    const a2 = await storage.openLedger('a');
    expect(a2.nextPosition().ledgerId).toBeGreaterThan(b.nextPosition().ledgerId);
  });

  it('keeps lastPosition and growing ids after trimming everything and reopening', async () => {
    const first = await ctx.harness.open({ maxSegmentEntries: 2 });
    const ledger = await first.openLedger('t1');
    const p = await appendMany(ledger, 3);
    await first.close();
    const second = await ctx.harness.open({ maxSegmentEntries: 2 });
    const reopened = await second.openLedger('t1');
    expect(await reopened.trimBefore(reopened.nextPosition())).toBe(2);
    expect(reopened.segments().map((s) => s.entryCount)).toEqual([0]);
    expect(reopened.lastPosition()).toEqual(p[2]);
    expect(reopened.firstPosition()).toEqual(reopened.nextPosition());
    await second.close();
    const third = await ctx.harness.open();
    const again = await third.openLedger('t1');
    expect(again.lastPosition()).toEqual(p[2]);
    const next = await again.append(entryData(9));
    expect(comparePositions(next, p[2]!)).toBeGreaterThan(0);
  });
}

function defineLifecycleTests(ctx: SuiteContext): void {
  it('flushes pending appends on close, then rejects further calls', async () => {
    const ledger = await (await ctx.harness.open()).openLedger('t1');
    const pending = appendMany(ledger, 10);
    await ledger.close();
    expect(await pending).toHaveLength(10);
    await expect(ledger.append(entryData(0))).rejects.toMatchObject({ code: 'LEDGER_CLOSED' });
    await expect(ledger.read(ZERO, 1)).rejects.toMatchObject({ code: 'LEDGER_CLOSED' });
    await expect(ledger.trimBefore(ZERO)).rejects.toMatchObject({ code: 'LEDGER_CLOSED' });
    await expect(ledger.close()).resolves.toBeUndefined();
  });

  it('returns the open instance for a second open and a fresh one after close', async () => {
    const storage = await ctx.harness.open();
    const [a, b] = await Promise.all([storage.openLedger('t1'), storage.openLedger('t1')]);
    expect(a).toBe(b);
    await appendMany(a, 2);
    await a.close();
    const c = await storage.openLedger('t1');
    expect(c).not.toBe(a);
    expect(await c.read(ZERO, 10)).toHaveLength(2);
  });

  it('lists ledgers by their real names, including unusual ones, and deletes them', async () => {
    const storage = await ctx.harness.open();
    const names = ['persistent://public/default/t', '..', 'a b/c?d#%', 'ünï', 'x'.repeat(300), 'X'.repeat(300)];
    for (const name of names) await appendMany(await storage.openLedger(name), 1);
    expect(await storage.listLedgers()).toEqual([...names].sort());
    const victim = await storage.openLedger('..');
    await victim.delete();
    expect(await storage.listLedgers()).toEqual(names.filter((n) => n !== '..').sort());
    const recreated = await storage.openLedger('..');
    expect(recreated.lastPosition()).toBeNull();
    expect(await recreated.read(ZERO, 10)).toEqual([]);
    expect(await (await storage.openLedger('x'.repeat(300))).read(ZERO, 10)).toHaveLength(1);
  });

  it('closes open ledgers when the storage closes', async () => {
    const storage = await ctx.harness.open();
    const ledger = await storage.openLedger('t1');
    const pending = appendMany(ledger, 5);
    await storage.close();
    expect(await pending).toHaveLength(5);
    await expect(ledger.append(entryData(0))).rejects.toMatchObject({ code: 'LEDGER_CLOSED' });
    await expect(storage.openLedger('t2')).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
    await expect(storage.close()).resolves.toBeUndefined();
  });
}

function cursor(markDelete: Position, extra: Partial<CursorState> = {}): CursorState {
  return { markDelete, individuallyDeleted: [], properties: {}, ...extra };
}

function defineCursorTests(ctx: SuiteContext): void {
  it('saves, loads and removes cursors durably', async () => {
    const storage = await ctx.harness.open();
    const state = cursor(
      { ledgerId: 3, entryId: 4 },
      {
        individuallyDeleted: [
          [{ ledgerId: 3, entryId: 6 }, { ledgerId: 3, entryId: 8 }],
          [{ ledgerId: 4, entryId: 0 }, { ledgerId: 4, entryId: 0 }],
        ],
        properties: { type: 'Shared' },
      },
    );
    await storage.cursors.save('topic/a', 'sub/1', state);
    await storage.cursors.save('topic/a', 'sub 2', cursor({ ledgerId: 1, entryId: 0 }));
    await storage.cursors.save('topic/ab', 'sub', cursor({ ledgerId: 1, entryId: 0 }));
    await storage.close();
    const reopened = await ctx.harness.open();
    const loaded = await reopened.cursors.load('topic/a');
    expect([...loaded.keys()].sort()).toEqual(['sub 2', 'sub/1']);
    expect(loaded.get('sub/1')).toEqual(state);
    await reopened.cursors.remove('topic/a', 'sub 2');
    expect([...(await reopened.cursors.load('topic/a')).keys()]).toEqual(['sub/1']);
    await reopened.cursors.removeTopic('topic/a');
    expect((await reopened.cursors.load('topic/a')).size).toBe(0);
    expect((await reopened.cursors.load('topic/ab')).size).toBe(1);
  });

  it('coalesces concurrent cursor saves and keeps the latest state', async () => {
    const storage = await ctx.harness.open();
    const saves = Array.from({ length: 50 }, (_, i) =>
      storage.cursors.save('t', 's', cursor({ ledgerId: 1, entryId: i })),
    );
    await Promise.all(saves);
    expect((await storage.cursors.load('t')).get('s')!.markDelete).toEqual({ ledgerId: 1, entryId: 49 });
    const racing = [
      storage.cursors.save('t', 's2', cursor({ ledgerId: 1, entryId: 1 })),
      storage.cursors.removeTopic('t'),
      storage.cursors.save('t', 's3', cursor({ ledgerId: 1, entryId: 1 })),
    ];
    await Promise.all(racing);
    expect([...(await storage.cursors.load('t')).keys()]).toEqual(['s3']);
  });

  it('rejects cursor states that break the contract', async () => {
    const storage = await ctx.harness.open();
    const below = cursor({ ledgerId: 2, entryId: 5 }, {
      individuallyDeleted: [[{ ledgerId: 2, entryId: 5 }, { ledgerId: 2, entryId: 6 }]],
    });
    await expect(storage.cursors.save('t', 's', below)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const overlapping = cursor({ ledgerId: 2, entryId: 0 }, {
      individuallyDeleted: [
        [{ ledgerId: 2, entryId: 2 }, { ledgerId: 2, entryId: 4 }],
        [{ ledgerId: 2, entryId: 4 }, { ledgerId: 2, entryId: 6 }],
      ],
    });
    await expect(storage.cursors.save('t', 's', overlapping)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

}

function defineMetadataTests(ctx: SuiteContext): void {
  it('stores metadata as JSON with prefix listing in key order', async () => {
    const storage = await ctx.harness.open();
    expect(await storage.metadata.get('missing')).toBeUndefined();
    await Promise.all([
      storage.metadata.put('topics/b', { partitions: 2 }),
      storage.metadata.put('topics/a', { partitions: 1 }),
      storage.metadata.put('topicsX', 1),
      storage.metadata.put('policies/x', ['a', 'b']),
    ]);
    expect(await storage.metadata.get('topics/a')).toEqual({ partitions: 1 });
    await storage.metadata.put('topics/a', { partitions: 4 });
    await storage.close();
    const reopened = await ctx.harness.open();
    expect(await reopened.metadata.list('topics/')).toEqual([
      ['topics/a', { partitions: 4 }],
      ['topics/b', { partitions: 2 }],
    ]);
    await reopened.metadata.delete('topics/a');
    expect(await reopened.metadata.get('topics/a')).toBeUndefined();
    expect((await reopened.metadata.list('')).map(([key]) => key)).toEqual(['policies/x', 'topics/b', 'topicsX']);
    await expect(reopened.metadata.put('bad', undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
}

function defineIndexTests(ctx: SuiteContext): void {
  it('keeps index spaces apart, ranges from a key in byte order with a limit, and removes spaces by prefix', async () => {
    const storage = await ctx.harness.open();
    await Promise.all([
      storage.indexes.put('delayed/t/a', '0002', 'x'),
      storage.indexes.put('delayed/t/a', '0001', 'y'),
      storage.indexes.put('delayed/t/a', '0003', 'z'),
      storage.indexes.put('delayed/t/ab', '0000', 'other space'),
      storage.indexes.put('delayed/u/a', '0000', 'other topic'),
    ]);
    await storage.close();
    const reopened = await ctx.harness.open();
    expect(await reopened.indexes.range('delayed/t/a', '', 10)).toEqual([['0001', 'y'], ['0002', 'x'], ['0003', 'z']]);
    expect(await reopened.indexes.range('delayed/t/a', '0002', 1)).toEqual([['0002', 'x']]);
    await reopened.indexes.delete('delayed/t/a', '0002');
    expect((await reopened.indexes.range('delayed/t/a', '0002', 5)).map(([k]) => k)).toEqual(['0003']);
    await reopened.indexes.removeSpaces('delayed/t/');
    expect(await reopened.indexes.range('delayed/t/a', '', 10)).toEqual([]);
    expect(await reopened.indexes.range('delayed/t/ab', '', 10)).toEqual([]);
    expect(await reopened.indexes.range('delayed/u/a', '', 10)).toEqual([['0000', 'other topic']]);
  });

  it('writes many index keys at once and removes a key range, pending puts included', async () => {
    const storage = await ctx.harness.open();
    await storage.indexes.putMany('s', [['a1', '1'], ['a2', '2'], ['b1', '3'], ['c1', '4']]);
    const late = storage.indexes.putMany('s', [['a3', '5'], ['d1', '6']]);
    const removed = storage.indexes.removeRange('s', 'a2', 'c');
    await Promise.all([late, removed]);
    expect(await storage.indexes.range('s', '', 10)).toEqual([['a1', '1'], ['c1', '4'], ['d1', '6']]);
    await storage.indexes.putMany('s', [['b2', '7']]);
    await storage.close();
    const reopened = await ctx.harness.open();
    expect((await reopened.indexes.range('s', '', 10)).map(([k]) => k)).toEqual(['a1', 'b2', 'c1', 'd1']);
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
