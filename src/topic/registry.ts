import { BrokerError } from '../errors.js';
import type { Logger } from '../config/logger.js';
import type { Storage } from '../storage/types.js';
import { Topic, type TopicSettings } from './topic.js';
import { partitionName, type TopicName } from './topic-name.js';

export interface PartitionedTopicMetadata {
  readonly partitions: number;
}

const PARTITIONED_PREFIX = 'partitioned-topic/';

/** Loaded topics by name: get-or-create with one load per name, close, list (Pulsar's BrokerService topics map). */
export class TopicRegistry {
  private readonly topics = new Map<string, Promise<Topic>>();
  private readonly loaded = new Map<string, Topic>();
  private known: Set<string> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly settings: TopicSettings & { allowAutoTopicCreation: boolean },
    private readonly logger: Logger,
  ) {}

  /** Loads (or, when allowed, creates) a persistent topic. */
  async getTopic(name: TopicName, create: boolean): Promise<Topic> {
    if (name.domain !== 'persistent') {
      throw new BrokerError('NotAllowedError', 'Non-persistent topics are not supported by this broker yet');
    }
    const loading = this.topics.get(name.full);
    if (loading) return loading;
    if (!(await this.exists(name.full)) && !(create && this.settings.allowAutoTopicCreation)) {
      throw new BrokerError('TopicNotFound', `Topic ${name.full} does not exist`);
    }
    const existing = this.topics.get(name.full);
    if (existing) return existing;
    const load = this.load(name);
    this.topics.set(name.full, load);
    load.catch(() => this.topics.delete(name.full));
    return load;
  }

  /** Topics currently loaded, for stats. */
  loadedTopics(): Topic[] {
    return [...this.loaded.values()];
  }

  async exists(fullName: string): Promise<boolean> {
    return this.topics.has(fullName) || (await this.knownTopics()).has(fullName);
  }

  /** Partition count of a partitioned topic, 0 for a non-partitioned or missing one. */
  async partitions(name: TopicName): Promise<number> {
    if (name.partitionIndex >= 0) return 0;
    const meta = await this.storage.metadata.get<PartitionedTopicMetadata>(PARTITIONED_PREFIX + name.full);
    return meta?.partitions ?? 0;
  }

  async isPartitioned(name: TopicName): Promise<boolean> {
    return (await this.partitions(name)) > 0;
  }

  /** Every persistent topic name in a namespace (partitions listed individually, as Pulsar does). */
  async topicsOfNamespace(tenant: string, namespace: string): Promise<string[]> {
    const prefix = `persistent://${tenant}/${namespace}/`;
    const names = new Set<string>();
    for (const name of await this.knownTopics()) if (name.startsWith(prefix)) names.add(name);
    for (const name of this.topics.keys()) if (name.startsWith(prefix)) names.add(name);
    for (const [key, meta] of await this.storage.metadata.list<PartitionedTopicMetadata>(PARTITIONED_PREFIX + prefix)) {
      const base = key.slice(PARTITIONED_PREFIX.length);
      for (let i = 0; i < meta.partitions; i++) names.add(partitionName(base, i));
    }
    return [...names].sort();
  }

  async closeAll(): Promise<void> {
    const loaded = [...this.topics.values()];
    this.topics.clear();
    this.loaded.clear();
    await Promise.all(loaded.map(async (load) => {
      try {
        await (await load).close();
      } catch (error) {
        this.logger.error('closing topic failed', error);
      }
    }));
  }

  private async load(name: TopicName): Promise<Topic> {
    const ledger = await this.storage.openLedger(name.full);
    const cursors = await this.storage.cursors.load(name.full);
    (await this.knownTopics()).add(name.full);
    this.logger.debug(`loaded topic ${name.full} with ${cursors.size} subscriptions`);
    const topic = new Topic(name, ledger, this.storage.cursors, this.settings, this.logger, cursors);
    this.loaded.set(name.full, topic);
    return topic;
  }

  private async knownTopics(): Promise<Set<string>> {
    if (!this.known) this.known = new Set(await this.storage.listLedgers());
    return this.known;
  }
}
