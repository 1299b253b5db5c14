/**
 * The durable Storage: messages in append-only segment files with group-commit fsync, cursors,
 * metadata and the ledger id counter in one LevelDB. See ledger-directory.ts for the layout.
 */
import { join } from 'node:path';
import { openFileLedger, type FileLedgerContext, type SegmentRecoveryReport } from './file-ledger.js';
import { nodeFileIo, type FileIo } from './file-io.js';
import { HandlePool } from './handle-pool.js';
import { KvBatcher } from './kv-batcher.js';
import { LedgerIdCounter, createIndexStore, createCursorStore, createMetadataStore } from './kv-stores.js';
import { ledgerDirectoryName, readLedgerMeta, storageLayout } from './ledger-directory.js';
import { LedgerRegistry } from './ledger-registry.js';
import { openLevelKv } from './level-kv.js';
import { requireCount, requirePositiveInteger, resolveLedgerOptions, type LedgerOptions } from './options.js';
import type { InstrumentedLedger, InstrumentedStorage } from './segment-backend.js';
import { TailCache } from './tail-cache.js';

export interface FileStorageOptions extends LedgerOptions {
  /** Default true. false skips every fsync (and LevelDB's sync): for tests only. */
  readonly fsync?: boolean;
  /** Byte budget of recently appended entries kept for readers, shared by all ledgers. Default 16 MiB. */
  readonly tailCacheBytes?: number;
  /** File handles kept open for reading sealed segments, across all ledgers. Default 256. */
  readonly maxOpenReadFiles?: number;
  /** Replaces node:fs, e.g. to inject failures in tests. */
  readonly fileIo?: FileIo;
  /** Told when recovery cut a torn or corrupt tail off a segment. */
  readonly onRecovery?: (report: SegmentRecoveryReport) => void;
}

const DEFAULT_TAIL_CACHE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_OPEN_READ_FILES = 256;

export async function openFileStorage(dataDir: string, options: FileStorageOptions = {}): Promise<InstrumentedStorage> {
  const ledgerOptions = resolveLedgerOptions(options);
  const tailCacheBytes = options.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES;
  const maxOpenReadFiles = options.maxOpenReadFiles ?? DEFAULT_MAX_OPEN_READ_FILES;
  requireCount('tailCacheBytes', tailCacheBytes);
  requirePositiveInteger('maxOpenReadFiles', maxOpenReadFiles);
  const io = options.fileIo ?? nodeFileIo;
  const fsync = options.fsync ?? true;
  const layout = storageLayout(dataDir);
  await io.mkdir(layout.ledgersDirectory);
  if (fsync) await io.syncDirectory(dataDir);
  const kv = await openLevelKv(layout.metaDirectory, { sync: fsync });
  const batcher = new KvBatcher(kv);
  let ctx: FileLedgerContext;
  try {
    // Finish deletions a crash interrupted (a ledger is renamed into the trash before it is removed).
    await io.removeTree(layout.trashDirectory);
    ctx = {
      io,
      fsync,
      layout,
      options: ledgerOptions,
      cache: new TailCache(tailCacheBytes),
      handles: new HandlePool(maxOpenReadFiles),
      counter: await LedgerIdCounter.load(kv, batcher),
      onRecovery: options.onRecovery,
    };
  } catch (error) {
    await kv.close();
    throw error;
  }
  const registry = new LedgerRegistry<InstrumentedLedger>();
  let closing: Promise<void> | null = null;
  return {
    openLedger: (name) => registry.get(name, () => openFileLedger(ctx, name, registry)),
    listLedgers: () => listLedgerNames(io, layout.ledgersDirectory),
    cursors: createCursorStore(kv, batcher),
    metadata: createMetadataStore(kv, batcher),
    indexes: createIndexStore(kv, batcher),
    close() {
      closing ??= registry.closeAll().finally(async () => {
        await batcher.idle();
        await kv.close();
      });
      return closing;
    },
  };
}

async function listLedgerNames(io: FileIo, ledgersDirectory: string): Promise<string[]> {
  const names: string[] = [];
  for (const directoryName of await io.readdir(ledgersDirectory)) {
    const meta = await readLedgerMeta(io, join(ledgersDirectory, directoryName));
    // Only directories whose name matches their ledger: skips leftovers that are not ledgers.
    if (meta !== null && ledgerDirectoryName(meta.name) === directoryName) names.push(meta.name);
  }
  return names.sort();
}
