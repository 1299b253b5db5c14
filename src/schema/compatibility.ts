import { AvroSchemaError, canRead, parseAvroSchema, prettyJson, type AvroType } from './avro.js';
import type { SchemaData } from './schema-data.js';

/** Pulsar's SchemaCompatibilityStrategy names. */
export const STRATEGIES = [
  'UNDEFINED', 'ALWAYS_INCOMPATIBLE', 'ALWAYS_COMPATIBLE', 'BACKWARD', 'FORWARD', 'FULL',
  'BACKWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', 'FULL_TRANSITIVE',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export function isStrategy(value: unknown): value is Strategy {
  return typeof value === 'string' && (STRATEGIES as readonly string[]).includes(value);
}

/** Pulsar's IncompatibleSchemaException (ServerError.IncompatibleSchema, HTTP 409). */
export class IncompatibleSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleSchemaError';
  }
}

/** Pulsar's NotExistSchemaException: a consumer check on a topic without a schema. */
export class NoSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoSchemaError';
  }
}

const TRANSITIVE: readonly Strategy[] = ['BACKWARD_TRANSITIVE', 'FORWARD_TRANSITIVE', 'FULL_TRANSITIVE'];

/** What SchemaRegistryServiceImpl.checkCompatible does before a new version is added; `existing` is oldest first, deletes trimmed. */
export function checkCompatible(existing: readonly SchemaData[], candidate: SchemaData, strategy: Strategy): void {
  if (existing.length === 0 || strategy === 'ALWAYS_COMPATIBLE') return;
  if (TRANSITIVE.includes(strategy)) checkWithAll(existing, candidate, strategy);
  else checkWithLatest(existing[existing.length - 1]!, candidate, strategy);
}

/**
 * SchemaRegistryServiceImpl.checkConsumerCompatibility: a consumer's schema must read what the latest
 * version wrote (BACKWARD) under the non-transitive strategies and FORWARD_TRANSITIVE, else the strategy over all versions.
 */
export function checkConsumerCompatible(existing: readonly SchemaData[], candidate: SchemaData, strategy: Strategy): void {
  if (strategy === 'ALWAYS_COMPATIBLE') return;
  const latest = existing[existing.length - 1];
  if (!latest) throw new NoSchemaError('Topic does not have schema to check');
  if (strategy === 'BACKWARD' || strategy === 'FORWARD' || strategy === 'FORWARD_TRANSITIVE' || strategy === 'FULL') {
    checkWithLatest(latest, candidate, 'BACKWARD');
  } else {
    checkWithAll(existing, candidate, strategy);
  }
}

function checkWithLatest(latest: SchemaData, candidate: SchemaData, strategy: Strategy): void {
  if (latest.type !== candidate.type) throw typeChange(latest, candidate);
  if (latest.data.equals(candidate.data)) return;
  checkerFor(candidate.type)([latest], candidate, strategy);
}

function checkWithAll(existing: readonly SchemaData[], candidate: SchemaData, strategy: Strategy): void {
  const other = existing.find((schema) => schema.type !== candidate.type);
  if (other) throw typeChange(other, candidate);
  checkerFor(candidate.type)(existing, candidate, strategy);
}

function typeChange(existing: SchemaData, candidate: SchemaData): IncompatibleSchemaError {
  return new IncompatibleSchemaError(`Incompatible schema: exists schema type ${existing.type}, new schema type ${candidate.type}`);
}

/** `from` is oldest first. */
type Checker = (from: readonly SchemaData[], to: SchemaData, strategy: Strategy) => void;

/** The checkers standalone.conf configures (schemaRegistryCompatibilityCheckers), plus KEY_VALUE; others use SchemaCompatibilityCheck.DEFAULT. */
function checkerFor(type: string): Checker {
  switch (type) {
    case 'AVRO': return checkAvro;
    case 'JSON': return checkJson;
    case 'PROTOBUF_NATIVE': return checkProtobufNative;
    case 'KEY_VALUE': return checkKeyValue;
    default: return checkDefault;
  }
}

function checkDefault(_from: readonly SchemaData[], _to: SchemaData, strategy: Strategy): void {
  if (strategy === 'ALWAYS_INCOMPATIBLE') throw new IncompatibleSchemaError('Schema compatibility strategy is ALWAYS_INCOMPATIBLE');
}

