import { BrokerError } from '../errors.js';
import type { Logger } from '../config/logger.js';
import type { Storage } from '../storage/types.js';
import { delayedSpacePrefix } from '../subscription/delayed-index.js';
import { dedupSnapshotKey } from './deduplication.js';
import type { NamespaceStore } from './namespaces.js';
import { NonPersistentTopic } from './non-persistent-topic.js';
import {
  autoTopicCreationFor, PartitionedTopicStore, type AutoTopicCreation, type AutoTopicCreationDefaults, type AutoTopicCreationOverride,
} from './partitions.js';
import { Topic, terminatedKey, type TopicSettings } from './topic.js';
import type { TopicName } from './topic-name.js';
import { TopicListEvents } from './topic-list.js';
import { STANDALONE_TOPIC_POLICIES, topicPoliciesFrom, type TopicPolicies } from './topic-policies.js';

/** brokerDeleteInactiveTopicsFrequencySeconds=60. */
const INACTIVE_TOPIC_CHECK_MS = 60_000;

/** Loaded topics by name: get-or-create with one load per name, close, list (Pulsar's BrokerService topics map). */
export class TopicRegistry {
  private readonly topics = new Map<string, Promise<Topic>>();
  private readonly loaded = new Map<string, Topic>();
  private known: Set<string> | undefined;
  /** Topics being deleted or unloaded: a load of the same name waits until the old instance is gone. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** Non-persistent topics exist only in memory, while used (BrokerService keeps them in the same map). */
  private readonly nonPersistent = new Map<string, NonPersistentTopic>();
  readonly partitionedTopics: PartitionedTopicStore;
  /** Persistent topics appearing in or leaving a namespace, for topic-list watchers. */
  readonly topicListEvents = new TopicListEvents();

