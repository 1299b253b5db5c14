export * from './types.js';
export { StorageError, isStorageError, type StorageErrorCode } from './errors.js';
export { DEFAULT_LEDGER_OPTIONS, type LedgerOptions } from './options.js';
export type { InstrumentedLedger, InstrumentedStorage, LedgerStats } from './segment-backend.js';
export { openFileStorage, type FileStorageOptions } from './file-storage.js';
export type { SegmentRecoveryReport } from './file-ledger.js';
export { nodeFileIo, type FileHandleIo, type FileIo, type OpenMode } from './file-io.js';
export {
  createMemoryStorage,
  createMemoryStorageData,
  type MemoryStorageData,
  type MemoryStorageOptions,
} from './memory-storage.js';
