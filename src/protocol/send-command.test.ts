import { describe, expect, it } from 'vitest';
import { decodeCommand } from './commands.js';
import { BaseCommandType } from './proto.js';
import { decodeSendCommand } from './send-command.js';
import { CommandType } from './wire-types.js';

const encode = (command: object) => Buffer.from(BaseCommandType.encode(command).finish());
const sendOf = (send: object) => encode({ type: CommandType.SEND, send });

describe('SEND fast decode', () => {
  const shapes = [
    { producer_id: 0, sequence_id: 0 },
    { producer_id: 3, sequence_id: 129, num_messages: 1 },
    { producer_id: 2n ** 62n + 7n, sequence_id: 2n ** 64n - 2n, num_messages: 1000, highest_sequence_id: 2 ** 40 },
    { producer_id: 1, sequence_id: 5, num_messages: -1, is_chunk: true, marker: false },
  ];
  for (const shape of shapes) {
    it(`reads what protobufjs reads: ${JSON.stringify(shape, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
      const bytes = sendOf(shape);
      const fast = decodeSendCommand(bytes)!;
      const slow = decodeCommand(bytes);
      expect(fast.type).toBe(CommandType.SEND);
      for (const field of ['producer_id', 'sequence_id'] as const) expect(fast.send![field]).toBe(slow.send![field]);
      expect(fast.send!.num_messages ?? 1).toBe(slow.send!.num_messages);
      expect(fast.send!.highest_sequence_id ?? 0).toBe(slow.send!.highest_sequence_id);
      expect(fast.send!.is_chunk ?? false).toBe(slow.send!.is_chunk);
    });
  }

  it('leaves every other shape to protobufjs', () => {
    expect(decodeSendCommand(sendOf({ producer_id: 1, sequence_id: 2, txnid_least_bits: 5 }))).toBeUndefined();
    expect(decodeSendCommand(sendOf({ producer_id: 1, sequence_id: 2, message_id: { ledgerId: 1, entryId: 2 } }))).toBeUndefined();
    expect(decodeSendCommand(encode({ type: CommandType.PING, ping: {} }))).toBeUndefined();
    const whole = sendOf({ producer_id: 1, sequence_id: 300 });
    for (let cut = 0; cut < whole.length; cut++) expect(decodeSendCommand(whole.subarray(0, cut))).toBeUndefined();
    expect(decodeSendCommand(Buffer.concat([whole, Buffer.from([0x08, 0x01])]))).toBeUndefined();
  });
});
