import type { MetadataStore } from '../storage/types.js';

/** Pulsar's PartitionedTopicMetadata as stored and as GET …/partitions shows it. */
export interface PartitionedTopicMetadata {
  readonly partitions: number;
  readonly properties?: Readonly<Record<string, string>>;
}

const PARTITIONED_PREFIX = 'partitioned-topic/';

/**
 * Bound on partitions per topic. Pulsar's maxNumPartitionsPerPartitionedTopic defaults to unlimited,
 * but every partition here is an eagerly created topic with its own ledger, so a typo must not
 * create a million of them.
 */
export const MAX_PARTITIONS = 4096;

/** Partition metadata of base topic names, kept in the metadata store (Pulsar's /admin/partitioned-topics). */
export class PartitionedTopicStore {
  constructor(private readonly metadata: MetadataStore) {}

  get(baseName: string): Promise<PartitionedTopicMetadata | undefined> {
    return this.metadata.get<PartitionedTopicMetadata>(PARTITIONED_PREFIX + baseName);
  }

  put(baseName: string, meta: PartitionedTopicMetadata): Promise<void> {
    return this.metadata.put(PARTITIONED_PREFIX + baseName, meta);
  }

  delete(baseName: string): Promise<void> {
    return this.metadata.delete(PARTITIONED_PREFIX + baseName);
  }

  /** Base names and metadata of the partitioned topics whose full name starts with `prefix`. */
  async list(prefix: string): Promise<Array<[string, PartitionedTopicMetadata]>> {
    const entries = await this.metadata.list<PartitionedTopicMetadata>(PARTITIONED_PREFIX + prefix);
    return entries.map(([key, meta]) => [key.slice(PARTITIONED_PREFIX.length), meta]);
  }
}

/** allowAutoTopicCreationType: what a PRODUCER, SUBSCRIBE or PARTITIONED_METADATA for a missing topic creates. */
export type AutoTopicCreationType = 'non-partitioned' | 'partitioned';

/** The broker's auto-creation settings (allowAutoTopicCreation, allowAutoTopicCreationType, defaultNumPartitions). */
export interface AutoTopicCreationDefaults {
  readonly allowAutoTopicCreation: boolean;
  readonly allowAutoTopicCreationType?: AutoTopicCreationType;
  readonly defaultNumPartitions?: number;
}

/** Pulsar's AutoTopicCreationOverride, the namespace policy `autoTopicCreationOverride`. */
export interface AutoTopicCreationOverride {
  readonly allowAutoTopicCreation: boolean;
  readonly topicType: AutoTopicCreationType;
  readonly defaultNumPartitions?: number;
}

/** What auto-creation does for one topic: whether it may, and how many partitions (0: non-partitioned). */
export interface AutoTopicCreation {
  readonly allowed: boolean;
  readonly partitions: number;
}

/**
 * The namespace's override when it has one, else the broker's settings
 * (BrokerService.isAllowAutoTopicCreation, isDefaultTopicTypePartitioned, getDefaultNumPartitions).
 */
export function autoTopicCreationFor(defaults: AutoTopicCreationDefaults, override: AutoTopicCreationOverride | undefined): AutoTopicCreation {
  if (override) {
    const partitioned = override.topicType === 'partitioned';
    return { allowed: override.allowAutoTopicCreation, partitions: partitioned ? Math.max(1, override.defaultNumPartitions ?? 1) : 0 };
  }
  const partitioned = defaults.allowAutoTopicCreationType === 'partitioned';
  return { allowed: defaults.allowAutoTopicCreation, partitions: partitioned ? Math.max(1, defaults.defaultNumPartitions ?? 1) : 0 };
}

/**
 * AutoTopicCreationOverrideImpl.validateOverride: an error message, or undefined when valid. The type and
 * partition count are only checked when creation is allowed.
 */
export function overrideProblem(override: AutoTopicCreationOverride): string | undefined {
  if (!override.allowAutoTopicCreation) return undefined;
  if (override.topicType !== 'partitioned' && override.topicType !== 'non-partitioned') return `Unknown topic type [${String(override.topicType ?? null)}]`;
  if (override.topicType === 'partitioned') {
    if (override.defaultNumPartitions === undefined || override.defaultNumPartitions === null) {
      return '[defaultNumPartitions] cannot be null when the type is partitioned.';
    }
    if (override.defaultNumPartitions <= 0) return '[defaultNumPartitions] cannot be less than 1 for partition type.';
  } else if (override.defaultNumPartitions !== undefined && override.defaultNumPartitions !== null) {
    return '[defaultNumPartitions] is not allowed to be set when the type of topic is non-partitioned';
  }
  return undefined;
}
