import { StorageError } from './errors.js';

const MiB = 1024 * 1024;

/** Limits shared by every Storage implementation. */
export interface LedgerOptions {
  /** Roll over to a new segment once it holds this many entries (Pulsar's managedLedgerMaxEntriesPerLedger). */
  readonly maxSegmentEntries?: number;
  /** Roll over once a segment's entry bytes reach this size (the entry that crosses it stays in the segment). */
  readonly maxSegmentBytes?: number;
  /** Appends larger than this reject with ENTRY_TOO_LARGE. */
  readonly maxEntryBytes?: number;
  /** Byte cap of one read() that passes no maxBytes, so a read never pulls a whole backlog into memory. */
  readonly defaultReadMaxBytes?: number;
}

export type ResolvedLedgerOptions = Required<LedgerOptions>;

export const DEFAULT_LEDGER_OPTIONS: ResolvedLedgerOptions = {
  maxSegmentEntries: 50_000,
  maxSegmentBytes: 128 * MiB,
  // Pulsar's default maxMessageSize is 5 MiB; storage keeps a wide margin but still a limit.
  maxEntryBytes: 64 * MiB,
  defaultReadMaxBytes: 64 * MiB,
};

/** Segment files address records with 32-bit offsets. */
const MAX_SEGMENT_FILE_BYTES = 2 ** 32 - 1;

export function resolveLedgerOptions(options: LedgerOptions = {}): ResolvedLedgerOptions {
  const resolved: ResolvedLedgerOptions = {
    maxSegmentEntries: options.maxSegmentEntries ?? DEFAULT_LEDGER_OPTIONS.maxSegmentEntries,
    maxSegmentBytes: options.maxSegmentBytes ?? DEFAULT_LEDGER_OPTIONS.maxSegmentBytes,
    maxEntryBytes: options.maxEntryBytes ?? DEFAULT_LEDGER_OPTIONS.maxEntryBytes,
    defaultReadMaxBytes: options.defaultReadMaxBytes ?? DEFAULT_LEDGER_OPTIONS.defaultReadMaxBytes,
  };
  for (const [key, value] of Object.entries(resolved)) requirePositiveInteger(key, value);
  // Worst case file: every entry's 8-byte record header, plus one oversized entry past maxSegmentBytes.
  const worstFileBytes =
    64 + resolved.maxSegmentBytes + resolved.maxEntryBytes + 8 * resolved.maxSegmentEntries;
  if (worstFileBytes > MAX_SEGMENT_FILE_BYTES) {
    throw new StorageError('INVALID_ARGUMENT', 'maxSegmentBytes + maxEntryBytes must stay below 4 GiB');
  }
  return resolved;
}

export function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new StorageError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  }
}

export function requireCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StorageError('INVALID_ARGUMENT', `${name} must be an integer >= 0, got ${value}`);
  }
}

/** Ledger names are opaque, but bounded: they end up in directory names and error messages. */
const MAX_LEDGER_NAME_CHARS = 4096;

export function requireLedgerName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_LEDGER_NAME_CHARS) {
    throw new StorageError('INVALID_ARGUMENT', `ledger names have 1 to ${MAX_LEDGER_NAME_CHARS} characters`);
  }
}
