import { describe, expect, it } from 'vitest';
import { encodeSimpleFrame } from './frame.js';
import { BaseCommandType } from './proto.js';
import { encodeSendReceipt } from './send-receipt.js';
import { CommandType } from './wire-types.js';

type Receipt = [producerId: number | bigint, sequenceId: number | bigint, highest: number | bigint, ledgerId: number, entryId: number];

function viaProtobufjs([producerId, sequenceId, highest, ledgerId, entryId]: Receipt): Buffer {
  return encodeSimpleFrame(BaseCommandType.encode({
    type: CommandType.SEND_RECEIPT,
    send_receipt: { producer_id: producerId, sequence_id: sequenceId, highest_sequence_id: highest, message_id: { ledgerId, entryId } },
  }).finish());
}

describe('SEND_RECEIPT encoding', () => {
  const cases: Receipt[] = [
    [0, 0, 0, 0, 0],
    [1, 127, 127, 1, 128],
    [42, 2 ** 40 + 5, 2 ** 40 + 9, 123_456, 2 ** 35],
    [2n ** 62n + 3n, 2n ** 63n + 1n, 2n ** 64n - 2n, 2 ** 53 - 1, 2 ** 53 - 1],
  ];
  for (const c of cases) {
    it(`matches protobufjs for ${c.map(String).join(', ')}`, () => {
      expect(encodeSendReceipt(...c).equals(viaProtobufjs(c))).toBe(true);
    });
  }
});
