import { describe, expect, it } from 'vitest';
import { encodePayloadFrameHeader } from './frame.js';
import { encodeMessageHeader, type MessageHeaderFields } from './message-header.js';
import { BaseCommandType } from './proto.js';
import { CommandType } from './wire-types.js';

/** The same header as protobufjs encodes it (what newMessageHeader produced before the fast path). */
function viaProtobufjs(f: MessageHeaderFields, entryBytes: number): Buffer {
  const message: Record<string, unknown> = {
    consumer_id: f.consumerId, message_id: { ledgerId: f.ledgerId, entryId: f.entryId, partition: f.partition },
  };
  if (f.redeliveryCount > 0) message.redelivery_count = f.redeliveryCount;
  if (f.ackSet) message.ack_set = f.ackSet;
  return encodePayloadFrameHeader(BaseCommandType.encode({ type: CommandType.MESSAGE, message }).finish(), entryBytes);
}

describe('MESSAGE header encoding', () => {
  const cases: MessageHeaderFields[] = [
    { consumerId: 0, ledgerId: 1, entryId: 0, partition: -1, redeliveryCount: 0 },
    { consumerId: 7, ledgerId: 123_456, entryId: 2 ** 40 + 3, partition: 5, redeliveryCount: 3 },
    { consumerId: 2n ** 62n + 11n, ledgerId: 2 ** 53 - 1, entryId: 127, partition: 2 ** 31 - 1, redeliveryCount: 300 },
    { consumerId: 1, ledgerId: 9, entryId: 128, partition: -1, redeliveryCount: 1,
      ackSet: [{ low: 0xfffffffe, high: 0xffffffff }, { low: 5, high: 0 }, { low: 0, high: 0x80000000 }, { low: 0, high: 0 }] },
  ];
  for (const f of cases) {
    it(`matches protobufjs for ${JSON.stringify(f, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
      expect(encodeMessageHeader(f, 1234).equals(viaProtobufjs(f, 1234))).toBe(true);
    });
  }
});
