import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStorage, type FileStorageOptions } from './file-storage.js';
import { ledgerDirectoryName } from './ledger-directory.js';
import type { InstrumentedStorage } from './segment-backend.js';
import { appendMany, defineStorageContract, expectIncreasing } from './storage-contract.js';
import type { Position } from './types.js';

defineStorageContract('file', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vela-storage-'));
  const opened: InstrumentedStorage[] = [];
  return {
    async open(options) {
      const storage = await openFileStorage(dataDir, options);
      opened.push(storage);
      return storage;
    },
    async cleanup() {
      await Promise.all(opened.map((storage) => storage.close()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

const ZERO: Position = { ledgerId: 0, entryId: 0 };

describe('file storage', () => {
  let dataDir: string;
  let opened: InstrumentedStorage[];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vela-file-'));
    opened = [];
  });
  afterEach(async () => {
    await Promise.allSettled(opened.map((storage) => storage.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(options: FileStorageOptions = {}): Promise<InstrumentedStorage> {
    const storage = await openFileStorage(dataDir, options);
    opened.push(storage);
    return storage;
  }

  it('reads a large backlog from disk after a reopen with a small tail cache', async () => {
    const count = 20_000;
    const payload = (i: number) => Buffer.from(`${i}:`.padEnd(200, 'x'));
    const writer = await open({ maxSegmentEntries: 4_000 });
    const ledger = await writer.openLedger('backlog');
    for (let first = 0; first < count; first += 2_000) {
      await Promise.all(Array.from({ length: 2_000 }, (_, i) => ledger.append(payload(first + i))));
    }
    await writer.close();
    const reader = await open({ maxSegmentEntries: 4_000, tailCacheBytes: 64 * 1024, maxOpenReadFiles: 2 });
    const reopened = await reader.openLedger('backlog');
    expect(reopened.segments().filter((s) => s.entryCount > 0)).toHaveLength(5);
    let from = ZERO;
    let seen = 0;
    let mismatches = 0;
    let largestReadBytes = 0;
    for (;;) {
      const entries = await reopened.read(from, 1_000, 100 * 1024);
      if (entries.length === 0) break;
      largestReadBytes = Math.max(largestReadBytes, entries.reduce((sum, e) => sum + e.data.length, 0));
      for (const entry of entries) if (!entry.data.equals(payload(seen++))) mismatches++;
      from = reopened.positionAfter(entries[entries.length - 1]!.position, 1);
    }
    expect(seen).toBe(count);
    expect(mismatches).toBe(0);
    expect(largestReadBytes).toBeLessThanOrEqual(100 * 1024);
  });

  it('never hands out a ledger id twice, even after the ledger and all its files were deleted', async () => {
    const first = await open();
    const ledger = await first.openLedger('t1');
    const before = await appendMany(ledger, 3);
    await ledger.delete();
    await first.close();
    expect(readdirSync(join(dataDir, 'ledgers'))).not.toContain(ledgerDirectoryName('t1'));
    const second = await open();
    const recreated = await second.openLedger('t1');
    const after = await appendMany(recreated, 1);
    expectIncreasing([...before, ...after]);
  });

  it('keeps reading while its handles are limited and segments are trimmed under it', async () => {
    const storage = await open({ maxSegmentEntries: 10, tailCacheBytes: 0, maxOpenReadFiles: 1 });
    const ledger = await storage.openLedger('t1');
    const p = await appendMany(ledger, 100);
    const reads = Array.from({ length: 10 }, (_, i) => ledger.read(p[i * 10]!, 15));
    const trim = ledger.trimBefore(p[50]!);
    const results = await Promise.all(reads);
    expect(await trim).toBe(5);
    // Reads that started below the trim point may come back empty or whole; the others are untouched.
    expect(results.slice(5).map((entries) => entries.length)).toEqual([15, 15, 15, 15, 10]);
    expect((await ledger.read(ZERO, 1000)).map((e) => e.data.toString())[0]).toBe('entry-50');
  });

  it('refuses a second storage on the same directory', async () => {
    await open();
    await expect(openFileStorage(dataDir)).rejects.toThrow();
  });
});
