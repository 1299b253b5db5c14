import { crc32c } from './checksum.js';
import { MAGIC_CRC32C } from './frame.js';
import { MessageMetadataType } from './proto.js';
import type { MessageMetadata } from './wire-types.js';

/**
 * An entry as Vela stores it: exactly what Pulsar stores and re-emits after a MESSAGE command,
 *   [0x0e01][crc32c u32][metadataSize u32][MessageMetadata][payload]
 * with the checksum covering metadataSize..end (Commands.serializeCommandSendWithSize).
 */
export class EntryFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EntryFormatError';
  }
}

export interface PublishedEntry {
  /** The bytes to store: always with magic and checksum, even if the producer sent none. */
  readonly entry: Buffer;
  /** False when the producer's checksum did not match (Pulsar answers ChecksumError). */
  readonly checksumValid: boolean;
  readonly metadata: MessageMetadata;
}

/** Reads the payload of a SEND frame. Throws EntryFormatError if the sizes or metadata are malformed. */
export function readSendPayload(payload: Buffer): PublishedEntry {
  if (payload.length >= 6 && payload.readUInt16BE(0) === MAGIC_CRC32C) {
    const expected = payload.readUInt32BE(2);
    const covered = payload.subarray(6);
    const metadata = decodeMetadata(covered);
    return { entry: payload, checksumValid: crc32c(covered) === expected, metadata };
  }
  // Producers that negotiated a protocol below v6 send no checksum; store one so every consumer gets it.
  const metadata = decodeMetadata(payload);
  const entry = Buffer.allocUnsafe(6 + payload.length);
  entry.writeUInt16BE(MAGIC_CRC32C, 0);
  entry.writeUInt32BE(crc32c(payload), 2);
  payload.copy(entry, 6);
  return { entry, checksumValid: true, metadata };
}

/** MessageMetadata of a stored entry. */
export function readEntryMetadata(entry: Buffer): MessageMetadata {
  if (entry.length < 6 || entry.readUInt16BE(0) !== MAGIC_CRC32C) throw new EntryFormatError('entry lacks the checksum magic');
  return decodeMetadata(entry.subarray(6));
}

/** Number of messages an entry carries (a batch counts as its size), as permits count them. */
export function messagesInEntry(metadata: MessageMetadata): number {
  const n = metadata.num_messages_in_batch;
  return n === undefined || n < 1 ? 1 : n;
}

function decodeMetadata(sizedMetadata: Buffer): MessageMetadata {
  if (sizedMetadata.length < 4) throw new EntryFormatError('payload too short for a metadata size');
  const size = sizedMetadata.readUInt32BE(0);
  if (size === 0 || size > sizedMetadata.length - 4) {
    throw new EntryFormatError(`metadata size ${size} does not fit a payload of ${sizedMetadata.length} bytes`);
  }
  try {
    return MessageMetadataType.decode(sizedMetadata.subarray(4, 4 + size)) as unknown as MessageMetadata;
  } catch (error) {
    throw new EntryFormatError(`malformed message metadata: ${(error as Error).message}`);
  }
}
