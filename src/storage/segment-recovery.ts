/**
 * Recovery of one segment file after a restart or crash: every complete record whose checksum
 * matches is kept, and the file is cut at the first torn or corrupt record.
 */
import { StorageError } from './errors.js';
import { readFully, type FileHandleIo } from './file-io.js';
import { OffsetIndex } from './offset-index.js';
import {
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  checkRecord,
  decodeSegmentHeader,
} from './record-format.js';

const SCAN_CHUNK_BYTES = 1024 * 1024;

export interface SegmentScan {
  readonly index: OffsetIndex;
  /** Sum of the kept entries' data lengths. */
  readonly sizeBytes: number;
  /** Bytes after the last good record, now cut off. */
  readonly droppedBytes: number;
}

/**
 * Scans and truncates a segment opened read-write. null means the file never got a complete header,
 * so it never held an acknowledged entry (headers are synced before the first append).
 */
export async function recoverSegment(
  handle: FileHandleIo,
  ledgerId: number,
  sync: boolean,
): Promise<SegmentScan | null> {
  const fileBytes = await handle.sizeBytes();
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  const headerBytes = await readFully(handle, header, SEGMENT_HEADER_BYTES, 0);
  const headerLedgerId = decodeSegmentHeader(header.subarray(0, headerBytes));
  if (headerLedgerId === null) {
    if (fileBytes <= SEGMENT_HEADER_BYTES) return null;
    throw new StorageError('CORRUPT_SEGMENT', `segment ${ledgerId} has no valid header`);
  }
  if (headerLedgerId !== ledgerId) {
    throw new StorageError('CORRUPT_SEGMENT', `segment file ${ledgerId} holds ledger ${headerLedgerId}`);
  }
  const scan = await scanRecords(handle, fileBytes);
  if (scan.droppedBytes > 0) {
    await handle.truncate(scan.index.endOffset);
    if (sync) await handle.datasync();
  }
  return scan;
}

async function scanRecords(handle: FileHandleIo, fileBytes: number): Promise<SegmentScan> {
  const index = new OffsetIndex(SEGMENT_HEADER_BYTES);
  let sizeBytes = 0;
  let chunk = Buffer.alloc(0);
  let chunkStart = SEGMENT_HEADER_BYTES;
  for (;;) {
    const offset = index.endOffset;
    const check = checkRecord(chunk, offset - chunkStart);
    if (check.kind === 'corrupt') break;
    if (check.kind === 'valid') {
      index.push(offset, RECORD_HEADER_BYTES + check.dataBytes);
      sizeBytes += check.dataBytes;
      continue;
    }
    // Incomplete in this chunk: torn when the file itself ends before the record does.
    if (offset + check.neededBytes > fileBytes) break;
    const lengthBytes = Math.min(Math.max(SCAN_CHUNK_BYTES, check.neededBytes), fileBytes - offset);
    chunk = Buffer.allocUnsafe(lengthBytes);
    const bytesRead = await readFully(handle, chunk, lengthBytes, offset);
    chunk = chunk.subarray(0, bytesRead);
    chunkStart = offset;
    if (bytesRead < check.neededBytes) break;
  }
  return { index, sizeBytes, droppedBytes: fileBytes - index.endOffset };
}
