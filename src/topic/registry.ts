import { BrokerError } from '../errors.js';
import type { Logger } from '../config/logger.js';
import type { Storage } from '../storage/types.js';
import { delayedSpacePrefix } from '../subscription/delayed-index.js';
import { dedupSnapshotKey } from './deduplication.js';
import type { NamespaceStore } from './namespaces.js';
import { PartitionedTopicStore } from './partitions.js';
import { Topic, type TopicSettings } from './topic.js';
import type { TopicName } from './topic-name.js';
import { STANDALONE_TOPIC_POLICIES, topicPoliciesFrom, type TopicPolicies } from './topic-policies.js';

/** Loaded topics by name: get-or-create with one load per name, close, list (Pulsar's BrokerService topics map). */
export class TopicRegistry {
  private readonly topics = new Map<string, Promise<Topic>>();
  private readonly loaded = new Map<string, Topic>();
  private known: Set<string> | undefined;
  /** Topics being deleted: a load of the same name waits until the old data is gone. */
  private readonly deleting = new Map<string, Promise<void>>();
  readonly partitionedTopics: PartitionedTopicStore;

  constructor(
    private readonly storage: Storage,
    private readonly settings: TopicSettings & { allowAutoTopicCreation: boolean },
    private readonly logger: Logger,
    /** When given, topics are only created in existing namespaces (the broker passes it; unit tests may not). */
    readonly namespaces?: NamespaceStore,
  ) {
    this.partitionedTopics = new PartitionedTopicStore(storage.metadata);
  }

  /**
   * Loads (or, when allowed, creates) a persistent topic. `explicit` is an admin create, which
   * ignores allowAutoTopicCreation.
   */
  async getTopic(name: TopicName, create: boolean, explicit = false): Promise<Topic> {
    if (name.domain !== 'persistent') {
      throw new BrokerError('NotAllowedError', 'Non-persistent topics are not supported by this broker yet');
    }
    await this.deleting.get(name.full)?.catch(() => undefined);
    const loading = this.topics.get(name.full);
    if (loading) return loading;
    if (!(await this.exists(name.full))) {
      if (!(create && (explicit || this.settings.allowAutoTopicCreation))) {
        throw new BrokerError('TopicNotFound', `Topic ${name.full} does not exist`);
      }
      this.checkNamespace(name);
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
    const meta = await this.partitionedTopics.get(name.full);
    return meta?.partitions ?? 0;
  }

  /**
   * A topic in a namespace that does not exist is TopicNotFound "Namespace not found", as Pulsar 4.0.7
   * answers LOOKUP and PARTITIONED_METADATA (PulsarWebResource.checkLocalOrGetPeerReplicationCluster).
   */
  checkNamespace(name: TopicName): void {
    if (this.namespaces && !this.namespaces.exists(`${name.tenant}/${name.namespace}`)) {
      throw new BrokerError('TopicNotFound', 'Namespace not found');
    }
  }

  async isPartitioned(name: TopicName): Promise<boolean> {
    return (await this.partitions(name)) > 0;
  }

  /**
   * Every persistent topic that exists in a namespace: partitions are listed individually and only
   * when they exist as topics, as Pulsar lists managed ledgers (NamespaceService.getListOfPersistentTopics).
   */
  async topicsOfNamespace(tenant: string, namespace: string): Promise<string[]> {
    const prefix = `persistent://${tenant}/${namespace}/`;
    const names = new Set<string>();
    for (const name of await this.knownTopics()) if (name.startsWith(prefix)) names.add(name);
    for (const name of this.topics.keys()) if (name.startsWith(prefix)) names.add(name);
    return [...names].sort();
  }

  /**
   * Deletes a topic and its data. Its clients are disconnected first (they may reconnect and
   * auto-create it again, as with Pulsar's forced delete); cursors are not saved on the way out.
   */
  async deleteTopic(name: TopicName): Promise<void> {
    const previous = this.deleting.get(name.full)?.catch(() => undefined);
    // Registered before the first await, so a concurrent load of the name waits for it.
    const deletion = (async () => {
      await previous;
      const loading = this.topics.get(name.full);
      this.topics.delete(name.full);
      this.loaded.delete(name.full);
      (await this.knownTopics()).delete(name.full);
      const topic = await loading?.catch(() => undefined);
      if (topic) {
        for (const subscription of topic.subscriptions.values()) subscription.deleted = true;
        await topic.close();
      }
      const ledger = await this.storage.openLedger(name.full);
      await ledger.delete();
      await this.storage.cursors.removeTopic(name.full);
      await this.storage.indexes.removeSpaces(delayedSpacePrefix(name.full));
      await this.storage.metadata.delete(dedupSnapshotKey(name.full));
    })();
    this.deleting.set(name.full, deletion);
    try {
      await deletion;
    } finally {
      if (this.deleting.get(name.full) === deletion) this.deleting.delete(name.full);
    }
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
    const services = { metadata: this.storage.metadata, indexes: this.storage.indexes };
    const topic = new Topic(name, ledger, this.storage.cursors, this.settings, this.logger, cursors, services);
    try {
      await topic.applyPolicies(await this.policiesFor(name));
    } catch (error) {
      // Pulsar does not load a topic whose deduplication state cannot be recovered; a later load retries.
      await topic.close().catch(() => undefined);
      throw error;
    }
    this.loaded.set(name.full, topic);
    return topic;
  }

  /** The namespace's policies over the broker's defaults. */
  async policiesFor(name: TopicName): Promise<TopicPolicies> {
    const defaults = this.settings.defaultPolicies ?? STANDALONE_TOPIC_POLICIES;
    return topicPoliciesFrom(defaults, await this.namespaces?.getPolicies(`${name.tenant}/${name.namespace}`));
  }

  /** After a namespace's policies changed (or periodically): loaded topics take them on. */
  async refreshPolicies(namespace?: string): Promise<void> {
    for (const topic of this.loadedTopics()) {
      const { tenant, namespace: ns } = topic.topicName;
      if (namespace !== undefined && `${tenant}/${ns}` !== namespace) continue;
      await topic.applyPolicies(await this.policiesFor(topic.topicName)).catch((error: unknown) => {
        this.logger.warn(`applying policies to ${topic.name} failed`, error);
      });
    }
  }

  private async knownTopics(): Promise<Set<string>> {
    if (!this.known) this.known = new Set(await this.storage.listLedgers());
    return this.known;
  }
}
