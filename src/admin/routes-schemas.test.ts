import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandType, ServerError } from '../protocol/wire-types.js';
import { startTestBroker, type TestBroker } from '../test-support/admin-broker.js';

// Statuses, shapes and reasons as Apache Pulsar 4.0.7 standalone answers them (checked with curl against the reference broker).
let b: TestBroker;
beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(() => b.close());

const BASE = '/admin/v2/schemas/public/default';
const avro = (fields: object[]) => JSON.stringify({ type: 'record', name: 'X', fields });

describe('schemas', () => {
  it('uploads, reads, lists and finds versions', async () => {
    const definition = avro([{ name: 'a', type: 'int' }]);
    expect(await b.call('GET', `${BASE}/t1/schema`)).toEqual({ status: 404, body: { reason: 'Schema not found' } });
    expect(await b.call('GET', `${BASE}/t1/schemas`)).toEqual({ status: 200, body: { getSchemaResponses: [] } });
    expect(await b.call('POST', `${BASE}/t1/schema`, { type: 'AVRO', schema: definition, properties: { k: 'v' } }))
      .toEqual({ status: 200, body: { version: { version: 0 } } });
    const got = await b.call('GET', `${BASE}/t1/schema`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ version: 0, type: 'AVRO', timestamp: expect.any(Number), data: definition, properties: { k: 'v' } });
    expect((await b.call('GET', `${BASE}/t1-partition-2/schema/0`)).body).toEqual(got.body);
    expect(await b.call('GET', `${BASE}/t1/schema/7`)).toEqual({ status: 404, body: { reason: 'Schema not found' } });
    const evolved = avro([{ name: 'a', type: 'int' }, { name: 'b', type: 'int', default: 1 }]);
    expect((await b.call('POST', `${BASE}/t1/schema`, { type: 'AVRO', schema: evolved })).body).toEqual({ version: { version: 1 } });
    expect((await b.call('GET', `${BASE}/t1/schemas`)).body.getSchemaResponses.map((s: { version: number }) => s.version)).toEqual([0, 1]);
    expect(await b.call('POST', `${BASE}/t1/version`, { type: 'AVRO', schema: evolved })).toEqual({ status: 200, body: { version: 1 } });
    expect(await b.call('POST', `${BASE}/t1/version`, { type: 'STRING', schema: '' })).toEqual({ status: 200, body: { version: -1 } });
  });

  it('refuses incompatible (409) and invalid (422) schemas; POST …/compatibility answers 202 or fails with 500', async () => {
    await b.call('POST', `${BASE}/t2/schema`, { type: 'AVRO', schema: avro([{ name: 'a', type: 'int' }]) });
    const required = { type: 'AVRO', schema: avro([{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }]) };
    const refused = await b.call('POST', `${BASE}/t2/schema`, required);
    expect(refused.status).toBe(409);
    expect(refused.body.reason).toMatch(/^Error during schema compatibility check with strategy FULL: org\.apache\.avro\.SchemaValidationException: Unable to read schema: \n/);
    expect(await b.call('POST', `${BASE}/t2/schema`, { type: 'AVRO', schema: 'not json' }))
      .toEqual({ status: 422, body: { reason: 'Invalid schema definition data for AVRO schema' } });
    expect((await b.call('POST', `${BASE}/t2/compatibility`, required)).status).toBe(500);
    expect(await b.call('POST', `${BASE}/t2/compatibility`, { type: 'AVRO', schema: avro([{ name: 'a', type: 'int' }]) }))
      .toEqual({ status: 202, body: { schemaCompatibilityStrategy: 'FULL', compatibility: true } });
    expect((await b.call('POST', `${BASE}/t2/schema`, { type: 'FOO', schema: '' })).status).toBe(500);
    expect(await b.call('POST', `${BASE}/t2b/schema`, { type: 'INT32', schema: 'x' })).toEqual({ status: 422, body: {
      reason: 'Invalid schema definition data for primitive schemas :length of schema data should be zero, but 1 bytes is found',
    } });
  });

  it('deletes: a delete takes a version, a forced delete answers -1 and starts again from 0', async () => {
    expect(await b.call('DELETE', `${BASE}/t3/schema`)).toEqual({ status: 200, body: { version: 0 } });
    expect((await b.call('POST', `${BASE}/t3/schema`, { type: 'STRING', schema: '' })).body).toEqual({ version: { version: 1 } });
    expect(await b.call('DELETE', `${BASE}/t3/schema`)).toEqual({ status: 200, body: { version: 2 } });
    expect((await b.call('GET', `${BASE}/t3/schema`)).status).toBe(404);
    // After a delete the old type no longer constrains.
    expect((await b.call('POST', `${BASE}/t3/schema`, { type: 'INT32', schema: '' })).body).toEqual({ version: { version: 3 } });
    expect(await b.call('DELETE', `${BASE}/t3/schema?force=true`)).toEqual({ status: 200, body: { version: -1 } });
    expect((await b.call('POST', `${BASE}/t3/schema`, { type: 'INT32', schema: '' })).body).toEqual({ version: { version: 0 } });
  });
});

