import { describe, expect, it } from 'vitest';
import { crc32c } from './checksum.js';
import {
  decodeCommand, newAckResponse, newCloseConsumer, newConnected, newError, newMessageHeader,
  newProducerSuccess, newSendReceipt, PING_FRAME,
} from './commands.js';
import { encodeSimpleFrame, FrameDecoder } from './frame.js';
import { readSendPayload, messagesInEntry } from './peek.js';
import { BaseCommandType, MessageMetadataType } from './proto.js';
import { CommandType, ServerError } from './wire-types.js';

function roundTrip(frame: Buffer) {
  const [decoded] = new FrameDecoder(1 << 20).push(frame);
  return decodeCommand(decoded!.command);
}

describe('commands', () => {
  it('PING is the 13-byte golden frame', () => {
    expect(PING_FRAME.toString('hex')).toBe('00000009000000050812920100');
  });

  it('CONNECTED carries version, max size and flags', () => {
    const cmd = roundTrip(newConnected('Vela 0.1.0', 20, 5242880, { supports_get_partitioned_metadata_without_auto_creation: true }));
    expect(cmd.type).toBe(CommandType.CONNECTED);
    expect(cmd.connected).toMatchObject({ server_version: 'Vela 0.1.0', protocol_version: 20, max_message_size: 5242880 });
  });

  it('ERROR keeps an empty message as a present field (all fields are required)', () => {
    const cmd = roundTrip(newError(7, ServerError.ProducerBusy, ''));
    expect(cmd.error).toMatchObject({ request_id: 7, error: 16, message: '' });
  });

  it('broker-initiated CLOSE_CONSUMER uses request id 2^64-1', () => {
    const frame = newCloseConsumer(3);
    const raw = BaseCommandType.decode(frame.subarray(8)) as unknown as { close_consumer: { request_id: number } };
    expect(raw.close_consumer.request_id).toBeGreaterThan(1.8e19);
  });

  it('PRODUCER_SUCCESS and SEND_RECEIPT have their required fields', () => {
    expect(roundTrip(newProducerSuccess(1, 'standalone-0-0', -1)).producer_success).toMatchObject({
      request_id: 1, producer_name: 'standalone-0-0', last_sequence_id: -1,
    });
    expect(roundTrip(newSendReceipt(1, 9, 9, 12, 34)).send_receipt).toMatchObject({
      producer_id: 1, sequence_id: 9, message_id: { ledgerId: 12, entryId: 34 },
    });
  });

  it('ACK_RESPONSE on success carries no message', () => {
    const ok = roundTrip(newAckResponse(2, 5)).ackResponse as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(ok, 'message')).toBe(false);
    const bad = roundTrip(newAckResponse(2, 5, ServerError.MetadataError, 'x')).ackResponse;
    expect(bad).toMatchObject({ error: 1, message: 'x' });
  });

  it('MESSAGE header declares the entry that follows', () => {
    const entry = Buffer.from('0e01000000000000', 'hex');
    const header = newMessageHeader(4, { ledgerId: 1, entryId: 2, partition: -1 }, 0, entry.length);
    const [frame] = new FrameDecoder(1 << 20).push(Buffer.concat([header, entry]));
    expect(frame!.payload!.equals(entry)).toBe(true);
    expect(decodeCommand(frame!.command).message).toMatchObject({ consumer_id: 4 });
  });

  it('rejects a command missing a required field', () => {
    // BaseCommand{type: FLOW, flow: {consumer_id: 1}} without the required messagePermits.
    const bytes = Buffer.from('080b5a020801', 'hex');
    expect(() => decodeCommand(bytes)).toThrow(/malformed command/);
    expect(() => decodeCommand(Buffer.from([0xff, 0xff, 0xff]))).toThrow(/malformed command/);
    expect(encodeSimpleFrame(bytes).length).toBe(bytes.length + 8);
  });
});

describe('readSendPayload', () => {
  const metadata = Buffer.from(MessageMetadataType.encode({
    producer_name: 'p', sequence_id: 1, publish_time: 1000, num_messages_in_batch: 3,
  }).finish());
  const sized = Buffer.concat([Buffer.alloc(4), metadata, Buffer.from('payload')]);
  sized.writeUInt32BE(metadata.length, 0);

  it('verifies the checksum over metadata size, metadata and payload', () => {
    const withCrc = Buffer.concat([Buffer.from([0x0e, 0x01]), Buffer.alloc(4), sized]);
    withCrc.writeUInt32BE(crc32c(sized), 2);
    const read = readSendPayload(withCrc);
    expect(read.checksumValid).toBe(true);
    expect(messagesInEntry(read.metadata)).toBe(3);
    withCrc[withCrc.length - 1] ^= 1;
    expect(readSendPayload(withCrc).checksumValid).toBe(false);
  });

  it('adds magic and checksum to a payload sent without them', () => {
    const read = readSendPayload(sized);
    expect(read.entry.readUInt16BE(0)).toBe(0x0e01);
    expect(read.entry.readUInt32BE(2)).toBe(crc32c(sized));
  });

  it('rejects impossible metadata sizes', () => {
    const bad = Buffer.from(sized);
    bad.writeUInt32BE(10_000, 0);
    expect(() => readSendPayload(bad)).toThrow(/metadata size/);
  });
});
