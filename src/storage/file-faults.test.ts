import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeFileIo, type FileHandleIo, type FileIo } from './file-io.js';
import { openFileStorage, type FileStorageOptions } from './file-storage.js';
import type { InstrumentedStorage } from './segment-backend.js';
import { appendMany, entryData } from './storage-contract.js';
import type { Position } from './types.js';

type FaultPoint =
  | 'open'
  | 'write'
  | 'datasync'
  | 'truncate'
  | 'read'
  | 'rename'
  | 'unlink'
  | 'syncDirectory';

interface Fault {
  readonly error: NodeJS.ErrnoException;
  /** For 'write': bytes that really reach the file before the error (a partial write). */
  readonly partialBytes?: number;
}

/** Wraps nodeFileIo; each armed fault fails the next call of its kind once. */
class FaultInjector {
  private readonly armed = new Map<FaultPoint, Fault[]>();
  readonly calls = new Map<FaultPoint, number>();

  failNext(point: FaultPoint, code = 'EIO', partialBytes?: number): void {
    const error: NodeJS.ErrnoException = Object.assign(new Error(`injected ${code} at ${point}`), { code });
    const faults = this.armed.get(point) ?? [];
    faults.push(partialBytes === undefined ? { error } : { error, partialBytes });
    this.armed.set(point, faults);
  }

  take(point: FaultPoint): Fault | undefined {
    this.calls.set(point, (this.calls.get(point) ?? 0) + 1);
    return this.armed.get(point)?.shift();
  }

  check(point: FaultPoint): void {
    const fault = this.take(point);
    if (fault !== undefined) throw fault.error;
  }

  readonly io: FileIo = {
    ...nodeFileIo,
    open: async (path, mode) => {
      this.check('open');
      return this.wrap(await nodeFileIo.open(path, mode));
    },
    rename: async (from, to) => {
      this.check('rename');
      return nodeFileIo.rename(from, to);
    },
    unlink: async (path) => {
      this.check('unlink');
      return nodeFileIo.unlink(path);
    },
    syncDirectory: async (path) => {
      this.check('syncDirectory');
      return nodeFileIo.syncDirectory(path);
    },
  };

  private wrap(handle: FileHandleIo): FileHandleIo {
    return {
      ...handle,
      writev: async (buffers, position) => {
        const fault = this.take('write');
        if (fault === undefined) return handle.writev(buffers, position);
        if (fault.partialBytes !== undefined) {
          await handle.writev([Buffer.concat(buffers).subarray(0, fault.partialBytes)], position);
        }
        throw fault.error;
      },
      datasync: async () => {
        this.check('datasync');
        return handle.datasync();
      },
      truncate: async (size) => {
        this.check('truncate');
        return handle.truncate(size);
      },
      read: async (target, offset, length, position) => {
        this.check('read');
        return handle.read(target, offset, length, position);
      },
    };
  }
}

const ZERO: Position = { ledgerId: 0, entryId: 0 };