describe('namespace schemaCompatibilityStrategy', () => {
  it('reads UNDEFINED until set; the strategy set governs uploads', async () => {
    const path = '/admin/v2/namespaces/public/default/schemaCompatibilityStrategy';
    expect(await b.call('GET', path)).toEqual({ status: 200, body: 'UNDEFINED' });
    expect((await b.call('PUT', path, '"ALWAYS_COMPATIBLE"')).status).toBe(204);
    expect(await b.call('GET', path)).toEqual({ status: 200, body: 'ALWAYS_COMPATIBLE' });
    await b.call('POST', `${BASE}/t4/schema`, { type: 'STRING', schema: '' });
    // Even a type change: checkCompatibilityWithLatest returns before comparing types under ALWAYS_COMPATIBLE.
    expect((await b.call('POST', `${BASE}/t4/schema`, { type: 'INT32', schema: '' })).body).toEqual({ version: { version: 1 } });
    await b.call('POST', `${BASE}/t5/schema`, { type: 'AVRO', schema: avro([{ name: 'a', type: 'int' }]) });
    expect((await b.call('POST', `${BASE}/t5/schema`, { type: 'AVRO', schema: avro([{ name: 'z', type: 'string' }]) })).body)
      .toEqual({ version: { version: 1 } });
    expect((await b.call('PUT', path, '"NOT_A_STRATEGY"')).status).toBe(204);
    expect((await b.call('GET', path)).body).toBe('UNDEFINED');
    expect((await b.call('GET', '/admin/v2/namespaces/public/nope/schemaCompatibilityStrategy')).status).toBe(404);
  });
});

describe('topic deletion', () => {
  it('deletes the schema with the topic, so a new topic of that name starts from version 0', async () => {
    expect((await b.call('PUT', '/admin/v2/persistent/public/default/t6')).status).toBe(204);
    await b.call('POST', `${BASE}/t6/schema`, { type: 'STRING', schema: '' });
    expect((await b.call('DELETE', '/admin/v2/persistent/public/default/t6')).status).toBe(204);
    expect((await b.call('GET', `${BASE}/t6/schema`)).status).toBe(404);
    expect((await b.call('POST', `${BASE}/t6/schema`, { type: 'INT32', schema: '' })).body).toEqual({ version: { version: 0 } });
  });
});

describe('namespace isAllowAutoUpdateSchema and schemaValidationEnforced', () => {
  it('read their defaults, take JSON booleans, and govern producers', async () => {
    const ns = '/admin/v2/namespaces/public/flags';
    expect((await b.call('PUT', ns)).status).toBe(204);
    expect(await b.call('GET', `${ns}/isAllowAutoUpdateSchema`)).toEqual({ status: 200, body: true });
    expect(await b.call('GET', `${ns}/schemaValidationEnforced`)).toEqual({ status: 200, body: false });
    await b.call('POST', '/admin/v2/schemas/public/flags/t/schema', { type: 'STRING', schema: '' });
    expect((await b.call('POST', `${ns}/isAllowAutoUpdateSchema`, false)).status).toBe(204);
    expect((await b.call('POST', `${ns}/schemaValidationEnforced`, true)).status).toBe(204);
    expect((await b.call('POST', `${ns}/schemaValidationEnforced`, '"x"')).status).toBe(400);
    expect(await b.call('GET', `${ns}/isAllowAutoUpdateSchema`)).toEqual({ status: 200, body: false });
    expect(await b.call('GET', `${ns}/schemaValidationEnforced`)).toEqual({ status: 200, body: true });

    const client = await b.client();
    const produce = async (producerId: number, topic: string, schema?: object) => {
      const from = client.typesSeen.length;
      client.send(CommandType.PRODUCER, 'producer', { topic, producer_id: producerId, request_id: producerId, ...(schema ? { schema } : {}) });
      for (let i = 0; i < 400; i++) {
        const type = client.typesSeen.slice(from).find((seen) => seen === CommandType.PRODUCER_SUCCESS || seen === CommandType.ERROR);
        if (type !== undefined) return (await client.next(type)).command;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error('no answer');
    };
    const string = { name: 's', type: 1, schema_data: Buffer.alloc(0) };
    expect((await produce(1, 'persistent://public/flags/t', string)).type).toBe(CommandType.PRODUCER_SUCCESS);
    const unschematized = await produce(2, 'persistent://public/flags/t');
    expect(unschematized.error.message).toContain('Producers cannot connect or send message without a schema to topics with a schemawhen');
    const fresh = await produce(3, 'persistent://public/flags/other', string);
    expect(fresh.error).toMatchObject({ error: ServerError.IncompatibleSchema });
    expect(fresh.error.message).toContain('Schema not found and schema auto updating is disabled.');
    expect((await produce(4, 'persistent://public/flags/plain')).type).toBe(CommandType.PRODUCER_SUCCESS);
  });
});
