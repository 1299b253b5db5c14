/**
 * Segment file layout:
 *   header  [u32 BE magic "VSEG"][u32 BE format version][u64 BE ledgerId]          (16 bytes)
 *   records [u32 BE data length][u32 BE crc32c(data) XOR CRC_MASK][data]           (repeated)
 * Record i of the file is entry i of the segment. The mask matters because crc32c of no bytes is 0:
 * unmasked, a zero-filled tail (what some file systems show after a crash) would parse as a run of
 * valid empty records.
 */
import { crc32c } from '@node-rs/crc32';

export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
const SEGMENT_MAGIC = 0x5653_4547; // "VSEG"
const FORMAT_VERSION = 1;
const CRC_MASK = 0x5ee0_c0de;

export function checksum(data: Uint8Array): number {
  return (crc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) ^ CRC_MASK) >>> 0;
}

export function encodeSegmentHeader(ledgerId: number): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  header.writeUInt32BE(SEGMENT_MAGIC, 0);
  header.writeUInt32BE(FORMAT_VERSION, 4);
  header.writeBigUInt64BE(BigInt(ledgerId), 8);
  return header;
}

/** The ledgerId in a valid header, or null when the bytes are not a header of this format. */
export function decodeSegmentHeader(header: Buffer): number | null {
  if (header.length < SEGMENT_HEADER_BYTES) return null;
  if (header.readUInt32BE(0) !== SEGMENT_MAGIC || header.readUInt32BE(4) !== FORMAT_VERSION) return null;
  const ledgerId = header.readBigUInt64BE(8);
  return ledgerId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ledgerId) : null;
}

/**
 * Entries from this size on are written and cached by reference instead of copied: copying a large
 * batch entry cost more broker CPU than anything else on the batched produce path. Smaller entries
 * are packed into one allocation per batch, so the cache holds one buffer per batch rather than a
 * view into each socket read that carried an entry.
 */
export const BY_REFERENCE_BYTES = 16 * 1024;

export interface EncodedBatch {
  /** The records back to back, as buffers for one writev: packed headers and small entries, large entries between. */
  readonly parts: readonly Buffer[];
  readonly totalBytes: number;
  /** Offset of each record from the start of the batch. */
  readonly recordOffsets: readonly number[];
  /** Each entry's data as the batch holds it (a view of the packed buffer, or the entry itself). */
  readonly views: readonly Buffer[];
}

/** Appended entries belong to the storage afterwards: large ones are kept by reference (see BY_REFERENCE_BYTES). */
export function encodeRecords(entries: readonly Buffer[]): EncodedBatch {
  let packedBytes = 0;
  for (const entry of entries) packedBytes += RECORD_HEADER_BYTES + (entry.length < BY_REFERENCE_BYTES ? entry.length : 0);
  const packed = Buffer.allocUnsafe(packedBytes);
  const parts: Buffer[] = [];
  const recordOffsets: number[] = [];
  const views: Buffer[] = [];
  let packedAt = 0;
  let partStart = 0;
  let offset = 0;
  for (const entry of entries) {
    recordOffsets.push(offset);
    packed.writeUInt32BE(entry.length, packedAt);
    packed.writeUInt32BE(checksum(entry), packedAt + 4);
    packedAt += RECORD_HEADER_BYTES;
    if (entry.length < BY_REFERENCE_BYTES) {
      entry.copy(packed, packedAt);
      views.push(packed.subarray(packedAt, packedAt + entry.length));
      packedAt += entry.length;
    } else {
      parts.push(packed.subarray(partStart, packedAt), entry);
      views.push(entry);
      partStart = packedAt;
    }
    offset += RECORD_HEADER_BYTES + entry.length;
  }
  if (packedAt > partStart) parts.push(packed.subarray(partStart, packedAt));
  return { parts, totalBytes: offset, recordOffsets, views };
}

export type RecordCheck =
  | { readonly kind: 'valid'; readonly dataBytes: number }
  | { readonly kind: 'incomplete'; readonly neededBytes: number }
  | { readonly kind: 'corrupt' };

/**
 * Checks the record starting at buffer[offset]. `incomplete` asks for more bytes; the caller decides
 * whether the file has them (otherwise the record is torn).
 */
export function checkRecord(buffer: Buffer, offset: number): RecordCheck {
  if (buffer.length - offset < RECORD_HEADER_BYTES) {
    return { kind: 'incomplete', neededBytes: RECORD_HEADER_BYTES };
  }
  const dataBytes = buffer.readUInt32BE(offset);
  const recordBytes = RECORD_HEADER_BYTES + dataBytes;
  if (buffer.length - offset < recordBytes) return { kind: 'incomplete', neededBytes: recordBytes };
  const data = buffer.subarray(offset + RECORD_HEADER_BYTES, offset + recordBytes);
  return checksum(data) === buffer.readUInt32BE(offset + 4) ? { kind: 'valid', dataBytes } : { kind: 'corrupt' };
}
