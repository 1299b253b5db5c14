import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../broker/connection.js';
import { crc32c } from '../protocol/checksum.js';
import { encodePayloadFrameHeader } from '../protocol/frame.js';
import { BaseCommandType } from '../protocol/proto.js';
import { CommandType, ServerError, SubType } from '../protocol/wire-types.js';
import { newTestContext } from '../test-support/broker-context.js';
import { FakeClient } from '../test-support/fake-client.js';
import { keyedEntry } from '../test-support/key-shared-harness.js';
import { rangeSlotOf } from './sticky-key.js';

const TOPIC = 'persistent://public/default/key-shared-wire';
const clients: FakeClient[] = [];

function connectClient(): FakeClient {
  const ctx = newTestContext();
  const client = new FakeClient();
  new Connection(client.brokerSide, ctx);
  clients.push(client);
  return client;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.brokerSide.destroy();
});

function subscribe(client: FakeClient, consumerId: number, keySharedMeta: object) {
  client.send(CommandType.SUBSCRIBE, 'subscribe', {
    topic: TOPIC, subscription: 's', subType: SubType.Key_Shared, consumer_id: consumerId, request_id: consumerId,
    consumer_name: `c${consumerId}`, initialPosition: 1, keySharedMeta,
  });
}

/** SEND of an entry with a partition key and a valid checksum. */
function sendKeyed(client: FakeClient, sequenceId: number, key: string): void {
  const entry = keyedEntry({ sequenceId, partitionKey: key });
  entry.writeUInt32BE(crc32c(entry.subarray(6)), 2);
  const command = BaseCommandType.encode({ type: CommandType.SEND, send: { producer_id: 1, sequence_id: sequenceId, num_messages: 1 } }).finish();
  client.sendRaw(Buffer.concat([encodePayloadFrameHeader(command, entry.length), entry]));
}

describe('Key_Shared over the wire', () => {
  it('answers a STICKY range conflict with ConsumerAssignError (19)', async () => {
    const client = connectClient();
    await client.connect();
    subscribe(client, 1, { keySharedMode: 1, hashRanges: [{ start: 0, end: 32767 }] });
    await client.next(CommandType.SUCCESS);
    subscribe(client, 2, { keySharedMode: 1, hashRanges: [{ start: 32767, end: 65535 }] });
    const { error } = (await client.next(CommandType.ERROR)).command;
    expect(error).toMatchObject({ request_id: 2, error: ServerError.ConsumerAssignError });
    expect(error.message).toMatch(/^Range conflict with consumer Consumer\{.*consumerId=1, consumerName=c1/);
  });

  it('routes by partition key to the STICKY consumer covering its slot and honours REDELIVER ids', async () => {
    const client = connectClient();
    await client.connect();
    const slot = rangeSlotOf(Buffer.from('key-1'));
    subscribe(client, 1, { keySharedMode: 1, hashRanges: [{ start: slot, end: slot }] });
    subscribe(client, 2, { keySharedMode: 1, hashRanges: [{ start: slot + 1, end: 65535 }, { start: 0, end: slot - 1 }] });
    await client.next(CommandType.SUCCESS);
    await client.next(CommandType.SUCCESS);
    for (const id of [1, 2]) client.send(CommandType.FLOW, 'flow', { consumer_id: id, messagePermits: 10 });
    client.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 1, request_id: 3 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    sendKeyed(client, 0, 'key-1');
    sendKeyed(client, 1, 'p-7');
    sendKeyed(client, 2, 'key-1');
    const messages = [await client.next(CommandType.MESSAGE), await client.next(CommandType.MESSAGE), await client.next(CommandType.MESSAGE)];
    const byConsumer = messages.map((m) => [m.command.message.consumer_id, m.command.message.message_id.entryId]);
    expect(byConsumer.filter(([c]) => c === 1).map(([, e]) => e)).toEqual([0, 2]);
    expect(byConsumer.filter(([c]) => c === 2).map(([, e]) => e)).toEqual([1]);
    const first = messages.find((m) => m.command.message.consumer_id === 1)!.command.message.message_id;
    client.send(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES, 'redeliverUnacknowledgedMessages', { consumer_id: 1, message_ids: [first] });
    const again = await client.next(CommandType.MESSAGE);
    expect(again.command.message).toMatchObject({ consumer_id: 1, redelivery_count: 1, message_id: { entryId: 0 } });
  });
});
