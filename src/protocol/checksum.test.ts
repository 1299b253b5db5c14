import { describe, expect, it } from 'vitest';
import { crc32c } from './checksum.js';

// Known-answer vectors for CRC-32C: the "123456789" check value from the CRC catalogue and the
// iSCSI test patterns of RFC 3720 appendix B.4.
describe('crc32c', () => {
  it('matches the catalogue check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
  it('matches RFC 3720 B.4 patterns', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
  });
  it('can be resumed over split input', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    expect(crc32c(data.subarray(10), crc32c(data.subarray(0, 10)))).toBe(crc32c(data));
  });
  it('is not the IEEE CRC-32', () => {
    expect(crc32c(Buffer.from('123456789'))).not.toBe(0xcbf43926);
  });
});
