import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC-32C (Castagnoli) as Pulsar frames use it, as an unsigned 32-bit integer. The native
 * implementation (SSE4.2/ARM CRC instructions) runs at several GB/s; a pure-JS table version was
 * the broker's top self-time function under batched load.
 */
export function crc32c(data: Uint8Array, previous?: number): number {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return nativeCrc32c(bytes, previous) >>> 0;
}
