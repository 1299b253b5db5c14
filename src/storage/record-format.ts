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

export interface EncodedBatch {
  /** All records back to back, ready for one write. */
  readonly buffer: Buffer;
  /** Offset of each record inside buffer. */
  readonly recordOffsets: readonly number[];
}

export function encodeRecords(entries: readonly Buffer[]): EncodedBatch {
  let totalBytes = 0;
  for (const entry of entries) totalBytes += RECORD_HEADER_BYTES + entry.length;
  const buffer = Buffer.allocUnsafe(totalBytes);
  const recordOffsets: number[] = [];
  let offset = 0;
  for (const entry of entries) {
    recordOffsets.push(offset);
    buffer.writeUInt32BE(entry.length, offset);
    buffer.writeUInt32BE(checksum(entry), offset + 4);
    entry.copy(buffer, offset + RECORD_HEADER_BYTES);
    offset += RECORD_HEADER_BYTES + entry.length;
  }
  return { buffer, recordOffsets };
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
