import { describe, expect, it } from 'vitest';
import { encodePayloadFrameHeader, encodeSimpleFrame, FrameDecoder, FrameError } from './frame.js';

const LIMIT = 5 * 1024 * 1024 + 10 * 1024;

function frames(): Buffer[] {
  const a = encodeSimpleFrame(Buffer.from([0x08, 0x12, 0x92, 0x01, 0x00]));
  const payload = Buffer.from('0e01deadbeef00000002aabbpayload', 'utf8');
  const b = Buffer.concat([encodePayloadFrameHeader(Buffer.from([0x08, 0x06]), payload.length), payload]);
  const c = encodeSimpleFrame(Buffer.from([0x08, 0x13, 0x9a, 0x01, 0x00]));
  return [a, b, c];
}

describe('FrameDecoder', () => {
  it('decodes the golden ping frame', () => {
    // PING = BaseCommand{type: 18, ping: {}}: 08 12 92 01 00 — 13 bytes on the wire.
    const golden = Buffer.from('00000009000000050812920100', 'hex');
    const [frame] = new FrameDecoder(LIMIT).push(golden);
    expect(frame!.command.toString('hex')).toBe('0812920100');
    expect(frame!.payload).toBeUndefined();
  });

  it('decodes coalesced frames in one chunk', () => {
    const out = new FrameDecoder(LIMIT).push(Buffer.concat(frames()));
    expect(out.map((f) => f.command.toString('hex'))).toEqual(['0812920100', '0806', '08139a0100']);
    expect(out[1]!.payload!.toString()).toBe('0e01deadbeef00000002aabbpayload');
  });

  it('decodes the same frames split at every byte boundary', () => {
    const stream = Buffer.concat(frames());
    for (let split = 1; split < stream.length; split++) {
      const decoder = new FrameDecoder(LIMIT);
      const out = [...decoder.push(stream.subarray(0, split)), ...decoder.push(stream.subarray(split))];
      expect(out).toHaveLength(3);
      expect(decoder.bufferedBytes()).toBe(0);
    }
  });

  it('decodes byte-by-byte delivery', () => {
    const decoder = new FrameDecoder(LIMIT);
    const out = [...Buffer.concat(frames())].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(out).toHaveLength(3);
  });

  it('reassembles a large frame delivered in many small chunks', () => {
    const command = Buffer.from([0x08, 0x06]);
    const payload = Buffer.alloc(1 << 20, 0xab);
    const stream = Buffer.concat([encodePayloadFrameHeader(command, payload.length), payload, ...frames()]);
    const decoder = new FrameDecoder(LIMIT);
    const out = [];
    for (let at = 0; at < stream.length; at += 997) out.push(...decoder.push(stream.subarray(at, at + 997)));
    expect(out).toHaveLength(4);
    expect(out[0]!.payload!.equals(payload)).toBe(true);
  });

  it('rejects an oversized frame as soon as its split size field is complete', () => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(LIMIT + 1, 0);
    const decoder = new FrameDecoder(LIMIT);
    expect(decoder.push(size.subarray(0, 2))).toEqual([]);
    expect(() => decoder.push(size.subarray(2))).toThrow(FrameError);
  });

  it('rejects an oversized frame before buffering it', () => {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(LIMIT + 1, 0);
    expect(() => new FrameDecoder(LIMIT).push(header)).toThrow(FrameError);
  });

  it('accepts a frame of exactly the limit', () => {
    const command = Buffer.from([0x08, 0x06]);
    const payload = Buffer.alloc(LIMIT - 4 - command.length);
    const frame = Buffer.concat([encodePayloadFrameHeader(command, payload.length), payload]);
    expect(new FrameDecoder(LIMIT).push(frame)).toHaveLength(1);
  });

  it('rejects a command size larger than its frame', () => {
    const bad = Buffer.from('000000060000000a0812', 'hex');
    expect(() => new FrameDecoder(LIMIT).push(bad)).toThrow(/command size/);
  });

  it('rejects a zero command size and a tiny frame', () => {
    expect(() => new FrameDecoder(LIMIT).push(Buffer.from('0000000400000000', 'hex'))).toThrow(FrameError);
    expect(() => new FrameDecoder(LIMIT).push(Buffer.from('00000002aaaa', 'hex'))).toThrow(FrameError);
  });

  it('never throws anything but FrameError on random input', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let run = 0; run < 2000; run++) {
      const decoder = new FrameDecoder(4096);
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      try {
        decoder.push(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(FrameError);
      }
    }
  });
});
