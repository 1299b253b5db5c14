/**
 * One segment file: durable batch appends with rollback on failure, reads by entry id through the
 * offset index (tail cache first, then one positional read per contiguous range).
 */
import { SegmentWriteError, StorageError, invariant } from './errors.js';
import { readFully, type FileHandleIo, type FileIo } from './file-io.js';
import type { HandlePool, PooledFile } from './handle-pool.js';
import { OffsetIndex } from './offset-index.js';
import {
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  checksum,
  encodeRecords,
  encodeSegmentHeader,
} from './record-format.js';
import type { SegmentHandle, SegmentReadRequest } from './segment-backend.js';
import { CacheRun, type TailCache } from './tail-cache.js';

/** Upper bound of one disk read (a single larger entry is still read whole). */
const READ_CHUNK_BYTES = 1024 * 1024;

export interface SegmentFileContext {
  readonly io: FileIo;
  readonly cache: TailCache;
  readonly handles: HandlePool;
  /** false only in tests: skips every fsync. */
  readonly fsync: boolean;
}

export class SegmentFile implements SegmentHandle, PooledFile {
  sizeBytes: number;
  private handle: FileHandleIo | null;
  private opening: Promise<FileHandleIo> | null = null;
  private activeReads = 0;
  private writable: boolean;
  private state: 'open' | 'removed' | 'closed' = 'open';
  private readonly cacheRun = new CacheRun();

  private constructor(
    private readonly ctx: SegmentFileContext,
    readonly path: string,
    readonly ledgerId: number,
    private readonly index: OffsetIndex,
    sizeBytes: number,
    writeHandle: FileHandleIo | null,
  ) {
    this.sizeBytes = sizeBytes;
    this.handle = writeHandle;
    this.writable = writeHandle !== null;
  }

  /** Creates the file with its header, durably (file and directory entry) before any append. */
  static async create(ctx: SegmentFileContext, directory: string, path: string, ledgerId: number) {
    const handle = await ctx.io.open(path, 'create');
    try {
      const header = encodeSegmentHeader(ledgerId);
      const written = await handle.writev([header], 0);
      if (written !== header.length) throw new Error(`short write of segment header ${path}`);
      if (ctx.fsync) await handle.datasync();
      if (ctx.fsync) await ctx.io.syncDirectory(directory);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await ctx.io.unlink(path).catch(() => undefined);
      throw error;
    }
    return new SegmentFile(ctx, path, ledgerId, new OffsetIndex(SEGMENT_HEADER_BYTES), 0, handle);
  }

  /** A segment of an earlier run: read-only, its handle opened on demand. */
  static recovered(ctx: SegmentFileContext, path: string, ledgerId: number, index: OffsetIndex, sizeBytes: number) {
    index.compact();
    return new SegmentFile(ctx, path, ledgerId, index, sizeBytes, null);
  }

  get entryCount(): number {
    return this.index.entryCount;
  }

  async appendBatch(entries: readonly Buffer[]): Promise<void> {
    invariant(this.writable && this.handle !== null && this.state === 'open', 'append to a writable segment');
    const { parts, totalBytes, recordOffsets, views } = encodeRecords(entries);
    const startOffset = this.index.endOffset;
    await this.writeDurably(this.handle, parts, totalBytes, startOffset);
    const firstEntryId = this.index.entryCount;
    entries.forEach((entry, i) => {
      this.index.push(startOffset + recordOffsets[i]!, RECORD_HEADER_BYTES + entry.length);
      this.sizeBytes += entry.length;
    });
    this.ctx.cache.add(this.cacheRun, firstEntryId, views);
  }

  private async writeDurably(handle: FileHandleIo, parts: readonly Buffer[], totalBytes: number, startOffset: number): Promise<void> {
    try {
      const written = await handle.writev(parts, startOffset);
      if (written !== totalBytes) throw new Error(`short write: ${written} of ${totalBytes} bytes`);
    } catch (error) {
      const rolledBack = await this.rollBack(handle, startOffset);
      throw new SegmentWriteError(`write to ${this.path} failed`, !rolledBack, error);
    }
    if (!this.ctx.fsync) return;
    try {
      await handle.datasync();
    } catch (error) {
      // After a failed fsync the kernel may have dropped dirty pages: nothing here is trustworthy any more.
      await this.rollBack(handle, startOffset);
      throw new SegmentWriteError(`fsync of ${this.path} failed`, true, error);
    }
  }

  /** Cuts the file back to its durable end so an unacknowledged record can never be recovered. */
  private async rollBack(handle: FileHandleIo, durableEndOffset: number): Promise<boolean> {
    try {
      await handle.truncate(durableEndOffset);
      if (this.ctx.fsync) await handle.datasync();
      return true;
    } catch {
      return false;
    }
  }

