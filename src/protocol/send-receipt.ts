import { varintSize, writeVarint } from './varint.js';

/**
 * SEND_RECEIPT written byte by byte, [totalSize][commandSize][BaseCommand{type: SEND_RECEIPT, send_receipt}]:
 * unbatched producers get one per message, and protobufjs spends more on it than on the rest of the send path.
 * Field numbers as in PulsarApi.proto: BaseCommand.type 1, send_receipt 7; CommandSendReceipt producer_id 1,
 * sequence_id 2, message_id 3, highest_sequence_id 4; MessageIdData ledgerId 1, entryId 2. Every value must
 * be non-negative (commands.ts falls back to protobufjs otherwise); send-receipt.test.ts checks the bytes
 * equal protobufjs' encoding.
 */
const SEND_RECEIPT_TYPE = 7;

export function encodeSendReceipt(producerId: number | bigint, sequenceId: number | bigint,
  highestSequenceId: number | bigint, ledgerId: number, entryId: number): Buffer {
  const idSize = 1 + varintSize(ledgerId) + 1 + varintSize(entryId);
  const receiptSize = 1 + varintSize(producerId) + 1 + varintSize(sequenceId)
    + 1 + varintSize(idSize) + idSize + 1 + varintSize(highestSequenceId);
  const commandSize = 2 + 1 + varintSize(receiptSize) + receiptSize;
  const out = Buffer.allocUnsafe(8 + commandSize);
  out.writeUInt32BE(4 + commandSize, 0);
  out.writeUInt32BE(commandSize, 4);
  let pos = 8;
  out[pos++] = 0x08;
  out[pos++] = SEND_RECEIPT_TYPE;
  out[pos++] = (7 << 3) | 2;
  pos = writeVarint(out, pos, receiptSize);
  out[pos++] = 0x08;
  pos = writeVarint(out, pos, producerId);
  out[pos++] = 0x10;
  pos = writeVarint(out, pos, sequenceId);
  out[pos++] = 0x1a;
  pos = writeVarint(out, pos, idSize);
  out[pos++] = 0x08;
  pos = writeVarint(out, pos, ledgerId);
  out[pos++] = 0x10;
  pos = writeVarint(out, pos, entryId);
  out[pos++] = 0x20;
  writeVarint(out, pos, highestSequenceId);
  return out;
}
