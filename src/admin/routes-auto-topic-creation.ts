import { MAX_PARTITIONS, overrideProblem, type AutoTopicCreationOverride } from '../topic/partitions.js';
import type { AdminContext } from './context.js';
import { RestError, json, jsonBody, noContent, type Reply, type RouteEntry } from './route.js';
import { existingNamespace } from './routes-namespaces.js';

const PATH = /^\/admin\/v2\/namespaces\/([^/]+)\/([^/]+)\/autoTopicCreation$/;
/** The Policies field Pulsar keeps the override in. */
const FIELD = 'autoTopicCreationOverride';

/** The body as AutoTopicCreationOverride; Jackson fills a missing allowAutoTopicCreation with false. */
function overrideFromBody(body: Buffer): AutoTopicCreationOverride {
  const raw = jsonBody(body, true);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RestError(400, 'autoTopicCreation expects a JSON object');
  const { allowAutoTopicCreation, topicType, defaultNumPartitions } = raw as Record<string, unknown>;
  if (allowAutoTopicCreation !== undefined && typeof allowAutoTopicCreation !== 'boolean') {
    throw new RestError(400, 'allowAutoTopicCreation must be a boolean');
  }
  if (topicType !== undefined && topicType !== null && typeof topicType !== 'string') throw new RestError(400, 'topicType must be a string');
  if (defaultNumPartitions !== undefined && defaultNumPartitions !== null
    && (typeof defaultNumPartitions !== 'number' || !Number.isInteger(defaultNumPartitions))) {
    throw new RestError(400, 'defaultNumPartitions must be an integer');
  }
  return {
    allowAutoTopicCreation: allowAutoTopicCreation === true,
    topicType: topicType as AutoTopicCreationOverride['topicType'],
    ...(typeof defaultNumPartitions === 'number' ? { defaultNumPartitions } : {}),
  };
}

/** POST …/autoTopicCreation (Namespaces.setAutoTopicCreation → NamespacesBase.internalSetAutoTopicCreationAsync). */
async function setAutoTopicCreation(ctx: AdminContext, m: RegExpMatchArray, _url: URL, body: Buffer): Promise<Reply> {
  const namespace = existingNamespace(ctx, m);
  const override = overrideFromBody(body);
  const problem = overrideProblem(override);
  if (problem) throw new RestError(412, `Invalid configuration for autoTopicCreationOverride. the detail is ${problem}`);
  if (override.topicType === 'partitioned' && (override.defaultNumPartitions ?? 0) > MAX_PARTITIONS) {
    throw new RestError(406, `Number of partitions should be less than or equal to ${MAX_PARTITIONS}`);
  }
  await ctx.namespaces.setPolicy(namespace, FIELD, override);
  return noContent();
}

/** GET …/autoTopicCreation: the override, or 204 when the namespace has none. */
async function getAutoTopicCreation(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  const value = (await ctx.namespaces.getPolicies(existingNamespace(ctx, m)))?.[FIELD];
  return value === undefined || value === null ? noContent() : json(value);
}

/** DELETE …/autoTopicCreation: back to the broker's settings. */
async function removeAutoTopicCreation(ctx: AdminContext, m: RegExpMatchArray): Promise<Reply> {
  await ctx.namespaces.setPolicy(existingNamespace(ctx, m), FIELD, undefined);
  return noContent();
}

/** The namespace's auto topic creation policy (v2/Namespaces.java autoTopicCreation). */
export const autoTopicCreationRoutes: RouteEntry[] = [
  ['GET', PATH, getAutoTopicCreation],
  ['POST', PATH, setAutoTopicCreation],
  ['DELETE', PATH, removeAutoTopicCreation],
];
