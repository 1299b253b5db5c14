/** Opening a ledger from its directory (recovery) and the file SegmentBackend behind LedgerCore. */
import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { StorageError } from './errors.js';
import type { LedgerIdCounter } from './kv-stores.js';
import { openLedgerCore, type LedgerCoreHooks } from './ledger-core.js';
import {
  ledgerDirectoryName,
  readLedgerMeta,
  segmentFileName,
  segmentIdsIn,
  writeLedgerMeta,
  type LedgerMeta,
  type StorageLayout,
} from './ledger-directory.js';
import type { ResolvedLedgerOptions } from './options.js';
import type { InstrumentedLedger, SegmentBackend } from './segment-backend.js';
import { SegmentFile, type SegmentFileContext } from './segment-file.js';
import { recoverSegment } from './segment-recovery.js';

/** Reported when recovery cut a torn or corrupt tail off a segment. */
export interface SegmentRecoveryReport {
  readonly ledgerName: string;
  readonly ledgerId: number;
  readonly keptEntries: number;
  readonly droppedBytes: number;
}

export interface FileLedgerContext extends SegmentFileContext {
  readonly layout: StorageLayout;
  readonly counter: LedgerIdCounter;
  readonly options: ResolvedLedgerOptions;
  readonly onRecovery?: ((report: SegmentRecoveryReport) => void) | undefined;
}

export async function openFileLedger(
  ctx: FileLedgerContext,
  name: string,
  hooks: LedgerCoreHooks,
): Promise<InstrumentedLedger> {
  const directory = join(ctx.layout.ledgersDirectory, ledgerDirectoryName(name));
  const meta = await prepareDirectory(ctx, directory, name);
  const ledgerIds = segmentIdsIn(await ctx.io.readdir(directory));
  // Never reuse an id seen on disk, even of a segment about to be deleted as empty.
  if (ledgerIds.length > 0) await ctx.counter.ensureAbove(ledgerIds[ledgerIds.length - 1]!);
  const segments = await recoverSegments(ctx, directory, name, ledgerIds);
  const backend = fileBackend(ctx, name, directory, new Set(segments));
  return openLedgerCore(name, backend, { segments, trimmedPosition: meta.trimmedPosition }, ctx.options, hooks);
}

async function prepareDirectory(ctx: FileLedgerContext, directory: string, name: string): Promise<LedgerMeta> {
  await ctx.io.mkdir(directory);
  const meta = await readLedgerMeta(ctx.io, directory);
  if (meta !== null) {
    if (meta.name !== name) {
      throw new StorageError('NAME_COLLISION', `ledger ${name} maps to the directory of ledger ${meta.name}`);
    }
    return meta;
  }
  const fresh: LedgerMeta = { name, trimmedPosition: null };
  await writeLedgerMeta(ctx.io, directory, fresh, ctx.fsync);
  if (ctx.fsync) await ctx.io.syncDirectory(ctx.layout.ledgersDirectory);
  return fresh;
}

/** Recovers every segment file; empty ones (nothing survived, or never written) are deleted. */
async function recoverSegments(
  ctx: FileLedgerContext,
  directory: string,
  name: string,
  ledgerIds: readonly number[],
): Promise<SegmentFile[]> {
  const kept: SegmentFile[] = [];
  let deletedAny = false;
  for (const ledgerId of ledgerIds) {
    const path = join(directory, segmentFileName(ledgerId));
    const handle = await ctx.io.open(path, 'readwrite');
    const scan = await recoverSegment(handle, ledgerId, ctx.fsync).finally(() => handle.close());
    if (scan !== null && scan.droppedBytes > 0) {
      ctx.onRecovery?.({ ledgerName: name, ledgerId, keptEntries: scan.index.entryCount, droppedBytes: scan.droppedBytes });
    }
    if (scan === null || scan.index.entryCount === 0) {
      await ctx.io.unlink(path);
      deletedAny = true;
      continue;
    }
    kept.push(SegmentFile.recovered(ctx, path, ledgerId, scan.index, scan.sizeBytes));
  }
  if (deletedAny && ctx.fsync) await ctx.io.syncDirectory(directory);
  return kept;
}

function fileBackend(
  ctx: FileLedgerContext,
  name: string,
  directory: string,
  live: Set<SegmentFile>,
): SegmentBackend<SegmentFile> {
  return {
    async createSegment() {
      const ledgerId = await ctx.counter.allocate();
      const segment = await SegmentFile.create(ctx, directory, join(directory, segmentFileName(ledgerId)), ledgerId);
      live.add(segment);
      return segment;
    },
    appendBatch: (segment, entries) => segment.appendBatch(entries),
    readEntries: (segment, request) => segment.read(request),
    async sealSegment(segment) {
      segment.seal();
    },
    saveTrimmedPosition: (position) =>
      writeLedgerMeta(ctx.io, directory, { name, trimmedPosition: position }, ctx.fsync),
    // No directory fsync: a removal lost in a crash only brings back entries that were already
    // trimmed, and the next trimBefore() removes them again.
    async removeSegment(segment) {
      live.delete(segment);
      await segment.remove();
    },
    async close() {
      const segments = [...live];
      live.clear();
      await Promise.all(segments.map((segment) => segment.close()));
    },
    destroy: () => destroyDirectory(ctx, directory),
  };
}

/** Renames the directory into the trash first, so a crash midway never leaves half a ledger behind. */
async function destroyDirectory(ctx: FileLedgerContext, directory: string): Promise<void> {
  const trashPath = join(ctx.layout.trashDirectory, `${basename(directory)}.${randomUUID()}`);
  await ctx.io.mkdir(ctx.layout.trashDirectory);
  await ctx.io.rename(directory, trashPath);
  if (ctx.fsync) await ctx.io.syncDirectory(ctx.layout.ledgersDirectory);
  await ctx.io.removeTree(trashPath);
}
