import { afterEach, describe, expect, it } from 'vitest';
import { CommandType, ServerError } from '../../protocol/wire-types.js';
import { newTestContext } from '../../test-support/broker-context.js';
import { FakeClient } from '../../test-support/fake-client.js';
import { Connection } from '../connection.js';
import type { BrokerContext } from '../context.js';

const TOPIC = 'persistent://public/default/schema-wire';
const SCHEMA_TYPE = { String: 1, Avro: 4 };

const record = (fields: object[]) => ({
  name: 'User', type: SCHEMA_TYPE.Avro, properties: [{ key: 'k', value: 'v' }],
  schema_data: Buffer.from(JSON.stringify({ type: 'record', name: 'User', fields })),
});
const v0 = record([{ name: 'name', type: 'string' }]);
const v1 = record([{ name: 'name', type: 'string' }, { name: 'age', type: ['null', 'int'], default: null }]);
const bad = record([{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }]);
const version = (n: number) => Buffer.from([0, 0, 0, 0, 0, 0, 0, n]);

const clients: FakeClient[] = [];
async function connect(ctx: BrokerContext): Promise<FakeClient> {
  const client = new FakeClient();
  new Connection(client.brokerSide, ctx);
  clients.push(client);
  await client.connect();
  return client;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.brokerSide.destroy();
});

let requestId = 0;

/** The next answer of one of `types` after `send` (requests here are answered one at a time). */
async function answer(client: FakeClient, types: number[], send: () => void) {
  const from = client.typesSeen.length;
  send();
  const deadline = Date.now() + 2000;
  for (;;) {
    const type = client.typesSeen.slice(from).find((seen) => types.includes(seen));
    if (type !== undefined) return (await client.next(type)).command;
    if (Date.now() > deadline) throw new Error(`no answer of types ${types.join(',')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function produce(client: FakeClient, producerId: number, schema?: object) {
  const command = await answer(client, [CommandType.PRODUCER_SUCCESS, CommandType.ERROR], () => client.send(CommandType.PRODUCER, 'producer', {
    topic: TOPIC, producer_id: producerId, request_id: ++requestId, ...(schema ? { schema } : {}),
  }));
  return command.producer_success ?? command.error;
}

describe('schemas on the wire', () => {
  it('PRODUCER registers versions 0, 1 and answers them in PRODUCER_SUCCESS; an incompatible schema is an IncompatibleSchema error', async () => {
    const client = await connect(newTestContext());
    expect(Buffer.from((await produce(client, 1, v0)).schema_version)).toEqual(version(0));
    expect(Buffer.from((await produce(client, 2, v1)).schema_version)).toEqual(version(1));
    expect(Buffer.from((await produce(client, 3, v0)).schema_version)).toEqual(version(0));
    const refused = await produce(client, 4, bad);
    expect(refused.error).toBe(ServerError.IncompatibleSchema);
    expect(refused.message).toMatch(/^org\.apache\.pulsar\.broker\.service\.schema\.exceptions\.IncompatibleSchemaException: Error during schema compatibility check with strategy FULL: .* caused by /s);
    // No schema: allowed, with an empty version.
    expect(Buffer.from((await produce(client, 5)).schema_version)).toEqual(Buffer.alloc(0));
  });

  it('GET_SCHEMA answers the latest or the asked version, and TopicNotFound without a schema', async () => {
    const client = await connect(newTestContext());
    await produce(client, 1, v0);
    await produce(client, 2, v1);
    client.send(CommandType.GET_SCHEMA, 'getSchema', { request_id: 50, topic: TOPIC });
    const latest = (await client.next(CommandType.GET_SCHEMA_RESPONSE)).command.getSchemaResponse;
    expect(Buffer.from(latest.schema_version)).toEqual(version(1));
    expect(latest.schema).toMatchObject({ name: 'public/default/schema-wire', type: SCHEMA_TYPE.Avro, properties: [{ key: 'k', value: 'v' }] });
    expect(Buffer.from(latest.schema.schema_data)).toEqual(v1.schema_data);
    client.send(CommandType.GET_SCHEMA, 'getSchema', { request_id: 51, topic: `${TOPIC}-partition-3`, schema_version: version(0) });
    const first = (await client.next(CommandType.GET_SCHEMA_RESPONSE)).command.getSchemaResponse;
    expect(Buffer.from(first.schema.schema_data)).toEqual(v0.schema_data);
    client.send(CommandType.GET_SCHEMA, 'getSchema', { request_id: 52, topic: TOPIC, schema_version: Buffer.alloc(0) });
    expect((await client.next(CommandType.GET_SCHEMA_RESPONSE)).command.getSchemaResponse)
      .toMatchObject({ error_code: ServerError.IncompatibleSchema, error_message: 'Empty schema version' });
    client.send(CommandType.GET_SCHEMA, 'getSchema', { request_id: 53, topic: `${TOPIC}-other` });
    expect((await client.next(CommandType.GET_SCHEMA_RESPONSE)).command.getSchemaResponse)
      .toMatchObject({ error_code: ServerError.TopicNotFound, error_message: `Topic not found or no-schema ${TOPIC}-other` });
  });

  it('GET_OR_CREATE_SCHEMA adds a schema to an existing topic only', async () => {
    const client = await connect(newTestContext());
    await produce(client, 1);
    client.send(CommandType.GET_OR_CREATE_SCHEMA, 'getOrCreateSchema', { request_id: 60, topic: TOPIC, schema: v0 });
    expect(Buffer.from((await client.next(CommandType.GET_OR_CREATE_SCHEMA_RESPONSE)).command.getOrCreateSchemaResponse.schema_version))
      .toEqual(version(0));
    client.send(CommandType.GET_OR_CREATE_SCHEMA, 'getOrCreateSchema', { request_id: 61, topic: `${TOPIC}-missing`, schema: v0 });
    expect((await client.next(CommandType.GET_OR_CREATE_SCHEMA_RESPONSE)).command.getOrCreateSchemaResponse)
      .toMatchObject({ error_code: ServerError.TopicNotFound });
  });

  it('SUBSCRIBE registers a schema on an idle topic and checks it otherwise', async () => {
    const client = await connect(newTestContext());
    const subscribe = (consumerId: number, schema: object) => answer(client, [CommandType.SUCCESS, CommandType.ERROR],
      () => client.send(CommandType.SUBSCRIBE, 'subscribe', {
        topic: TOPIC, subscription: `s${consumerId}`, subType: 0, consumer_id: consumerId, request_id: ++requestId, schema,
      }));
    expect((await subscribe(1, v0)).type).toBe(CommandType.SUCCESS);
    const refused = await subscribe(2, { name: 's', type: SCHEMA_TYPE.String, schema_data: Buffer.alloc(0) });
    expect(refused.error).toMatchObject({ error: ServerError.IncompatibleSchema });
    expect(refused.error.message).toContain('Incompatible schema: exists schema type AVRO, new schema type STRING');
  });
});
