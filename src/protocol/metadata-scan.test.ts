import { describe, expect, it } from 'vitest';
import { featureEntry } from '../test-support/topic-harness.js';
import { scanDispatchFields } from './metadata-scan.js';
import { messagesInEntry, readEntryMetadata } from './peek.js';

describe('scanDispatchFields', () => {
  it('reads batch size, deliver_at_time and marker type as a full decode does', () => {
    const cases = [
      featureEntry({ sequenceId: 1 }),
      featureEntry({ sequenceId: 2, messages: 70, deliverAtMs: 1_763_795_100_123 }),
      featureEntry({ sequenceId: 3, deliverAtMs: 2 ** 45, chunk: { id: 1, total: 3 }, producer: 'x'.repeat(300) }),
    ];
    for (const entry of cases) {
      const metadata = readEntryMetadata(entry);
      expect(scanDispatchFields(entry)).toEqual({
        messages: messagesInEntry(metadata), deliverAt: Number(metadata.deliver_at_time ?? 0), markerType: metadata.marker_type ?? 0,
      });
    }
  });

  it('gives up on entries that are not well-formed', () => {
    const entry = featureEntry({ sequenceId: 1 });
    expect(scanDispatchFields(entry.subarray(0, 12))).toBeUndefined();
    const broken = Buffer.from(entry);
    broken.writeUInt32BE(2, 6); // cuts the producer name in half
    expect(scanDispatchFields(broken)).toBeUndefined();
    expect(scanDispatchFields(Buffer.from('not an entry'))).toBeUndefined();
  });
});
