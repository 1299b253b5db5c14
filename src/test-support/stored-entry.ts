/**
 * A stored entry around encoded MessageMetadata and a 4-byte zero payload:
 * [0x0e01][crc placeholder][metadataSize][MessageMetadata][payload]. Dispatch never re-checks the crc.
 */
export function storedEntry(metadata: Uint8Array): Buffer {
  const entry = Buffer.alloc(10 + metadata.length + 4);
  entry.writeUInt16BE(0x0e01, 0);
  entry.writeUInt32BE(metadata.length, 6);
  entry.set(metadata, 10);
  return entry;
}
