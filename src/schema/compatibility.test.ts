import { describe, expect, it } from 'vitest';
import { checkCompatible, checkConsumerCompatible, IncompatibleSchemaError, NoSchemaError, type Strategy } from './compatibility.js';
import type { SchemaData } from './schema-data.js';

const avro = (fields: object[], type = 'AVRO'): SchemaData => ({
  type, data: Buffer.from(JSON.stringify({ type: 'record', name: 'User', fields })), properties: {},
});
const primitive = (type: string): SchemaData => ({ type, data: Buffer.alloc(0), properties: {} });

const v1 = avro([{ name: 'name', type: 'string' }]);
const addWithDefault = avro([{ name: 'name', type: 'string' }, { name: 'age', type: 'int', default: 0 }]);
const addRequired = avro([{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }]);
const removed = avro([]);

const ok = (existing: SchemaData[], candidate: SchemaData, strategy: Strategy) => {
  try {
    checkCompatible(existing, candidate, strategy);
    return true;
  } catch (error) {
    if (error instanceof IncompatibleSchemaError) return false;
    throw error;
  }
};

describe('checkCompatible', () => {
  it('anything goes on a topic without a schema', () => {
    expect(ok([], addRequired, 'ALWAYS_INCOMPATIBLE')).toBe(true);
  });

  it('FULL (the broker default): adding a field with a default passes, without one fails', () => {
    expect(ok([v1], addWithDefault, 'FULL')).toBe(true);
    expect(ok([v1], addRequired, 'FULL')).toBe(false);
  });

  it('BACKWARD: the new schema reads old data; FORWARD: old schemas read new data', () => {
    expect(ok([v1], addRequired, 'BACKWARD')).toBe(false);
    expect(ok([v1], addRequired, 'FORWARD')).toBe(true);
    // Removing a field without a default: new readers are fine, old readers miss it.
    expect(ok([v1], removed, 'BACKWARD')).toBe(true);
    expect(ok([v1], removed, 'FORWARD')).toBe(false);
    expect(ok([v1], removed, 'FULL')).toBe(false);
  });

  it('non-transitive strategies look at the latest version only, transitive ones at all', () => {
    const history = [avro([{ name: 'name', type: 'string' }, { name: 'x', type: 'int' }]), v1];
    const candidate = avro([{ name: 'name', type: 'string' }, { name: 'x', type: 'string', default: '' }]);
    expect(ok(history, candidate, 'BACKWARD')).toBe(true);
    expect(ok(history, candidate, 'BACKWARD_TRANSITIVE')).toBe(false);
  });

  it('ALWAYS_COMPATIBLE accepts and ALWAYS_INCOMPATIBLE refuses any change', () => {
    expect(ok([v1], primitive('STRING'), 'ALWAYS_COMPATIBLE')).toBe(true);
    expect(ok([v1], addWithDefault, 'ALWAYS_INCOMPATIBLE')).toBe(false);
    expect(ok([primitive('STRING')], { ...primitive('STRING'), data: Buffer.from('x') }, 'ALWAYS_INCOMPATIBLE')).toBe(false);
  });

  it('a type change is refused with Pulsar message', () => {
    expect(() => checkCompatible([primitive('STRING')], primitive('INT32'), 'FULL'))
      .toThrow('Incompatible schema: exists schema type STRING, new schema type INT32');
    expect(() => checkCompatible([v1], primitive('STRING'), 'FULL_TRANSITIVE'))
      .toThrow('Incompatible schema: exists schema type AVRO, new schema type STRING');
  });

  it('JSON schemas in Avro form follow the Avro rules; Avro failures read as Pulsar reports them', () => {
    expect(ok([avro([{ name: 'a', type: 'int' }], 'JSON')], avro([{ name: 'a', type: 'int' }, { name: 'b', type: 'int' }], 'JSON'), 'FULL')).toBe(false);
    expect(() => checkCompatible([v1], addRequired, 'FULL')).toThrow(
      /^Error during schema compatibility check with strategy FULL: org\.apache\.avro\.SchemaValidationException: Unable to read schema: \n\{/);
  });

  it('PROTOBUF_NATIVE may not change its root message', () => {
    const proto = (root: string): SchemaData => ({
      type: 'PROTOBUF_NATIVE', properties: {},
      data: Buffer.from(JSON.stringify({ fileDescriptorSet: 'AA==', rootMessageTypeName: root, rootFileDescriptorName: 'a.proto' })),
    });
    expect(ok([proto('a.A')], { ...proto('a.A'), data: Buffer.from(proto('a.A').data.toString().replace('AA==', 'AB==')) }, 'FULL')).toBe(true);
    expect(() => checkCompatible([proto('a.A')], proto('a.B'), 'FULL')).toThrow("Protobuf root message isn't allow change!");
  });

  it('KEY_VALUE compares key and value parts by their own types', () => {
    const kv = (key: SchemaData, value: SchemaData): SchemaData => {
      const data = Buffer.alloc(8 + key.data.length + value.data.length);
      data.writeInt32BE(key.data.length, 0);
      key.data.copy(data, 4);
      data.writeInt32BE(value.data.length, 4 + key.data.length);
      value.data.copy(data, 8 + key.data.length);
      return { type: 'KEY_VALUE', data, properties: { 'key.schema.type': key.type, 'value.schema.type': value.type } };
    };
    expect(ok([kv(primitive('STRING'), v1)], kv(primitive('STRING'), addWithDefault), 'FULL')).toBe(true);
    expect(ok([kv(primitive('STRING'), v1)], kv(primitive('STRING'), addRequired), 'FULL')).toBe(false);
    expect(ok([kv(primitive('STRING'), v1)], kv({ ...primitive('INT32'), data: Buffer.from('i') }, v1), 'FULL')).toBe(false);
  });
});

describe('checkConsumerCompatible', () => {
  it('needs a schema to compare with', () => {
    expect(() => checkConsumerCompatible([], v1, 'FULL')).toThrow(NoSchemaError);
    expect(() => checkConsumerCompatible([], v1, 'ALWAYS_COMPATIBLE')).not.toThrow();
  });

  it('checks BACKWARD against the latest version under FULL', () => {
    // A consumer that drops a field reads old data: fine for a consumer, though FULL would refuse it for a producer.
    expect(() => checkConsumerCompatible([v1], removed, 'FULL')).not.toThrow();
    expect(() => checkConsumerCompatible([v1], addRequired, 'FULL')).toThrow(IncompatibleSchemaError);
  });
});
