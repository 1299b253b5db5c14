import { BrokerError } from '../../errors.js';
import { newGetOrCreateSchemaResponse, newGetSchemaError, newGetSchemaResponse } from '../../protocol/commands.js';
import { ServerError, type BaseCommand, type WireSchema } from '../../protocol/wire-types.js';
import { IncompatibleSchemaError, NoSchemaError } from '../../schema/compatibility.js';
import { schemaPolicyOf, type SchemaPolicy } from '../../schema/policy.js';
import { InvalidSchemaDataError } from '../../schema/registry.js';
import {
  schemaIdOf, typeNameOf, versionFromBytes, versionToBytes, wireTypeOf, type SchemaData,
} from '../../schema/schema-data.js';
import { parseTopicName, type TopicName } from '../../topic/topic-name.js';
import type { Connection } from '../connection.js';
import { toServerError } from '../error-codes.js';

const EXCEPTIONS = 'org.apache.pulsar.broker.service.schema.exceptions.';

/** What the idle check reads of a topic, persistent or not. */
interface SchemaTopic {
  readonly topicName: TopicName;
  readonly producers: ReadonlyMap<string, unknown>;
  readonly subscriptions: ReadonlyMap<string, { consumers(): readonly unknown[] }>;
  /** Messages published since the topic was loaded (ENTRIES_ADDED_COUNTER). */
  readonly msgInCounter: number;
}

/**
 * The schema a PRODUCER, SUBSCRIBE or GET_OR_CREATE_SCHEMA carries, or undefined for none. Type None
 * counts as none: clients never send it for BYTES (Java ProducerImpl "don't set schema info for
 * Schema.BYTES"), and ServerCnx.handleGetOrCreateSchema treats it so.
 */
export function schemaFromWire(wire: WireSchema | undefined): SchemaData | undefined {
  if (!wire || !wire.type) return undefined;
  const properties: Record<string, string> = {};
  for (const { key, value } of wire.properties ?? []) properties[key] = value;
  return { type: typeNameOf(wire.type), data: Buffer.from(wire.schema_data ?? new Uint8Array(0)), properties };
}

async function policyOf(conn: Connection, name: TopicName): Promise<SchemaPolicy> {
  return schemaPolicyOf(await conn.ctx.registry.namespaces?.getPolicies(`${name.tenant}/${name.namespace}`));
}

/**
 * ServerCnx.tryAddSchema before a producer is added: the version of its schema (registered if new and
 * compatible, AbstractTopic.addSchema), or empty bytes without a schema, which is refused on a topic
 * with a schema only when schema validation is enforced.
 */
export async function producerSchemaVersion(conn: Connection, name: TopicName, wire: WireSchema | undefined): Promise<Buffer> {
  const schema = schemaFromWire(wire);
  const id = schemaIdOf(name.baseName);
  const policy = await policyOf(conn, name);
  try {
    if (!schema) {
      if (policy.validationEnforced && (await conn.ctx.schemas.latest(id))) {
        // Pulsar 4.0.7's text, missing space included.
        throw new IncompatibleSchemaError('Producers cannot connect or send message without a schema to topics with a schema'
          + 'when SchemaValidationEnforced is enabled');
      }
      return Buffer.alloc(0);
    }
    return versionToBytes(await conn.ctx.schemas.putIfAbsent(id, schema, policy.strategy, policy.autoUpdate));
  } catch (error) {
    throw toWireError(error, true);
  }
}

/**
 * PersistentTopic.addSchemaIfIdleOrCheckCompatible for a SUBSCRIBE with a schema: an idle topic
 * without a schema takes it; otherwise the consumer's schema must be compatible. AUTO_CONSUME
 * consumers are not checked (ServerCnx.handleSubscribe).
 */