  async read(request: SegmentReadRequest): Promise<Buffer[]> {
    invariant(request.toEntryId <= this.index.entryCount, 'reads stay within durable entries');
    const result: Buffer[] = [];
    let totalBytes = 0;
    let entryId = request.fromEntryId;
    while (entryId < request.toEntryId) {
      const budgetBytes = request.maxBytes - totalBytes;
      const mustTake = request.takeFirst && result.length === 0;
      const cached = this.cacheRun.get(entryId);
      if (cached !== undefined) {
        if (!mustTake && cached.length > budgetBytes) break;
        result.push(cached);
        totalBytes += cached.length;
        entryId++;
        continue;
      }
      const firstCached = this.cacheRun.firstEntryId;
      const diskEnd = firstCached > entryId ? Math.min(request.toEntryId, firstCached) : request.toEntryId;
      const endEntryId = this.planDiskRead(entryId, diskEnd, budgetBytes, mustTake);
      if (endEntryId === entryId) break;
      for (const data of await this.readRange(entryId, endEntryId)) {
        result.push(data);
        totalBytes += data.length;
      }
      entryId = endEntryId;
    }
    return result;
  }

  /** End (exclusive) of the entries from `from` that fit the byte budget and one read chunk. */
  private planDiskRead(from: number, limit: number, budgetBytes: number, mustTakeFirst: boolean): number {
    let end = from;
    let dataBytes = 0;
    let fileBytes = 0;
    while (end < limit) {
      const recordBytes = this.index.offsetOf(end + 1) - this.index.offsetOf(end);
      const entryBytes = recordBytes - RECORD_HEADER_BYTES;
      const first = end === from;
      if (!(first && mustTakeFirst) && dataBytes + entryBytes > budgetBytes) break;
      if (!first && fileBytes + recordBytes > READ_CHUNK_BYTES) break;
      dataBytes += entryBytes;
      fileBytes += recordBytes;
      end++;
    }
    return end;
  }

  private async readRange(fromEntryId: number, toEntryId: number): Promise<Buffer[]> {
    const startOffset = this.index.offsetOf(fromEntryId);
    const lengthBytes = this.index.offsetOf(toEntryId) - startOffset;
    const buffer = Buffer.allocUnsafe(lengthBytes);
    const handle = await this.acquireHandle();
    let bytesRead: number;
    try {
      bytesRead = await readFully(handle, buffer, lengthBytes, startOffset);
    } finally {
      this.releaseHandle();
    }
    if (bytesRead !== lengthBytes) {
      throw new StorageError('CORRUPT_SEGMENT', `segment ${this.ledgerId} is shorter than its index`);
    }
    return this.parseRange(buffer, fromEntryId, toEntryId);
  }

  private parseRange(buffer: Buffer, fromEntryId: number, toEntryId: number): Buffer[] {
    const baseOffset = this.index.offsetOf(fromEntryId);
    const datas: Buffer[] = [];
    for (let entryId = fromEntryId; entryId < toEntryId; entryId++) {
      const offset = this.index.offsetOf(entryId) - baseOffset;
      const dataBytes = this.index.offsetOf(entryId + 1) - baseOffset - offset - RECORD_HEADER_BYTES;
      const data = buffer.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + dataBytes);
      if (buffer.readUInt32BE(offset) !== dataBytes || buffer.readUInt32BE(offset + 4) !== checksum(data)) {
        throw new StorageError('CORRUPT_ENTRY', `entry ${this.ledgerId}:${entryId} fails its checksum`);
      }
      datas.push(data);
    }
    return datas;
  }

  private async acquireHandle(): Promise<FileHandleIo> {
    if (this.isClosed()) throw new StorageError('LEDGER_CLOSED', `segment ${this.ledgerId} is closed`);
    this.activeReads++;
    try {
      if (this.handle === null) {
        const opened = await this.openReadHandle();
        if (this.isClosed()) {
          await opened.close();
          throw new StorageError('LEDGER_CLOSED', `segment ${this.ledgerId} is closed`);
        }
        this.handle ??= opened;
        if (this.handle !== opened) await opened.close();
      }
      if (!this.writable) this.ctx.handles.touch(this);
      return this.handle;
    } catch (error) {
      this.releaseHandle();
      throw error;
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** One open at a time; concurrent readers share it. */
  private openReadHandle(): Promise<FileHandleIo> {
    this.opening ??= this.ctx.io.open(this.path, 'read').finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private releaseHandle(): void {
    this.activeReads--;
    if (this.activeReads === 0 && this.state !== 'open') void this.closeHandle();
  }

  closeIfIdle(): boolean {
    if (this.activeReads > 0 || this.writable || this.handle === null) return false;
    void this.closeHandle();
    return true;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle !== null) await handle.close().catch(() => undefined);
  }

  /** Rolled over: the write handle stays open for readers, now bounded by the handle pool. */
  seal(): void {
    if (!this.writable) return;
    this.writable = false;
    this.index.compact();
    if (this.handle !== null) this.ctx.handles.touch(this);
  }

  /** Unlinks the file; reads already running finish on the open handle (POSIX keeps unlinked files readable). */
  async remove(): Promise<void> {
    this.forget('removed');
    await this.ctx.io.unlink(this.path);
    if (this.activeReads === 0) await this.closeHandle();
  }

  async close(): Promise<void> {
    this.forget('closed');
    await this.closeHandle();
  }

  private forget(state: 'removed' | 'closed'): void {
    this.state = state;
    this.writable = false;
    this.ctx.cache.drop(this.cacheRun);
    this.ctx.handles.forget(this);
  }
}
