import { afterEach, describe, expect, it } from 'vitest';
import { encodeSimpleFrame } from '../protocol/frame.js';
import { CommandType, ServerError } from '../protocol/wire-types.js';
import { newTestContext } from '../test-support/broker-context.js';
import { FakeClient } from '../test-support/fake-client.js';
import { Connection } from './connection.js';
import type { BrokerContext } from './context.js';

const TOPIC = 'persistent://public/default/conn-test';

function newContext(keepAliveIntervalMs = 30_000): BrokerContext {
  return newTestContext({ keepAliveIntervalMs });
}

const clients: FakeClient[] = [];
function connectClient(ctx: BrokerContext): FakeClient {
  const client = new FakeClient();
  new Connection(client.brokerSide, ctx);
  clients.push(client);
  return client;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.brokerSide.destroy();
});

describe('Connection', () => {
  it('answers CONNECT with CONNECTED at min(client, 21) and the max message size', async () => {
    const client = connectClient(newContext());
    const { command } = await client.connect(20);
    expect(command.connected).toMatchObject({ server_version: 'Vela test', protocol_version: 20, max_message_size: 5 * 1024 * 1024 });
    const newer = connectClient(newContext());
    expect((await newer.connect(99)).command.connected.protocol_version).toBe(21);
  });

  it('closes a connection that sends a command before CONNECT', async () => {
    const client = connectClient(newContext());
    client.send(CommandType.PING, 'ping', {});
    expect(await client.waitClosed()).toBe(true);
  });

  it('answers PING with PONG', async () => {
    const client = connectClient(newContext());
    await client.connect();
    client.send(CommandType.PING, 'ping', {});
    await client.next(CommandType.PONG);
  });

  it('closes on an oversized frame and on an unknown command, and only that connection', async () => {
    const ctx = newContext();
    const healthy = connectClient(ctx);
    await healthy.connect();
    const big = connectClient(ctx);
    await big.connect();
    const header = Buffer.alloc(8);
    header.writeUInt32BE(6 * 1024 * 1024, 0);
    big.sendRaw(header);
    expect(await big.waitClosed()).toBe(true);
    const unknown = connectClient(ctx);
    await unknown.connect();
    unknown.sendRaw(encodeSimpleFrame(Buffer.from([0x08, 0x63])));
    expect(await unknown.waitClosed()).toBe(true);
    healthy.send(CommandType.PING, 'ping', {});
    await healthy.next(CommandType.PONG);
  });

  it('generates producer names and refuses a name already connected elsewhere', async () => {
    const ctx = newContext();
    const a = connectClient(ctx);
    await a.connect();
    a.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 1, request_id: 1 });
    const success = await a.next(CommandType.PRODUCER_SUCCESS);
    expect(success.command.producer_success).toMatchObject({ producer_name: 'standalone-0-0', last_sequence_id: -1 });
    const b = connectClient(ctx);
    await b.connect();
    b.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 1, request_id: 7, producer_name: 'standalone-0-0' });
    const error = await b.next(CommandType.ERROR);
    expect(error.command.error).toMatchObject({ request_id: 7, error: ServerError.ProducerBusy });
  });

  it('refuses an invalid topic name with InvalidTopicName', async () => {
    const client = connectClient(newContext());
    await client.connect();
    client.send(CommandType.PRODUCER, 'producer', { topic: 'persistent://bad', producer_id: 1, request_id: 3 });
    expect((await client.next(CommandType.ERROR)).command.error.error).toBe(ServerError.InvalidTopicName);
  });

  it('receipts sends in order, answers a bad checksum with ChecksumError, and delivers to a consumer', async () => {
    const ctx = newContext();
    const client = connectClient(ctx);
    await client.connect();
    client.send(CommandType.SUBSCRIBE, 'subscribe', {
      topic: TOPIC, subscription: 's', subType: 0, consumer_id: 5, request_id: 1, initialPosition: 1,
    });
    await client.next(CommandType.SUCCESS);
    client.send(CommandType.FLOW, 'flow', { consumer_id: 5, messagePermits: 10 });
    client.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 1, request_id: 2 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    client.publish(1, 0, 'a');
    client.publish(1, 1, 'b', { corruptChecksum: true });
    client.publish(1, 2, 'c');
    const first = await client.next(CommandType.SEND_RECEIPT);
    const error = await client.next(CommandType.SEND_ERROR);
    const third = await client.next(CommandType.SEND_RECEIPT);
    expect(first.command.send_receipt.sequence_id).toBe(0);
    expect(error.command.send_error).toMatchObject({ sequence_id: 1, error: ServerError.ChecksumError });
    expect(third.command.send_receipt.sequence_id).toBe(2);
    const m1 = await client.next(CommandType.MESSAGE);
    const m2 = await client.next(CommandType.MESSAGE);
    expect(m1.payload!.toString().endsWith('a')).toBe(true);
    expect(m2.payload!.toString().endsWith('c')).toBe(true);
    client.send(CommandType.ACK, 'ack', { consumer_id: 5, ack_type: 1, message_id: [m2.command.message.message_id], request_id: 9 });
    const ack = await client.next(CommandType.ACK_RESPONSE);
    expect(ack.command.ackResponse).toMatchObject({ consumer_id: 5, request_id: 9 });
    expect(Object.prototype.hasOwnProperty.call(ack.command.ackResponse, 'message')).toBe(false);
  });

  it('closes the connection on a SEND for an unknown producer', async () => {
    const client = connectClient(newContext());
    await client.connect();
    client.publish(42, 0, 'x');
    expect(await client.waitClosed()).toBe(true);
  });

  it('refuses a second Exclusive consumer with ConsumerBusy', async () => {
    const ctx = newContext();
    const a = connectClient(ctx);
    await a.connect();
    a.send(CommandType.SUBSCRIBE, 'subscribe', { topic: TOPIC, subscription: 'x', subType: 0, consumer_id: 1, request_id: 1 });
    await a.next(CommandType.SUCCESS);
    a.send(CommandType.SUBSCRIBE, 'subscribe', { topic: TOPIC, subscription: 'x', subType: 0, consumer_id: 2, request_id: 2 });
    expect((await a.next(CommandType.ERROR)).command.error).toMatchObject({ request_id: 2, error: ServerError.ConsumerBusy });
  });

  it('pings an idle client and closes a connection that stays silent (keep-alive)', async () => {
    const ctx = newContext(50);
    const silent = connectClient(ctx);
    silent.autoPong = false;
    await silent.connect();
    await silent.next(CommandType.PING);
    expect(await silent.waitClosed(1000)).toBe(true);
    const lively = connectClient(ctx);
    await lively.connect();
    for (let i = 0; i < 4; i++) await lively.next(CommandType.PING);
    expect(lively.closed).toBe(false);
  });

  it('sends ACTIVE_CONSUMER_CHANGE only after the SUBSCRIBE is answered', async () => {
    const client = connectClient(newContext());
    await client.connect();
    client.send(CommandType.SUBSCRIBE, 'subscribe', { topic: TOPIC, subscription: 'fo', subType: 2, consumer_id: 1, request_id: 1 });
    await client.next(CommandType.ACTIVE_CONSUMER_CHANGE);
    expect(client.typesSeen.indexOf(CommandType.SUCCESS)).toBeLessThan(client.typesSeen.indexOf(CommandType.ACTIVE_CONSUMER_CHANGE));
  });

  it('answers GET_OR_CREATE_SCHEMA with an empty version on an existing topic and TopicNotFound otherwise', async () => {
    const client = connectClient(newContext());
    await client.connect();
    client.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 1, request_id: 1 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    const schema = { name: 'bytes', schema_data: Buffer.alloc(0), type: 0 };
    client.send(CommandType.GET_OR_CREATE_SCHEMA, 'getOrCreateSchema', { request_id: 2, topic: TOPIC, schema });
    const ok = (await client.next(CommandType.GET_OR_CREATE_SCHEMA_RESPONSE)).command.getOrCreateSchemaResponse;
    expect(ok.request_id).toBe(2);
    expect(Object.prototype.hasOwnProperty.call(ok, 'error_code')).toBe(false);
    client.send(CommandType.GET_OR_CREATE_SCHEMA, 'getOrCreateSchema', { request_id: 3, topic: `${TOPIC}-missing`, schema });
    const missing = (await client.next(CommandType.GET_OR_CREATE_SCHEMA_RESPONSE)).command.getOrCreateSchemaResponse;
    expect(missing.error_code).toBe(ServerError.TopicNotFound);
  });
});
