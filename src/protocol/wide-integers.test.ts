import { describe, expect, it } from 'vitest';
import { decodeCommand, newSuccess } from './commands.js';
import { BaseCommandType } from './proto.js';
import { CommandType } from './wire-types.js';

function roundTripRequestId(requestId: number | bigint): unknown {
  const bytes = Buffer.from(BaseCommandType.encode({ type: CommandType.SUCCESS, success: { request_id: requestId } }).finish());
  return (decodeCommand(bytes) as unknown as { success: { request_id: unknown } }).success.request_id;
}

describe('64-bit integers on the wire', () => {
  it('keeps small ids as numbers', () => {
    expect(roundTripRequestId(0)).toBe(0);
    expect(roundTripRequestId(123_456_789)).toBe(123_456_789);
    expect(roundTripRequestId(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('echoes a Java request id above 2^53 exactly (PulsarClientImpl starts them at random below 2^62)', () => {
    const javaRequestId = 3540993169686595951n;
    expect(roundTripRequestId(javaRequestId)).toBe(javaRequestId);
    const frame = newSuccess(javaRequestId as unknown as number);
    const decoded = decodeCommand(frame.subarray(8)) as unknown as { success: { request_id: unknown } };
    expect(decoded.success.request_id).toBe(javaRequestId);
  });

  it('decodes the earliest and latest sentinels exactly and comparably with numbers', () => {
    const earliest = 2n ** 64n - 1n;
    const latest = 2n ** 63n - 1n;
    const bytes = Buffer.from(BaseCommandType.encode({
      type: CommandType.SEEK, seek: { consumer_id: 1, request_id: 2, message_id: { ledgerId: earliest, entryId: latest } },
    }).finish());
    const seek = (decodeCommand(bytes) as unknown as { seek: { message_id: { ledgerId: bigint; entryId: bigint } } }).seek;
    expect(seek.message_id.ledgerId).toBe(earliest);
    expect(seek.message_id.entryId).toBe(latest);
    expect(seek.message_id.ledgerId >= 1.8e19).toBe(true);
  });

  it('decodes negative int64 values', () => {
    const bytes = Buffer.from(BaseCommandType.encode({
      type: CommandType.PRODUCER_SUCCESS, producer_success: { request_id: 1, producer_name: 'p', last_sequence_id: -1 },
    }).finish());
    expect((decodeCommand(bytes) as unknown as { producer_success: { last_sequence_id: number } }).producer_success.last_sequence_id).toBe(-1);
  });
});
