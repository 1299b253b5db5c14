import { IncompatibleSchemaError, isStrategy } from '../schema/compatibility.js';
import { BROKER_SCHEMA_POLICY, schemaPolicyOf } from '../schema/policy.js';
import { InvalidSchemaDataError } from '../schema/registry.js';
import { isKnownTypeName, schemaIdOf, type SchemaData, type StoredSchema } from '../schema/schema-data.js';
import { parseTopicName, type TopicName } from '../topic/topic-name.js';
import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, queryFlag, segment, type Reply, type RouteEntry } from './route.js';
import { existingNamespace } from './routes-namespaces.js';

const SCHEMA = '^/admin/v2/schemas/([^/]+)/([^/]+)/([^/]+)';
const NS = '^/admin/v2/namespaces/([^/]+)/([^/]+)';

/** The schema id a schemas route names: the partitioned topic's base name (SchemasResourceBase.getSchemaId). */
function schemaId(m: RegExpMatchArray): { id: string; namespace: string } {
  const local = segment(m, 3);
  if (local.includes('/')) throw new RestError(412, `Invalid topic name '${local}'`);
  const name = parseTopicName(`persistent://${segment(m, 1)}/${segment(m, 2)}/${local}`);
  return { id: schemaIdOf(name.baseName), namespace: `${name.tenant}/${name.namespace}` };
}

/** GetSchemaResponse. */
function schemaResponse(schema: StoredSchema): object {
  return {
    version: schema.version, type: schema.type, timestamp: schema.timestampMs,
    data: schema.data.toString('utf8'), properties: schema.properties,
  };
}

/** PostSchemaPayload {type, schema, properties}; an unknown type fails as SchemaType.valueOf does. */
function payloadSchema(body: Buffer): SchemaData {
  const payload = jsonBody(body, true) as { type?: unknown; schema?: unknown; properties?: unknown } | null;
  const type = payload?.type;
  if (!isKnownTypeName(type)) throw new RestError(500, `No enum constant org.apache.pulsar.common.schema.SchemaType.${String(type)}`);
  const properties: Record<string, string> = {};
  if (payload?.properties && typeof payload.properties === 'object') {
    for (const [key, value] of Object.entries(payload.properties)) properties[key] = String(value);
  }
  const definition = typeof payload?.schema === 'string' ? payload.schema : '';
  return { type, data: Buffer.from(definition, 'utf8'), properties };
}

async function strategyOf(ctx: AdminContext, namespace: string) {
  return schemaPolicyOf(await ctx.namespaces.getPolicies(namespace));
}

/** Registry failures as SchemasResource answers them: 409 incompatible, 422 invalid definition. */
function restError(error: unknown): unknown {
  if (error instanceof IncompatibleSchemaError) return new RestError(409, error.message);
  if (error instanceof InvalidSchemaDataError) return new RestError(422, error.message);
  return error;
}

async function getLatest(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const schema = await ctx.schemas.latest(schemaId(m).id);
  if (!schema) throw new RestError(404, 'Schema not found');
  return json(schemaResponse(schema));
}

async function getVersion(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const schema = await ctx.schemas.version(schemaId(m).id, Number(segment(m, 4)));
  if (!schema) throw new RestError(404, 'Schema not found');
  return json(schemaResponse(schema));
}

async function getAll(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const versions = await ctx.schemas.activeVersions(schemaId(m).id);
  return json({ getSchemaResponses: versions.map(schemaResponse) });
}

/** POST …/schema → PostSchemaResponse, whose version is a LongSchemaVersion object. */
async function postSchema(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const { id, namespace } = schemaId(m);
  const schema = payloadSchema(body);
  const policy = await strategyOf(ctx, namespace);
  try {
    return json({ version: { version: await ctx.schemas.putIfAbsent(id, schema, policy.strategy) } });
  } catch (error) {
    throw restError(error);
  }
}

/** DELETE …/schema[?force=true] → DeleteSchemaResponse; a forced delete removes every version and answers -1. */
async function deleteSchema(ctx: AdminContext, m: RegExpMatchArray, url: URL): Promise<Reply> {
  const force = queryFlag(url, 'force');
  const version = await ctx.schemas.delete(schemaId(m).id, force);
  return json({ version: force ? -1 : version });
}