describe('file storage under injected I/O failures', () => {
  let dataDir: string;
  let faults: FaultInjector;
  let opened: InstrumentedStorage[];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vela-faults-'));
    faults = new FaultInjector();
    opened = [];
  });
  afterEach(async () => {
    await Promise.allSettled(opened.map((storage) => storage.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(options: FileStorageOptions = {}): Promise<InstrumentedStorage> {
    const storage = await openFileStorage(dataDir, { fileIo: faults.io, ...options });
    opened.push(storage);
    return storage;
  }

  async function readTexts(storage: InstrumentedStorage): Promise<string[]> {
    const ledger = await storage.openLedger('t1');
    return (await ledger.read(ZERO, 1000)).map((e) => e.data.toString());
  }

  it('rejects the whole group on a failed write, rolls back, and keeps appending', async () => {
    const storage = await open();
    const ledger = await storage.openLedger('t1');
    const acked = await appendMany(ledger, 3);
    faults.failNext('write', 'ENOSPC', 20);
    const failed = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => ledger.append(entryData(100 + i))));
    expect(failed.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
    await ledger.append(entryData(200));
    expect(ledger.stats().fenced).toBe(false);
    expect(ledger.lastPosition()).toEqual({ ledgerId: acked[2]!.ledgerId, entryId: 3 });
    expect((await ledger.read(ZERO, 100)).map((e) => e.data.toString())).toEqual([
      'entry-0', 'entry-1', 'entry-2', 'entry-200',
    ]);
    await storage.close();
    expect(await readTexts(await open())).toEqual(['entry-0', 'entry-1', 'entry-2', 'entry-200']);
  });

  it('rejects every append of a failed write with the cause', async () => {
    const ledger = await (await open()).openLedger('t1');
    faults.failNext('write', 'ENOSPC');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => ledger.append(entryData(i))));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected') {
        expect(result.reason).toMatchObject({ code: 'WRITE_FAILED', cause: { code: 'ENOSPC' } });
      }
    }
    expect(ledger.lastPosition()).toBeNull();
    expect(await ledger.append(entryData(0))).toEqual({ ledgerId: ledger.nextPosition().ledgerId, entryId: 0 });
  });

  it('fences the ledger after a failed fsync and recovers only acknowledged entries on reopen', async () => {
    const storage = await open();
    const ledger = await storage.openLedger('t1');
    await appendMany(ledger, 3);
    faults.failNext('datasync', 'EIO');
    const group = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => ledger.append(entryData(10 + i))));
    expect(group.every((r) => r.status === 'rejected')).toBe(true);
    expect(ledger.stats().fenced).toBe(true);
    await expect(ledger.append(entryData(20))).rejects.toMatchObject({ code: 'LEDGER_FENCED' });
    expect((await ledger.read(ZERO, 100)).map((e) => e.data.toString())).toEqual(['entry-0', 'entry-1', 'entry-2']);
    await ledger.close();
    const reopened = await storage.openLedger('t1');
    expect((await reopened.read(ZERO, 100)).map((e) => e.data.toString())).toEqual(['entry-0', 'entry-1', 'entry-2']);
    await reopened.append(entryData(30));
    await storage.close();
    expect(await readTexts(await open())).toEqual(['entry-0', 'entry-1', 'entry-2', 'entry-30']);
  });

  it('fences when a failed partial write cannot be rolled back, and recovery drops the torn record', async () => {
    const storage = await open();
    const ledger = await storage.openLedger('t1');
    await appendMany(ledger, 2);
    faults.failNext('write', 'EIO', 13);
    faults.failNext('truncate', 'EIO');
    await expect(ledger.append(entryData(5))).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    await expect(ledger.append(entryData(6))).rejects.toMatchObject({ code: 'LEDGER_FENCED' });
    await storage.close();
    expect(await readTexts(await open())).toEqual(['entry-0', 'entry-1']);
  });

  it('rejects queued appends when a new segment cannot be created, then retries', async () => {
    const ledger = await (await open({ maxSegmentEntries: 2 })).openLedger('t1');
    await appendMany(ledger, 1);
    faults.failNext('open');
    const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => ledger.append(entryData(i + 1))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    const position = await ledger.append(entryData(9));
    expect(position.entryId).toBe(0);
    expect((await ledger.read(ZERO, 100)).map((e) => e.data.toString())).toEqual(['entry-0', 'entry-1', 'entry-9']);
  });

  it('keeps segments when saving the trim point fails', async () => {
    const ledger = await (await open({ maxSegmentEntries: 2 })).openLedger('t1');
    const p = await appendMany(ledger, 5);
    faults.failNext('rename');
    await expect(ledger.trimBefore(p[4]!)).rejects.toMatchObject({ code: 'EIO' });
    expect(ledger.countEntries(ZERO, p[4]!)).toBe(5);
    expect(await ledger.trimBefore(p[4]!)).toBe(2);
    expect(ledger.firstPosition()).toEqual(p[4]);
  });

  it('fails an open whose recovery cannot read, then opens on retry', async () => {
    const storage = await open();
    await appendMany(await storage.openLedger('t1'), 2);
    await storage.close();
    const again = await open();
    faults.failNext('read');
    await expect(again.openLedger('t1')).rejects.toMatchObject({ code: 'EIO' });
    expect(await readTexts(again)).toEqual(['entry-0', 'entry-1']);
  });

  it('retries opening a sealed segment for reading after a failed open', async () => {
    const first = await open({ maxSegmentEntries: 2 });
    await appendMany(await first.openLedger('t1'), 4);
    await first.close();
    const ledger = await (await open({ maxSegmentEntries: 2, tailCacheBytes: 0 })).openLedger('t1');
    faults.failNext('open', 'EMFILE');
    await expect(ledger.read(ZERO, 10)).rejects.toMatchObject({ code: 'EMFILE' });
    expect(await ledger.read(ZERO, 10)).toHaveLength(4);
  });

  it('surfaces a failed disk read to the reader without breaking the ledger', async () => {
    const storage = await open({ tailCacheBytes: 0 });
    const ledger = await storage.openLedger('t1');
    await appendMany(ledger, 3);
    faults.failNext('read');
    await expect(ledger.read(ZERO, 10)).rejects.toMatchObject({ code: 'EIO' });
    expect(await ledger.read(ZERO, 10)).toHaveLength(3);
  });
});
