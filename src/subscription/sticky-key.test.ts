import { describe, expect, it } from 'vitest';
import { readEntryMetadata } from '../protocol/peek.js';
import { keyedEntry } from '../test-support/key-shared-harness.js';
import { murmur3 } from './murmur3.js';
import { makeStickyKeyHash, rangeSlotOf, ringSlotOf, stickyKeyOf } from './sticky-key.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const keyOf = (entry: Buffer) => Buffer.from(stickyKeyOf(readEntryMetadata(entry))).toString('utf8');

describe('sticky key', () => {
  it('prefers ordering_key, then partition_key, then producer_name-sequence_id (Pulsar 4.x)', () => {
    expect(keyOf(keyedEntry({ sequenceId: 1, partitionKey: 'pk', orderingKey: utf8('ok') }))).toBe('ok');
    expect(keyOf(keyedEntry({ sequenceId: 1, partitionKey: 'pk' }))).toBe('pk');
    expect(keyOf(keyedEntry({ sequenceId: 42, producer: 'standalone-0-7' }))).toBe('standalone-0-7-42');
  });

  it('base64-decodes a flagged partition key and keeps ordering_key bytes as they are', () => {
    const raw = Buffer.from([0x00, 0x01, 0xff]);
    const decoded = stickyKeyOf(readEntryMetadata(keyedEntry({ sequenceId: 1, partitionKey: raw.toString('base64'), b64: true })));
    expect(Buffer.from(decoded)).toEqual(raw);
    expect(Buffer.from(stickyKeyOf(readEntryMetadata(keyedEntry({ sequenceId: 1, orderingKey: raw }))))).toEqual(raw);
  });

  it('routes a batch by its batch-level key', () => {
    expect(keyOf(keyedEntry({ sequenceId: 5, partitionKey: 'batch-key', messages: 10 }))).toBe('batch-key');
  });
});

describe('sticky key hash', () => {
  // Expected values computed with an independent Murmur3 x86_32 implementation.
  it('matches the TOOLCHAIN vector: murmur3("key-1") = 2561742240, masked 414258592', () => {
    expect(murmur3(utf8('key-1'))).toBe(2561742240);
    expect(murmur3(utf8('key-1')) & 0x7fffffff).toBe(414258592);
  });

  it('reduces into [0, 65535] for hash-range selectors (STICKY)', () => {
    expect(rangeSlotOf(utf8('key-1'))).toBe(5536);
    expect(rangeSlotOf(utf8('order-42'))).toBe(41358);
    expect(rangeSlotOf(utf8('clé-ü'))).toBe(40647);
    expect(rangeSlotOf(utf8('p-7'))).toBe(7655);
    expect(rangeSlotOf(Buffer.from([0x00, 0x01, 0xff]))).toBe(33111);
  });

  it('reduces into [1, 65535] on the consistent-hash ring', () => {
    expect(ringSlotOf(utf8('key-1'))).toBe(11858);
    expect(ringSlotOf(utf8('order-42'))).toBe(60576);
    expect(ringSlotOf(utf8('clé-ü'))).toBe(57514);
    expect(ringSlotOf(utf8('p-7'))).toBe(40058);
  });

  it('never yields 0, the "not set" value', () => {
    expect(rangeSlotOf(Buffer.alloc(0))).toBe(1);
    expect(makeStickyKeyHash(Buffer.alloc(0), 0, 65536)).toBe(1);
    expect(ringSlotOf(Buffer.alloc(0))).toBe(1);
  });
});
