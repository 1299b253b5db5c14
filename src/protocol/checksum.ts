import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const crc32cModule = require('crc-32/crc32c') as { buf(data: Uint8Array, seed?: number): number };

/** CRC-32C (Castagnoli) as Pulsar frames use it, as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array, previous?: number): number {
  return crc32cModule.buf(data, previous === undefined ? undefined : previous | 0) >>> 0;
}
