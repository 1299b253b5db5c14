/**
 * On-disk layout of the file storage:
 *   <dataDir>/meta/                     LevelDB: cursors, metadata, the ledger id counter
 *   <dataDir>/ledgers/<dir>/ledger.json {"v":1,"name":…,"trimmedPosition":…}
 *   <dataDir>/ledgers/<dir>/<ledgerId, 16 digits>.seg
 *   <dataDir>/trash/                    ledgers being deleted (renamed here first, then removed)
 * <dir> is the URI-encoded name, or a prefix of it plus a hash when the name is long.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { StorageError } from './errors.js';
import { writeFileAtomic, type FileIo } from './file-io.js';
import { isPosition } from './segment-math.js';
import type { Position } from './types.js';

const LEDGER_META_FILE = 'ledger.json';
const MAX_DIRECTORY_NAME_CHARS = 180;
const SEGMENT_FILE_PATTERN = /^(\d{16})\.seg$/;

export interface StorageLayout {
  readonly metaDirectory: string;
  readonly ledgersDirectory: string;
  readonly trashDirectory: string;
}

export function storageLayout(dataDir: string): StorageLayout {
  return {
    metaDirectory: join(dataDir, 'meta'),
    ledgersDirectory: join(dataDir, 'ledgers'),
    trashDirectory: join(dataDir, 'trash'),
  };
}

/** A directory name that is safe on any file system, unique per ledger name. */
export function ledgerDirectoryName(name: string): string {
  // Dots are escaped too, so no name maps to "." or "..".
  const encoded = encodeURIComponent(name).replace(/[.!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  if (encoded.length <= MAX_DIRECTORY_NAME_CHARS) return encoded;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 32);
  return `${encoded.slice(0, 100)}~${hash}`;
}

export function segmentFileName(ledgerId: number): string {
  return `${String(ledgerId).padStart(16, '0')}.seg`;
}

/** Segment ledger ids in a directory listing, ascending. */
export function segmentIdsIn(fileNames: readonly string[]): number[] {
  const ids: number[] = [];
  for (const fileName of fileNames) {
    const match = SEGMENT_FILE_PATTERN.exec(fileName);
    if (match !== null) ids.push(Number(match[1]));
  }
  return ids.sort((a, b) => a - b);
}

export interface LedgerMeta {
  readonly name: string;
  readonly trimmedPosition: Position | null;
}

/** The ledger's meta file, or null when it does not exist yet. */
export async function readLedgerMeta(io: FileIo, directory: string): Promise<LedgerMeta | null> {
  let raw: Buffer;
  try {
    raw = await io.readFile(join(directory, LEDGER_META_FILE));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
  let parsed: { v?: unknown; name?: unknown; trimmedPosition?: unknown };
  try {
    parsed = JSON.parse(raw.toString('utf8')) as typeof parsed;
  } catch (error) {
    throw new StorageError('CORRUPT_STATE', `${directory}/${LEDGER_META_FILE} is not JSON`, { cause: error });
  }
  const trimmed = parsed.trimmedPosition ?? null;
  if (parsed.v !== 1 || typeof parsed.name !== 'string' || (trimmed !== null && !isPosition(trimmed))) {
    throw new StorageError('CORRUPT_STATE', `${directory}/${LEDGER_META_FILE} has an unknown format`);
  }
  return { name: parsed.name, trimmedPosition: trimmed };
}

export async function writeLedgerMeta(io: FileIo, directory: string, meta: LedgerMeta, sync: boolean) {
  const json = JSON.stringify({ v: 1, name: meta.name, trimmedPosition: meta.trimmedPosition });
  await writeFileAtomic(io, directory, LEDGER_META_FILE, Buffer.from(json, 'utf8'), sync);
}
