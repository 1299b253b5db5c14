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
