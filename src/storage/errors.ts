/** Stable codes for every error the storage layer raises on purpose. */
export type StorageErrorCode =
  | 'LEDGER_CLOSED'
  | 'LEDGER_FENCED'
  | 'STORAGE_CLOSED'
  | 'ENTRY_TOO_LARGE'
  | 'WRITE_FAILED'
  | 'CORRUPT_SEGMENT'
  | 'CORRUPT_ENTRY'
  | 'CORRUPT_STATE'
  | 'NAME_COLLISION'
  | 'INVALID_ARGUMENT';

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}

/** Raised by a segment backend when a group of appends could not be made durable. */
export class SegmentWriteError extends StorageError {
  /** True when bytes of the failed group may still be on disk: the ledger must stop appending. */
  readonly durabilityUnknown: boolean;

  constructor(message: string, durabilityUnknown: boolean, cause: unknown) {
    super('WRITE_FAILED', message, { cause });
    this.name = 'SegmentWriteError';
    this.durabilityUnknown = durabilityUnknown;
  }
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`storage invariant violated: ${message}`);
}
