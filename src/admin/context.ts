import type { SchemaRegistry } from '../schema/registry.js';
import type { NamespaceStore } from '../topic/namespaces.js';
import type { TopicRegistry } from '../topic/registry.js';

/** What the admin HTTP side reads and changes: the registry and namespaces, never sockets. */
export interface AdminContext {
  readonly registry: TopicRegistry;
  readonly namespaces: NamespaceStore;
  readonly schemas: SchemaRegistry;
  readonly clusterName: string;
  readonly version: string;
  /** allowAutoTopicCreation, for GET …/partitions?checkAllowAutoCreation=true. */
  readonly allowAutoTopicCreation: boolean;
  brokerServiceUrl(): string;
  webServiceUrl(): string;
  metrics(): string;
}
