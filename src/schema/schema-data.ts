/**
 * A schema as the registry keeps it: Pulsar's SchemaType name, the definition bytes and properties
 * (org.apache.pulsar.common.protocol.schema.SchemaData), and how its version travels on the wire.
 */

/** Pulsar's SchemaType names by their PulsarApi.proto Schema.Type number (equal to SchemaType.getValue() for types >= 0). */
const TYPE_NAMES: readonly string[] = [
  'NONE', 'STRING', 'JSON', 'PROTOBUF', 'AVRO', 'BOOLEAN', 'INT8', 'INT16', 'INT32', 'INT64', 'FLOAT', 'DOUBLE',
  'DATE', 'TIME', 'TIMESTAMP', 'KEY_VALUE', 'INSTANT', 'LOCAL_DATE', 'LOCAL_TIME', 'LOCAL_DATE_TIME',
  'PROTOBUF_NATIVE', 'AUTO_CONSUME', 'EXTERNAL',
];

export type SchemaTypeName = string;

export interface SchemaData {
  readonly type: SchemaTypeName;
  readonly data: Buffer;
  readonly properties: Readonly<Record<string, string>>;
}

/** A version of a topic's schema; a delete is stored as a version too (SchemaRegistryServiceImpl.deleted). */
export interface StoredSchema extends SchemaData {
  readonly version: number;
  readonly timestampMs: number;
  readonly deleted: boolean;
}

export class SchemaTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaTypeError';
  }
}

export function typeNameOf(wireType: number): SchemaTypeName {
  const name = TYPE_NAMES[wireType];
  if (name === undefined) throw new SchemaTypeError(`Unknown schema type ${wireType}`);
  return name;
}

export function wireTypeOf(name: SchemaTypeName): number {
  const index = TYPE_NAMES.indexOf(name);
  if (index < 0) throw new SchemaTypeError(`Unknown schema type ${name}`);
  return index;
}

/** Names a REST payload may carry (SchemaType.valueOf): the wire types plus BYTES. */
export function isKnownTypeName(name: unknown): name is SchemaTypeName {
  return typeof name === 'string' && (TYPE_NAMES.includes(name) || name === 'BYTES');
}

/** AVRO, JSON and PROTOBUF definitions are Avro schema JSON (SchemaRegistryServiceImpl.isUsingAvroSchemaParser). */
export function usesAvroDefinition(type: SchemaTypeName): boolean {
  return type === 'AVRO' || type === 'JSON' || type === 'PROTOBUF';
}

/** The 8-byte big-endian long of LongSchemaVersion.bytes(). */
export function versionToBytes(version: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(version));
  return bytes;
}

/** LongSchemaVersion from bytes; anything but 8 bytes is not a version this registry wrote. */
export function versionFromBytes(bytes: Uint8Array): number | undefined {
  if (bytes.length !== 8) return undefined;
  const value = Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigInt64BE();
  return value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

/** Pulsar's schema id: `tenant/ns/name` of the partitioned topic, without domain or -partition-N (TopicName.getSchemaName). */
export function schemaIdOf(baseName: string): string {
  const scheme = baseName.indexOf('://');
  return scheme >= 0 ? baseName.slice(scheme + 3) : baseName;
}
