import type { Clock } from '../clock.js';
import type { MetadataStore } from '../storage/types.js';
import { parseAvroSchema } from './avro.js';
import { checkCompatible, checkConsumerCompatible, IncompatibleSchemaError, type Strategy } from './compatibility.js';
import { usesAvroDefinition, type SchemaData, type StoredSchema } from './schema-data.js';

const SCHEMA_PREFIX = 'schemas/';
const VERSION_DIGITS = 12;

/**
 * Versions kept per topic. Pulsar sets none, but each version is a stored definition of up to a
 * frame's size; a client looping over new schemas must not fill the disk.
 */
export const MAX_SCHEMA_VERSIONS = 1000;

/** Pulsar's InvalidSchemaDataException (ServerError.IncompatibleSchema on the wire, HTTP 422). */
export class InvalidSchemaDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSchemaDataError';
  }
}

/** How a version is kept in the metadata store. */
interface StoredRecord {
  readonly type: string;
  readonly data: string;
  readonly properties: Record<string, string>;
  readonly timestampMs: number;
  readonly deleted: boolean;
}

/**
 * The schema registry (SchemaRegistryServiceImpl over the metadata store instead of BookKeeper):
 * versions 0, 1, 2 … per schema id, a delete being a version that hides those before it. Writes to
 * one id are serialized, so two producers racing with new schemas get consecutive versions.
 */
export class SchemaRegistry {
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(private readonly metadata: MetadataStore, private readonly clock: Clock) {}

  /** Every stored version, oldest first, tombstones included. */
  async allVersions(id: string): Promise<StoredSchema[]> {
    const prefix = `${SCHEMA_PREFIX}${id}/`;
    const entries = await this.metadata.list<StoredRecord>(prefix);
    const versions: StoredSchema[] = [];
    for (const [key, record] of entries) {
      const suffix = key.slice(prefix.length);
      // A longer topic name with this one as prefix lists here too; only this id's version keys count.
      if (suffix.length !== VERSION_DIGITS || !/^\d+$/.test(suffix)) continue;
      versions.push({
        version: Number(suffix), type: record.type, data: Buffer.from(record.data, 'base64'),
        properties: record.properties, timestampMs: record.timestampMs, deleted: record.deleted,
      });
    }
    return versions;
  }

  /** The versions after the latest delete, oldest first (trimDeletedSchemaAndGetList). */
  async activeVersions(id: string): Promise<StoredSchema[]> {
    const all = await this.allVersions(id);
    for (let i = all.length - 1; i >= 0; i--) {
      if (all[i]!.deleted) return all.slice(i + 1);
    }
    return all;
  }

  /** The latest version unless it is a delete. */
  async latest(id: string): Promise<StoredSchema | undefined> {
    const active = await this.activeVersions(id);
    return active[active.length - 1];
  }

  /** A version that has not been hidden by a delete (SchemaRegistryServiceImpl.getSchema with a version). */
  async version(id: string, version: number): Promise<StoredSchema | undefined> {
    return (await this.activeVersions(id)).find((schema) => schema.version === version);
  }

  /** The version of an identical schema, or -1 (findSchemaVersion's NO_SCHEMA_VERSION). */
  async findVersion(id: string, schema: SchemaData): Promise<number> {
    return sameSchemaIn(await this.activeVersions(id), schema)?.version ?? -1;
  }

  /**
   * putSchemaIfAbsent: the version of an identical schema, else the next version after the check
   * under `strategy`. With `autoUpdate` off only an identical schema is accepted (AbstractTopic.addSchema).
   */
  putIfAbsent(id: string, schema: SchemaData, strategy: Strategy, autoUpdate = true): Promise<number> {
    return this.serialized(id, async () => {
      validateSchemaData(schema);
      const all = await this.allVersions(id);
      const active = trimDeleted(all);
      const same = sameSchemaIn(active, schema);
      if (same) return same.version;
      if (!autoUpdate) throw new IncompatibleSchemaError('Schema not found and schema auto updating is disabled.');
      checkCompatible(active, schema, strategy);
      return this.append(id, all, schema, false);
    });
  }

  /** isCompatible / checkCompatible: throws IncompatibleSchemaError when `schema` could not be added under `strategy`. */
  async checkCompatible(id: string, schema: SchemaData, strategy: Strategy): Promise<void> {
    checkCompatible(await this.activeVersions(id), schema, strategy);
  }