  constructor(
    private readonly storage: Storage,
    private readonly settings: TopicSettings & AutoTopicCreationDefaults,
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
      if (!(create && (explicit || (await this.autoCreationAllowed(name))))) {
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

  /** PRODUCER and SUBSCRIBE: a topic of either domain, created when missing if `create` and auto-creation allow. */
  getAnyTopic(name: TopicName, create: boolean): Promise<Topic | NonPersistentTopic> {
    return name.domain === 'persistent' ? this.getTopic(name, create) : this.getNonPersistentTopic(name, create);
  }

  /** A non-persistent topic lives in memory until it is idle (BrokerService.createNonPersistentTopic). */
  async getNonPersistentTopic(name: TopicName, create: boolean): Promise<NonPersistentTopic> {
    const existing = this.nonPersistent.get(name.full);
    if (existing) return existing;
    if (!(create && (await this.autoCreationAllowed(name)))) throw new BrokerError('TopicNotFound', `Topic ${name.full} does not exist`);
    this.checkNamespace(name);
    const raced = this.nonPersistent.get(name.full);
    if (raced) return raced;
    const topic = new NonPersistentTopic(name, this.settings.clock);
    this.nonPersistent.set(name.full, topic);
    this.collectWhenIdle(topic);
    return topic;
  }

  /** Closes a non-persistent topic (its clients are disconnected) and forgets it. */
  async dropNonPersistentTopic(name: TopicName): Promise<void> {
    const topic = this.nonPersistent.get(name.full);
    if (!topic) return;
    this.nonPersistent.delete(name.full);
    await topic.close();
  }

  /** A loaded non-persistent topic, if it is in use. */
  loadedNonPersistentTopic(fullName: string): NonPersistentTopic | undefined {
    return this.nonPersistent.get(fullName);
  }

  /** Loaded non-persistent topics of a namespace, partitions individually (NonPersistentTopics.getList). */
  nonPersistentTopicsOf(tenant: string, namespace: string): string[] {
    const prefix = `non-persistent://${tenant}/${namespace}/`;
    return [...this.nonPersistent.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  /**
   * Whether a missing topic may be created automatically, and partitioned how: the namespace's
   * autoTopicCreationOverride over the broker's settings. A partition of an existing partitioned topic
   * may always be created (BrokerService.getTopic creates partitions below the partition count).
   */
  async autoTopicCreation(name: TopicName): Promise<AutoTopicCreation> {
    const policies = await this.namespaces?.getPolicies(`${name.tenant}/${name.namespace}`);
    const override = policies?.autoTopicCreationOverride as AutoTopicCreationOverride | null | undefined;
    return autoTopicCreationFor(this.settings, override ?? undefined);
  }

  private async autoCreationAllowed(name: TopicName): Promise<boolean> {
    if (name.partitionIndex >= 0) {
      const meta = await this.partitionedTopics.get(name.baseName);
      if (meta && name.partitionIndex < meta.partitions) return true;
    }
    return (await this.autoTopicCreation(name)).allowed;
  }

  /**
   * PARTITIONED_METADATA for a missing topic when auto-creation makes partitioned topics: stores the
   * metadata with the default count and returns it; 0 when the topic is not to be partitioned
   * (BrokerService.fetchPartitionedTopicMetadataCheckAllowAutoCreationAsync). Partitions are created
   * by the producers and consumers that connect to them.
   */
  async createDefaultPartitioned(name: TopicName): Promise<number> {
    if (name.partitionIndex >= 0) return 0;
    const { allowed, partitions } = await this.autoTopicCreation(name);
    if (!allowed || partitions === 0) return 0;
    const existing = await this.partitionedTopics.get(name.full);
    if (existing) return existing.partitions;
    await this.partitionedTopics.put(name.full, { partitions });
    return partitions;
  }

  /** Topics currently loaded, for stats. */
  loadedTopics(): Topic[] {
    return [...this.loaded.values()];
  }

  async exists(fullName: string): Promise<boolean> {
    if (this.nonPersistent.has(fullName)) return true;
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
      if ((await this.knownTopics()).delete(name.full)) this.topicListEvents.emit(name.full, 'deleted');
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
      await this.storage.metadata.delete(terminatedKey(name.full));
    })();
    this.deleting.set(name.full, deletion);
    try {
      await deletion;
    } finally {
      if (this.deleting.get(name.full) === deletion) this.deleting.delete(name.full);
    }
  }

  /**
   * Closes a loaded topic so that its next use loads it again (the admin unload, NamespaceService.unloadTopic):
   * its producers and consumers get CLOSE_PRODUCER/CLOSE_CONSUMER and reconnect. False if it was not loaded.
   */
  async unloadTopic(name: TopicName): Promise<boolean> {
    const loading = this.topics.get(name.full);
    if (!loading) return false;
    this.topics.delete(name.full);
    this.loaded.delete(name.full);
    // Like a deletion, a load of the same name waits until the old instance has closed its ledger.
    const unload = loading.then((topic) => topic.close(), () => undefined);
    this.deleting.set(name.full, unload);
    try {
      await unload;
    } finally {
      if (this.deleting.get(name.full) === unload) this.deleting.delete(name.full);
    }
    return true;
  }

  async closeAll(): Promise<void> {
    const transient = [...this.nonPersistent.values()];
    this.nonPersistent.clear();
    await Promise.all(transient.map((topic) => topic.close()));
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
    const known = await this.knownTopics();
    if (!known.has(name.full)) {
      known.add(name.full);
      this.topicListEvents.emit(name.full, 'created');
    }
    this.logger.debug(`loaded topic ${name.full} with ${cursors.size} subscriptions`);
    const services = { metadata: this.storage.metadata, indexes: this.storage.indexes };
    const topic = new Topic(name, ledger, this.storage.cursors, this.settings, this.logger, cursors, services);
    try {
      await topic.applyPolicies(await this.policiesFor(name));
      await topic.recoverTermination();
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

  /**
   * Drops a non-persistent topic once it has been inactive for a whole check period: no producer, no
   * consumer and no subscription (NonPersistentTopic.isActive, checkGC; brokerDeleteInactiveTopicsEnabled,
   * brokerDeleteInactiveTopicsFrequencySeconds=60).
   */
  private collectWhenIdle(topic: NonPersistentTopic): void {
    const clock = this.settings.clock;
    if (!clock) return;
    let idleChecks = 0;
    const check = () => {
      if (this.nonPersistent.get(topic.name) !== topic) return;
      idleChecks = topic.usageCount() === 0 && topic.subscriptions.size === 0 ? idleChecks + 1 : 0;
      if (idleChecks >= 2) {
        this.nonPersistent.delete(topic.name);
        void topic.close();
        return;
      }
      clock.schedule(check, INACTIVE_TOPIC_CHECK_MS);
    };
    clock.schedule(check, INACTIVE_TOPIC_CHECK_MS);
  }

  private async knownTopics(): Promise<Set<string>> {
    if (!this.known) this.known = new Set(await this.storage.listLedgers());
    return this.known;
  }
}