/** AvroSchemaBasedCompatibilityCheck: Avro's canRead / canBeRead / mutualRead validators, latest version first. */
function checkAvro(from: readonly SchemaData[], to: SchemaData, strategy: Strategy): void {
  if (strategy === 'ALWAYS_COMPATIBLE') return;
  let existing: Array<{ text: string; type: AvroType }>;
  let candidate: { text: string; type: AvroType };
  try {
    existing = [...from].reverse().map((schema) => parsed(schema));
    candidate = parsed(to);
  } catch (error) {
    if (!(error instanceof AvroSchemaError)) throw error;
    throw new IncompatibleSchemaError(`org.apache.avro.SchemaParseException: ${error.message}`);
  }
  const fail = (writer: { text: string }, reader: { text: string }) => new IncompatibleSchemaError(
    `Error during schema compatibility check with strategy ${strategy}: org.apache.avro.SchemaValidationException: `
    + `Unable to read schema: \n${prettyJson(writer.text)}\nusing schema:\n${prettyJson(reader.text)}`);
  if (strategy === 'ALWAYS_INCOMPATIBLE' || strategy === 'UNDEFINED') throw fail(candidate, candidate);
  const backward = strategy.startsWith('BACKWARD') || strategy.startsWith('FULL');
  const forward = strategy.startsWith('FORWARD') || strategy.startsWith('FULL');
  for (const old of existing) {
    // ValidateMutualRead.validate: first the new schema's data read with the old, then the reverse.
    if (forward && !canRead(old.type, candidate.type)) throw fail(candidate, old);
    if (backward && !canRead(candidate.type, old.type)) throw fail(old, candidate);
  }
}

function parsed(schema: SchemaData): { text: string; type: AvroType } {
  const text = schema.data.toString('utf8');
  return { text, type: parseAvroSchema(text) };
}

/** JsonSchemaCompatibilityCheck: Avro rules when both definitions are Avro; the pre-2.2 JSON-schema format is let through. */
function checkJson(from: readonly SchemaData[], to: SchemaData, strategy: Strategy): void {
  const avro = [...from, to].every((schema) => {
    try {
      parseAvroSchema(schema.data.toString('utf8'));
      return true;
    } catch {
      return false;
    }
  });
  if (avro) checkAvro(from, to, strategy);
  else checkDefault(from, to, strategy);
}

/** ProtobufNativeSchemaCompatibilityCheck: the root message may not change. */
function checkProtobufNative(from: readonly SchemaData[], to: SchemaData, strategy: Strategy): void {
  if (strategy === 'ALWAYS_COMPATIBLE') return;
  if (strategy === 'ALWAYS_INCOMPATIBLE' || strategy === 'UNDEFINED') throw new IncompatibleSchemaError('Unknown SchemaCompatibilityStrategy.');
  const root = rootMessage(to);
  for (const schema of from) {
    if (rootMessage(schema) !== root) throw new IncompatibleSchemaError("Protobuf root message isn't allow change!");
  }
}

/** ProtobufNativeSchemaData JSON: {fileDescriptorSet, rootMessageTypeName, rootFileDescriptorName}. */
function rootMessage(schema: SchemaData): string {
  try {
    const json = JSON.parse(schema.data.toString('utf8')) as { rootMessageTypeName?: unknown };
    if (typeof json.rootMessageTypeName === 'string') return json.rootMessageTypeName;
  } catch {
    // falls through to the error below
  }
  throw new IncompatibleSchemaError('Invalid PROTOBUF_NATIVE schema definition');
}

/** KeyValueSchemaCompatibilityCheck: same key and value types, then each part under its own type's check. */
function checkKeyValue(from: readonly SchemaData[], to: SchemaData, strategy: Strategy): void {
  const target = splitKeyValue(to);
  for (const schema of from) {
    const source = splitKeyValue(schema);
    if (source.key.type !== target.key.type || source.value.type !== target.value.type) {
      throw new IncompatibleSchemaError(`Key schemas or Value schemas are different schema type, from key schema type is ${source.key.type} `
        + `and to key schema is ${target.key.type}, from value schema is ${source.value.type} and to value schema is ${target.value.type}`);
    }
    checkerFor(target.key.type)([source.key], target.key, strategy);
    checkerFor(target.value.type)([source.value], target.value, strategy);
  }
}

/** KeyValue schema data: int32 length + key definition, int32 length + value definition; part types in the properties. */
export function splitKeyValue(schema: SchemaData): { key: SchemaData; value: SchemaData } {
  const bytes = schema.data;
  const invalid = () => new IncompatibleSchemaError('Invalid KEY_VALUE schema definition');
  if (bytes.length < 8) throw invalid();
  const keyLength = bytes.readInt32BE(0);
  if (keyLength < 0 || 8 + keyLength > bytes.length) throw invalid();
  const valueLength = bytes.readInt32BE(4 + keyLength);
  if (valueLength < 0 || 8 + keyLength + valueLength > bytes.length) throw invalid();
  const part = (prefix: string, data: Buffer): SchemaData => ({
    type: schema.properties[`${prefix}.schema.type`] ?? 'BYTES',
    data,
    properties: {},
  });
  return {
    key: part('key', bytes.subarray(4, 4 + keyLength)),
    value: part('value', bytes.subarray(8 + keyLength, 8 + keyLength + valueLength)),
  };
}