export async function checkSubscriberSchema(conn: Connection, topic: SchemaTopic, wire: WireSchema | undefined): Promise<void> {
  const schema = schemaFromWire(wire);
  if (!schema || schema.type === 'AUTO_CONSUME') return;
  const id = schemaIdOf(topic.topicName.baseName);
  const policy = await policyOf(conn, topic.topicName);
  try {
    const hasSchema = (await conn.ctx.schemas.latest(id)) !== undefined;
    const consumers = [...topic.subscriptions.values()].reduce((sum, sub) => sum + sub.consumers().length, 0);
    if (hasSchema || topic.producers.size > 0 || consumers > 0 || topic.msgInCounter > 0) {
      await conn.ctx.schemas.checkConsumerCompatible(id, schema, policy.strategy).catch((error: unknown) => {
        if (!(error instanceof NoSchemaError)) throw error;
        throw new IncompatibleSchemaError(`Failed to add schema to an active topic with empty(BYTES) schema: new schema type ${schema.type}`);
      });
      return;
    }
    await conn.ctx.schemas.putIfAbsent(id, schema, policy.strategy, policy.autoUpdate);
  } catch (error) {
    throw toWireError(error, false);
  }
}

/**
 * Schema failures are IncompatibleSchema on the wire. A producer sees Pulsar's exception text,
 * `<exception> caused by <exception>` (ServerCnx.handleProducer replies with a CompletionException's
 * message); a consumer sees the plain message (handleSubscribe sends the cause's message).
 */
function toWireError(error: unknown, asException: boolean): unknown {
  let exception: string;
  if (error instanceof IncompatibleSchemaError) exception = 'IncompatibleSchemaException';
  else if (error instanceof InvalidSchemaDataError) exception = 'InvalidSchemaDataException';
  else return error;
  if (!asException) return new BrokerError('IncompatibleSchema', error.message);
  const text = `${EXCEPTIONS}${exception}: ${error.message}`;
  return new BrokerError('IncompatibleSchema', `${text} caused by ${text}`);
}

/** GET_SCHEMA → the latest or the asked version (ServerCnx.handleGetSchema). */
export async function handleGetSchema(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.getSchema!;
  const requestId = request.request_id;
  try {
    const name = parseTopicName(request.topic);
    const id = schemaIdOf(name.baseName);
    let version: number | undefined;
    // Optional fields read as their proto default when absent, so presence is tested explicitly.
    if (Object.prototype.hasOwnProperty.call(request, 'schema_version') && request.schema_version) {
      if (request.schema_version.length === 0) {
        conn.write(newGetSchemaError(requestId, ServerError.IncompatibleSchema, 'Empty schema version'));
        return;
      }
      version = versionFromBytes(request.schema_version) ?? -1;
    }
    const schema = version === undefined ? await conn.ctx.schemas.latest(id) : await conn.ctx.schemas.version(id, version);
    if (!schema) {
      conn.write(newGetSchemaError(requestId, ServerError.TopicNotFound, `Topic not found or no-schema ${request.topic}`));
      return;
    }
    conn.write(newGetSchemaResponse(requestId, {
      name: id, schema_data: schema.data, type: wireTypeOf(schema.type),
      properties: Object.entries(schema.properties).map(([key, value]) => ({ key, value })),
    }, versionToBytes(schema.version)));
  } catch (error) {
    conn.write(newGetSchemaError(requestId, ServerError.UnknownError, (error as Error).message));
  }
}

/**
 * GET_OR_CREATE_SCHEMA (Java multi-schema and AUTO_PRODUCE producers, e.g. the dead-letter producer):
 * the topic must exist; then the schema is added as a producer's would be (ServerCnx.handleGetOrCreateSchema).
 */
export async function handleGetOrCreateSchema(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.getOrCreateSchema!;
  try {
    const name = parseTopicName(request.topic);
    if (!(await conn.ctx.registry.exists(name.full))) {
      conn.write(newGetOrCreateSchemaResponse(request.request_id, ServerError.TopicNotFound, `Topic not found ${name.full}`));
      return;
    }
    const version = await producerSchemaVersion(conn, name, request.schema);
    conn.write(newGetOrCreateSchemaResponse(request.request_id, undefined, undefined, version));
  } catch (error) {
    const { code, message } = toServerError(error);
    conn.write(newGetOrCreateSchemaResponse(request.request_id, code, message));
  }
}
