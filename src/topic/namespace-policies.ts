/**
 * A namespace's Policies as Pulsar's GET /admin/v2/namespaces/{t}/{ns} shows them (field names and
 * defaults as Pulsar 4.0.7 standalone answers for a fresh namespace). Vela stores them; the ones it
 * acts on are read where they apply.
 */
export type Policies = Record<string, unknown>;

/** Pulsar's defaultNumberOfNamespaceBundles=4, split evenly over the 32-bit hash range. */
const DEFAULT_BUNDLES = {
  boundaries: ['0x00000000', '0x40000000', '0x80000000', '0xc0000000', '0xffffffff'],
  numBundles: 4,
};

export function defaultPolicies(clusterName: string): Policies {
  return {
    auth_policies: { namespace_auth: {}, destination_auth: {}, subscription_auth_roles: {} },
    replication_clusters: [clusterName],
    allowed_clusters: [],
    bundles: DEFAULT_BUNDLES,
    backlog_quota_map: {},
    clusterDispatchRate: {},
    topicDispatchRate: {},
    subscriptionDispatchRate: {},
    replicatorDispatchRate: {},
    clusterSubscribeRate: {},
    publishMaxMessageRate: {},
    latency_stats_sample_rate: {},
    deleted: false,
    encryption_required: false,
    subscription_auth_mode: 'None',
    offload_threshold: -1,
    offload_threshold_in_seconds: -1,
    schema_compatibility_strategy: 'UNDEFINED',
    is_allow_auto_update_schema: true,
    schema_validation_enforced: false,
    subscription_types_enabled: [],
    properties: {},
    migrated: false,
  };
}