/** POST …/compatibility → 202 IsCompatibilityResponse; an incompatible schema fails the request (500), as Pulsar 4.0.7 does. */
async function testCompatibility(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const { id, namespace } = schemaId(m);
  const schema = payloadSchema(body);
  const { strategy } = await strategyOf(ctx, namespace);
  try {
    await ctx.schemas.checkCompatible(id, schema, strategy);
  } catch (error) {
    if (error instanceof IncompatibleSchemaError) {
      throw new RestError(500, `\n --- An unexpected error occurred in the server ---\n\nMessage: ${error.message}\n`);
    }
    throw error;
  }
  return json({ schemaCompatibilityStrategy: strategy, compatibility: true }, 202);
}

/** POST …/version → LongSchemaVersionResponse: the version of an identical schema, -1 when none. */
async function versionOf(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  return json({ version: await ctx.schemas.findVersion(schemaId(m).id, payloadSchema(body)) });
}

/** GET …/schemaCompatibilityStrategy: the namespace's own setting, UNDEFINED when unset. */
async function getStrategy(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const policies = await ctx.namespaces.getPolicies(existingNamespace(ctx, m));
  const strategy = policies?.schema_compatibility_strategy;
  // A string body is sent as is, so the JSON string is spelled out.
  return json(JSON.stringify(isStrategy(strategy) ? strategy : 'UNDEFINED'));
}

/** PUT …/schemaCompatibilityStrategy with a JSON strategy name; an unknown name reads as UNDEFINED (Jackson gives null). */
async function setStrategy(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const namespace = existingNamespace(ctx, m);
  const value = jsonBody(body, true);
  await ctx.namespaces.setPolicy(namespace, 'schema_compatibility_strategy', isStrategy(value) ? value : 'UNDEFINED');
  return noContent();
}

/** GET of a boolean schema policy: the namespace's value, else the broker default (Namespaces.getIsAllowAutoUpdateSchema, getSchemaValidationEnforced). */
const getFlag = (field: string, fallback: boolean) => async (ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> => {
  const value = (await ctx.namespaces.getPolicies(existingNamespace(ctx, m)))?.[field];
  return json(JSON.stringify(typeof value === 'boolean' ? value : fallback));
};

/** POST of a boolean schema policy with a JSON boolean body; anything else is refused as Jackson does (400). */
const setFlag = (field: string) => async (ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> => {
  const namespace = existingNamespace(ctx, m);
  const value = jsonBody(body, true);
  if (typeof value !== 'boolean') throw new RestError(400, `Cannot deserialize value of type \`boolean\` from ${JSON.stringify(value)}`);
  await ctx.namespaces.setPolicy(namespace, field, value);
  return noContent();
};

/**
 * A deleted topic takes its schema along, so a topic created again under the name starts from version 0
 * (Pulsar deletes the schema storage with the topic; a single partition's deletion keeps it).
 */
export async function deleteTopicSchema(ctx: AdminContext, name: TopicName): Promise<void> {
  if (name.partitionIndex < 0) await ctx.schemas.delete(schemaIdOf(name.baseName), true);
}

/** Pulsar's schema registry REST API (v2/SchemasResource) and the namespace strategy (v2/Namespaces). */
export const schemaRoutes: RouteEntry[] = [
  ['GET', new RegExp(`${SCHEMA}/schema$`), getLatest],
  ['POST', new RegExp(`${SCHEMA}/schema$`), postSchema],
  ['DELETE', new RegExp(`${SCHEMA}/schema$`), deleteSchema],
  ['GET', new RegExp(`${SCHEMA}/schema/(\\d{1,15})$`), getVersion],
  ['GET', new RegExp(`${SCHEMA}/schemas$`), getAll],
  ['POST', new RegExp(`${SCHEMA}/compatibility$`), testCompatibility],
  ['POST', new RegExp(`${SCHEMA}/version$`), versionOf],
  ['GET', new RegExp(`${NS}/schemaCompatibilityStrategy$`), getStrategy],
  ['PUT', new RegExp(`${NS}/schemaCompatibilityStrategy$`), setStrategy],
  ['GET', new RegExp(`${NS}/isAllowAutoUpdateSchema$`), getFlag('is_allow_auto_update_schema', BROKER_SCHEMA_POLICY.autoUpdate)],
  ['POST', new RegExp(`${NS}/isAllowAutoUpdateSchema$`), setFlag('is_allow_auto_update_schema')],
  ['GET', new RegExp(`${NS}/schemaValidationEnforced$`), getFlag('schema_validation_enforced', BROKER_SCHEMA_POLICY.validationEnforced)],
  ['POST', new RegExp(`${NS}/schemaValidationEnforced$`), setFlag('schema_validation_enforced')],
];
