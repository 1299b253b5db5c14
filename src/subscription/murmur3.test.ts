import { describe, expect, it } from 'vitest';
import { murmur3, murmur3Positive } from './murmur3.js';

describe('murmur3 x86_32', () => {
  it('matches published vectors', () => {
    expect(murmur3(Buffer.alloc(0))).toBe(0);
    expect(murmur3(Buffer.alloc(0), 1)).toBe(0x514e28b7);
    expect(murmur3(Buffer.from('Hello, world!'), 1234)).toBe(0xfaf6cdb3);
    expect(murmur3(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x2e4ff723);
  });
  it('matches the Pulsar key vector from TOOLCHAIN.md', () => {
    expect(murmur3(Buffer.from('key-1'))).toBe(2561742240);
    expect(murmur3Positive('key-1')).toBe(414258592);
  });
});
