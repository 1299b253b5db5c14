import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage, openFileStorage } from '../storage/index.js';
import { ManualClock } from '../test-support/manual-clock.js';
import { IncompatibleSchemaError } from './compatibility.js';
import { InvalidSchemaDataError, SchemaRegistry } from './registry.js';
import { schemaIdOf, versionFromBytes, versionToBytes, type SchemaData } from './schema-data.js';

const json = (fields: object[], pretty = false): SchemaData => ({
  type: 'JSON', properties: { k: 'v' },
  data: Buffer.from(JSON.stringify({ type: 'record', name: 'User', fields }, null, pretty ? 2 : 0)),
});
const v0 = json([{ name: 'name', type: 'string' }]);
const v1 = json([{ name: 'name', type: 'string' }, { name: 'age', type: ['null', 'int'], default: null }]);
const incompatible = json([{ name: 'name', type: 'string' }, { name: 'city', type: 'string' }]);

describe('SchemaRegistry', () => {
  it('numbers versions from 0, returns the version of an identical schema, refuses incompatible ones', async () => {
    const registry = new SchemaRegistry(createMemoryStorage().metadata, new ManualClock(5000));
    expect(await registry.putIfAbsent('t/ns/a', v0, 'FULL')).toBe(0);
    expect(await registry.putIfAbsent('t/ns/a', json([{ name: 'name', type: 'string' }], true), 'FULL')).toBe(0);
    expect(await registry.putIfAbsent('t/ns/a', v1, 'FULL')).toBe(1);
    await expect(registry.putIfAbsent('t/ns/a', incompatible, 'FULL')).rejects.toBeInstanceOf(IncompatibleSchemaError);
    expect(await registry.putIfAbsent('t/ns/a', v0, 'FULL')).toBe(0);
    const latest = await registry.latest('t/ns/a');
    expect(latest).toMatchObject({ version: 1, type: 'JSON', timestampMs: 5000, properties: { k: 'v' }, deleted: false });
    expect(latest!.data.equals(v1.data)).toBe(true);
    expect(await registry.findVersion('t/ns/a', v1)).toBe(1);
    expect(await registry.findVersion('t/ns/a', incompatible)).toBe(-1);
  });

  it('keeps ids apart even when one topic name starts with another', async () => {
    const registry = new SchemaRegistry(createMemoryStorage().metadata, new ManualClock());
    await registry.putIfAbsent('t/ns/a', v0, 'FULL');
    await registry.putIfAbsent('t/ns/a/b', { type: 'STRING', data: Buffer.alloc(0), properties: {} }, 'FULL');
    expect((await registry.allVersions('t/ns/a')).map((schema) => schema.type)).toEqual(['JSON']);
  });

  it('a delete hides earlier versions and takes a version number; a forced delete starts again from 0', async () => {
    const registry = new SchemaRegistry(createMemoryStorage().metadata, new ManualClock());
    await registry.putIfAbsent('t/ns/a', v0, 'FULL');
    expect(await registry.delete('t/ns/a', false)).toBe(1);
    expect(await registry.latest('t/ns/a')).toBeUndefined();
    expect(await registry.version('t/ns/a', 0)).toBeUndefined();
    // After a delete the history no longer constrains: an incompatible schema is accepted.
    expect(await registry.putIfAbsent('t/ns/a', { type: 'STRING', data: Buffer.alloc(0), properties: {} }, 'FULL')).toBe(2);
    await registry.delete('t/ns/a', true);
    expect(await registry.allVersions('t/ns/a')).toEqual([]);
    expect(await registry.putIfAbsent('t/ns/a', v0, 'FULL')).toBe(0);
  });

  it('serializes concurrent additions: racing producers get consecutive versions', async () => {
    const registry = new SchemaRegistry(createMemoryStorage().metadata, new ManualClock());
    await registry.putIfAbsent('t/ns/a', v0, 'FULL');
    const versions = await Promise.all([v1, v1, v1].map((schema) => registry.putIfAbsent('t/ns/a', schema, 'FULL')));
    expect(versions).toEqual([1, 1, 1]);
  });

  it('refuses definitions that are not Avro', async () => {
    const registry = new SchemaRegistry(createMemoryStorage().metadata, new ManualClock());
    await expect(registry.putIfAbsent('t/ns/a', { type: 'AVRO', data: Buffer.from('not json'), properties: {} }, 'FULL'))
      .rejects.toThrow(new InvalidSchemaDataError('Invalid schema definition data for AVRO schema'));
  });

  it('persists versions across a restart of the file storage', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vela-schema-'));
    try {
      const first = await openFileStorage(dir);
      const before = new SchemaRegistry(first.metadata, new ManualClock(1));
      await before.putIfAbsent('t/ns/a', v0, 'FULL');
      await before.putIfAbsent('t/ns/a', v1, 'FULL');
      await first.close();
      const second = await openFileStorage(dir);
      const after = new SchemaRegistry(second.metadata, new ManualClock(2));
      expect((await after.allVersions('t/ns/a')).map((schema) => schema.version)).toEqual([0, 1]);
      expect(await after.putIfAbsent('t/ns/a', v1, 'FULL')).toBe(1);
      expect((await after.version('t/ns/a', 0))!.data.equals(v0.data)).toBe(true);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('schema ids and versions', () => {
  it('drops the domain (partitions are already stripped by the base name)', () => {
    expect(schemaIdOf('persistent://public/default/t')).toBe('public/default/t');
    expect(schemaIdOf('non-persistent://public/default/t')).toBe('public/default/t');
  });

  it('encodes versions as 8-byte big-endian longs', () => {
    expect(versionToBytes(1)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]));
    expect(versionFromBytes(versionToBytes(258))).toBe(258);
    expect(versionFromBytes(new Uint8Array(3))).toBeUndefined();
  });
});