  /** checkConsumerCompatibility; throws NoSchemaError when the topic has no schema. */
  async checkConsumerCompatible(id: string, schema: SchemaData, strategy: Strategy): Promise<void> {
    checkConsumerCompatible(await this.activeVersions(id), schema, strategy);
  }

  /** A delete version hiding all before it; with `force` every version is removed and numbering starts again. */
  delete(id: string, force: boolean): Promise<number> {
    return this.serialized(id, async () => {
      const all = await this.allVersions(id);
      if (force) {
        for (const schema of all) await this.metadata.delete(versionKey(id, schema.version));
        return all.length === 0 ? -1 : all[all.length - 1]!.version;
      }
      return this.append(id, all, { type: 'NONE', data: Buffer.alloc(0), properties: {} }, true);
    });
  }

  private async append(id: string, all: readonly StoredSchema[], schema: SchemaData, deleted: boolean): Promise<number> {
    const version = all.length === 0 ? 0 : all[all.length - 1]!.version + 1;
    if (all.length >= MAX_SCHEMA_VERSIONS) {
      throw new IncompatibleSchemaError(`Topic ${id} already has ${MAX_SCHEMA_VERSIONS} schema versions`);
    }
    const record: StoredRecord = {
      type: schema.type, data: schema.data.toString('base64'), properties: { ...schema.properties },
      timestampMs: this.clock.now(), deleted,
    };
    await this.metadata.put(versionKey(id, version), record);
    return version;
  }

  private serialized<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.writes.get(id) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.writes.set(id, tail);
    void tail.then(() => {
      if (this.writes.get(id) === tail) this.writes.delete(id);
    });
    return run;
  }
}

function versionKey(id: string, version: number): string {
  return `${SCHEMA_PREFIX}${id}/${String(version).padStart(VERSION_DIGITS, '0')}`;
}

function trimDeleted(all: readonly StoredSchema[]): StoredSchema[] {
  for (let i = all.length - 1; i >= 0; i--) {
    if (all[i]!.deleted) return all.slice(i + 1);
  }
  return [...all];
}

/**
 * getSchemaVersionBySchemaData: same type and same definition; Avro-style definitions compare as
 * parsed JSON (whitespace and key order aside), others byte for byte.
 */
function sameSchemaIn(versions: readonly StoredSchema[], schema: SchemaData): StoredSchema | undefined {
  const canonical = usesAvroDefinition(schema.type) ? canonicalJson(schema.data) : undefined;
  return versions.find((stored) => stored.type === schema.type && (stored.data.equals(schema.data)
    || (canonical !== undefined && canonicalJson(stored.data) === canonical)));
}

function canonicalJson(data: Buffer): string | undefined {
  try {
    return JSON.stringify(sortKeys(JSON.parse(data.toString('utf8'))));
  } catch {
    return undefined;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** Types PrimitiveSchemaDataValidator checks: their definition must be empty (STRING has its own, lenient validator). */
const PRIMITIVES_WITHOUT_DATA = [
  'BOOLEAN', 'INT8', 'INT16', 'INT32', 'INT64', 'FLOAT', 'DOUBLE', 'DATE', 'TIME', 'TIMESTAMP', 'INSTANT',
  'LOCAL_DATE', 'LOCAL_TIME', 'LOCAL_DATE_TIME',
];

/**
 * SchemaRegistryServiceWithSchemaDataValidator: an AVRO definition must parse as Avro; a JSON one as
 * Avro or, in the pre-2.2 format, as JSON; most primitives carry none. Other types are taken as they come.
 */
export function validateSchemaData(schema: SchemaData): void {
  if (PRIMITIVES_WITHOUT_DATA.includes(schema.type) && schema.data.length > 0) {
    throw new InvalidSchemaDataError('Invalid schema definition data for primitive schemas :'
      + `length of schema data should be zero, but ${schema.data.length} bytes is found`);
  }
  if (schema.type !== 'AVRO' && schema.type !== 'JSON') return;
  const text = schema.data.toString('utf8');
  try {
    parseAvroSchema(text);
    return;
  } catch {
    if (schema.type === 'JSON') {
      try {
        if (typeof JSON.parse(text) === 'object') return;
      } catch {
        // invalid below
      }
    }
  }
  throw new InvalidSchemaDataError(`Invalid schema definition data for ${schema.type} schema`);
}
