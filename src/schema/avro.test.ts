import { describe, expect, it } from 'vitest';
import { AvroSchemaError, canRead, parseAvroSchema, prettyJson } from './avro.js';

const record = (fields: object[], name = 'User') => JSON.stringify({ type: 'record', name, fields });
const parse = (fields: object[], name?: string) => parseAvroSchema(record(fields, name));

describe('parseAvroSchema', () => {
  it('parses records, enums, arrays, maps, fixed, unions and named references', () => {
    const type = parseAvroSchema(JSON.stringify({
      type: 'record', name: 'Outer', namespace: 'com.example', fields: [
        { name: 'id', type: 'long' },
        { name: 'color', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN'] } },
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'attrs', type: { type: 'map', values: 'int' } },
        { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 16 } },
        { name: 'other', type: ['null', 'Color'], default: null },
        { name: 'next', type: ['null', 'Outer'], default: null },
      ],
    }));
    expect(type.kind).toBe('record');
    if (type.kind !== 'record') return;
    expect(type.fullName).toBe('com.example.Outer');
    expect(type.fields.map((field) => field.name)).toEqual(['id', 'color', 'tags', 'attrs', 'hash', 'other', 'next']);
    const next = type.fields[6]!.type;
    expect(next.kind === 'union' && next.branches[1]).toBe(type);
  });

  it('refuses what Avro refuses: unknown names, missing fields, invalid defaults, non-JSON', () => {
    expect(() => parseAvroSchema('"Nope"')).toThrow(AvroSchemaError);
    expect(() => parseAvroSchema('{"type":"record","name":"R"}')).toThrow(AvroSchemaError);
    expect(() => parse([{ name: 'a', type: 'int', default: 'x' }])).toThrow(/Invalid default/);
    expect(() => parse([{ name: 'a', type: ['null', 'string'], default: 'x' }])).toThrow(/Invalid default/);
    expect(() => parseAvroSchema('not json')).toThrow(AvroSchemaError);
    expect(() => parse([{ name: 'a', type: 'int' }, { name: 'a', type: 'int' }])).toThrow(/Duplicate field/);
  });

  it('bounds nesting depth', () => {
    let nested: unknown = 'int';
    for (let i = 0; i < 100; i++) nested = { type: 'array', items: nested };
    expect(() => parseAvroSchema(JSON.stringify(nested))).toThrow(/too deeply/);
  });
});

describe('canRead (Avro schema resolution)', () => {
  const v1 = parse([{ name: 'name', type: 'string' }]);

  it('a reader with an added field needs a default for it', () => {
    expect(canRead(parse([{ name: 'name', type: 'string' }, { name: 'age', type: 'int', default: 0 }]), v1)).toBe(true);
    expect(canRead(parse([{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }]), v1)).toBe(false);
  });

  it('fields the reader lacks are skipped', () => {
    expect(canRead(v1, parse([{ name: 'name', type: 'string' }, { name: 'age', type: 'int' }]))).toBe(true);
  });

  it('promotes primitives one way only', () => {
    const of = (type: string) => parse([{ name: 'x', type }]);
    expect(canRead(of('long'), of('int'))).toBe(true);
    expect(canRead(of('double'), of('float'))).toBe(true);
    expect(canRead(of('bytes'), of('string'))).toBe(true);
    expect(canRead(of('int'), of('long'))).toBe(false);
    expect(canRead(of('string'), of('int'))).toBe(false);
  });

  it('resolves unions branch by branch', () => {
    const nullable = parse([{ name: 'x', type: ['null', 'string'] }]);
    const plain = parse([{ name: 'x', type: 'string' }]);
    expect(canRead(nullable, plain)).toBe(true);
    expect(canRead(plain, nullable)).toBe(false);
    expect(canRead(parse([{ name: 'x', type: ['null', 'long'] }]), parse([{ name: 'x', type: 'int' }]))).toBe(true);
  });

  it('enums need every written symbol unless the reader has a default', () => {
    const enumOf = (symbols: string[], extra: object = {}) => parse([{ name: 'e', type: { type: 'enum', name: 'E', symbols, ...extra } }]);
    expect(canRead(enumOf(['A', 'B', 'C']), enumOf(['A', 'B']))).toBe(true);
    expect(canRead(enumOf(['A']), enumOf(['A', 'B']))).toBe(false);
    expect(canRead(enumOf(['A', 'Z'], { default: 'Z' }), enumOf(['A', 'B']))).toBe(true);
  });

  it('matches renamed fields through reader aliases and handles recursive records', () => {
    expect(canRead(parse([{ name: 'fullName', type: 'string', aliases: ['name'] }]), v1)).toBe(true);
    const list = parseAvroSchema(record([{ name: 'v', type: 'int' }, { name: 'next', type: ['null', 'User'], default: null }]));
    expect(canRead(list, list)).toBe(true);
  });
});

describe('prettyJson', () => {
  it('prints as Jackson does for Avro schemas', () => {
    expect(prettyJson(record([{ name: 'a', type: 'int' }], 'X')))
      .toBe('{\n  "type" : "record",\n  "name" : "X",\n  "fields" : [ {\n    "name" : "a",\n    "type" : "int"\n  } ]\n}');
  });
});
