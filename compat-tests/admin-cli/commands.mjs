// The admin-cli column's scenarios: for each, the pulsar-admin (and pulsar-client) commands it runs, in order.
// {R} is the run id, {T} the scenario's topic, {NS} the scenario's namespace (created by the suite in the run's
// tenant). Each command's output is normalised (normalise.mjs) and compared with what Apache Pulsar 4.0.7
// printed, recorded in expected/<scenario>.json (`COMPAT_ADMIN_CLI_RECORD=1 node run.mjs --reference …`).
//
// A command is { sleepMs } (a pause) or { args, tool?: 'admin' | 'client', check?: 'text' | 'exit' | 'json', pick?: [paths], only?: regex }:
//   text  the normalised stdout and stderr (the default);
//   exit  only the exit code (output that differs between any two brokers, such as a producer's log);
//   json  stdout parsed as JSON, reduced to `pick` paths (a.b.c, '*' for every key, a trailing '~' keeps the key
//         but masks the value: present, any value).
//   only  keep only the output lines that match (lists that other scenarios running at the same time add to).

const topicStatsPick = [
  'msgInCounter', 'bytesInCounter~', 'msgOutCounter', 'storageSize~', 'publishers', 'deduplicationStatus',
  'subscriptions.*.msgBacklog', 'subscriptions.*.type', 'subscriptions.*.isDurable', 'subscriptions.*.consumers',
];
const internalStatsPick = [
  'entriesAddedCounter', 'numberOfEntries', 'totalSize~', 'lastConfirmedEntry', 'state', 'ledgers.0.ledgerId~', 'ledgers.0.offloaded',
  'cursors.*.markDeletePosition', 'cursors.*.individuallyDeletedMessages', 'cursors.*.messagesConsumedCounter', 'cursors.*.state',
  'cursors.*.active', 'schemaLedgers', 'compactedLedger',
];

export const SCENARIOS = {
  'admin-cli-tenants-clusters': [
    { args: ['clusters', 'list'] },
    { args: ['brokers', 'healthcheck'] },
    { args: ['tenants', 'create', 'cli-{R}-t', '--allowed-clusters', 'standalone'] },
    { args: ['tenants', 'create', 'cli-{R}-t', '--allowed-clusters', 'standalone'] },
    { args: ['tenants', 'list'], only: 'cli-{R}' },
    { args: ['tenants', 'get', 'cli-{R}-t'], check: 'json', pick: ['adminRoles', 'allowedClusters'] },
    { args: ['tenants', 'get', 'cli-{R}-none'] },
    { args: ['tenants', 'delete', 'cli-{R}-t'] },
    { args: ['tenants', 'delete', 'cli-{R}-t'] },
  ],
  'admin-cli-namespaces': [
    { args: ['tenants', 'create', 'cli-{R}', '--allowed-clusters', 'standalone'] },
    { args: ['namespaces', 'create', 'cli-{R}/ns1'] },
    { args: ['namespaces', 'create', 'cli-{R}/ns1'] },
    { args: ['namespaces', 'list', 'cli-{R}'] },
    { args: ['namespaces', 'policies', 'cli-{R}/ns1'], check: 'json', pick: ['bundles.numBundles', 'replication_clusters', 'deleted'] },
    { args: ['namespaces', 'set-retention', 'cli-{R}/ns1', '--time', '10m', '--size', '20M'] },
    { args: ['namespaces', 'get-retention', 'cli-{R}/ns1'], check: 'json', pick: ['retentionTimeInMinutes', 'retentionSizeInMB'] },
    { args: ['namespaces', 'set-message-ttl', 'cli-{R}/ns1', '--messageTTL', '120'] },
    { args: ['namespaces', 'get-message-ttl', 'cli-{R}/ns1'] },
    { args: ['namespaces', 'set-deduplication', 'cli-{R}/ns1', '--enable'] },
    { args: ['namespaces', 'get-deduplication', 'cli-{R}/ns1'] },
    { args: ['namespaces', 'delete', 'cli-{R}/ns1'] },
    { args: ['namespaces', 'get-retention', 'cli-{R}/ns1'] },
    { args: ['tenants', 'delete', 'cli-{R}'] },
  ],
  'admin-cli-topics-lifecycle': [
    { args: ['topics', 'create', '{T}'] },
    { args: ['topics', 'create', '{T}'] },
    { args: ['topics', 'create-partitioned-topic', '{T}-p', '-p', '2'] },
    { args: ['topics', 'update-partitioned-topic', '{T}-p', '-p', '3'] },
    { args: ['topics', 'get-partitioned-topic-metadata', '{T}-p'], check: 'json', pick: ['partitions'] },
    { args: ['topics', 'list-partitioned-topics', '{NS}'], only: '{R}' },
    { args: ['topics', 'list', '{NS}'], only: '{T}$' },
    { args: ['topics', 'delete', '{T}'] },
    { args: ['topics', 'delete', '{T}'] },
    { args: ['topics', 'delete-partitioned-topic', '{T}-p'] },
    { args: ['topics', 'get-partitioned-topic-metadata', '{T}-p'], check: 'json', pick: ['partitions'] },
  ],
  'admin-cli-topics-stats': [
    { args: ['topics', 'create', '{T}'] },
    { args: ['topics', 'create-subscription', '{T}', '-s', 'sub1', '-m', 'earliest'] },
    { tool: 'client', args: ['produce', '{T}', '-m', 'hello', '-n', '3'], check: 'exit' },
    { args: ['topics', 'stats', '{T}'], check: 'json', pick: topicStatsPick },
    { args: ['topics', 'stats-internal', '{T}'], check: 'json', pick: internalStatsPick },
    { args: ['topics', 'last-message-id', '{T}'], check: 'json', pick: ['entryId', 'partitionIndex', 'batchIndex'] },
    { args: ['topics', 'create-partitioned-topic', '{T}-p', '-p', '2'] },
    { tool: 'client', args: ['produce', '{T}-p', '-m', 'x', '-n', '4'], check: 'exit' },
    { args: ['topics', 'partitioned-stats', '{T}-p'], check: 'json', pick: ['msgInCounter', 'metadata', 'partitions.*.msgInCounter'] },
    { args: ['topics', 'stats-internal', '{T}-none'] },
  ],
  'admin-cli-subscriptions': [
    { args: ['topics', 'create', '{T}'] },
    { args: ['topics', 'create-subscription', '{T}', '-s', 'a', '-m', 'earliest'] },
    { args: ['topics', 'create-subscription', '{T}', '-s', 'b', '-m', 'latest'] },
    { args: ['topics', 'create-subscription', '{T}', '-s', 'a'] },
    { tool: 'client', args: ['produce', '{T}', '-m', 'm', '-n', '5'], check: 'exit' },
    { args: ['topics', 'subscriptions', '{T}'] },
    { args: ['topics', 'skip', '{T}', '-s', 'a', '-n', '2'] },
    { args: ['topics', 'stats', '{T}'], check: 'json', pick: ['subscriptions.*.msgBacklog'] },
    { args: ['topics', 'clear-backlog', '{T}', '-s', 'a'] },
    { args: ['topics', 'reset-cursor', '{T}', '-s', 'b', '-t', '1h'] },
    { args: ['topics', 'stats', '{T}'], check: 'json', pick: ['subscriptions.*.msgBacklog'] },
    { args: ['topics', 'expire-messages', '{T}', '-s', 'b', '-t', '1h'] },
    // a TTL of 0 expires nothing (MessageImpl.isEntryExpired), but the request is issued
    { args: ['topics', 'expire-messages', '{T}', '-s', 'b', '-t', '0'] },
    // not issued for 'a', which has no backlog: 409
    { args: ['topics', 'expire-messages-all-subscriptions', '{T}', '-t', '0'] },
    { sleepMs: 1500 },
    { args: ['topics', 'expire-messages', '{T}', '-s', 'b', '-t', '1'] },
    { sleepMs: 1000 },
    { args: ['topics', 'stats', '{T}'], check: 'json', pick: ['subscriptions.*.msgBacklog'] },
    { args: ['topics', 'unsubscribe', '{T}', '-s', 'b'] },
    { args: ['topics', 'subscriptions', '{T}'] },
    { args: ['topics', 'skip', '{T}', '-s', 'none', '-n', '1'] },
  ],
  'admin-cli-messages': [
    { args: ['topics', 'create', '{T}'] },
    { args: ['topics', 'create-subscription', '{T}', '-s', 's', '-m', 'earliest'] },
    { tool: 'client', args: ['produce', '{T}', '-m', 'first,second,third', '-s', ','], check: 'exit' },
    { args: ['topics', 'peek-messages', '{T}', '-s', 's', '-n', '2'] },
    { args: ['topics', 'peek-messages', '{T}', '-s', 's', '-n', '5'] },
    { args: ['topics', 'examine-messages', '{T}'] },
    { args: ['topics', 'examine-messages', '{T}', '-i', 'earliest', '-m', '2'] },
    { args: ['topics', 'get-message-by-id', '{T}', '-l', '{LEDGER}', '-e', '0'] },
    { args: ['topics', 'get-message-by-id', '{T}', '-l', '999999', '-e', '0'] },
  ],
  'admin-cli-schemas': [
    { args: ['topics', 'create', '{T}'] },
    { args: ['schemas', 'get', '{T}'] },
    { args: ['schemas', 'upload', '{T}', '-f', '{FILE:schema-json.json}'] },
    { args: ['schemas', 'get', '{T}'], check: 'json', pick: ['version', 'schemaInfo.name', 'schemaInfo.type', 'schemaInfo.schema', 'schemaInfo.properties'] },
    { args: ['schemas', 'delete', '{T}'] },
    { args: ['schemas', 'get', '{T}'] },
  ],
  'admin-cli-terminate-unload': [
    { args: ['topics', 'create', '{T}'] },
    { args: ['topics', 'create-subscription', '{T}', '-s', 's', '-m', 'earliest'] },
    { tool: 'client', args: ['produce', '{T}', '-m', 'm', '-n', '2'], check: 'exit' },
    { args: ['topics', 'terminate', '{T}'] },
    { args: ['topics', 'terminate', '{T}'] },
    { tool: 'client', args: ['produce', '{T}', '-m', 'late', '-n', '1'], check: 'exit' },
    { args: ['topics', 'stats-internal', '{T}'], check: 'json', pick: ['state', 'numberOfEntries', 'lastConfirmedEntry'] },
    { args: ['topics', 'unload', '{T}'] },
    { args: ['topics', 'stats-internal', '{T}'], check: 'json', pick: ['state', 'numberOfEntries', 'lastConfirmedEntry'] },
    { args: ['topics', 'create-partitioned-topic', '{T}-p', '-p', '2'] },
    { args: ['topics', 'terminate', '{T}-p'] },
    { args: ['topics', 'partitioned-terminate', '{T}-p'] },
    { args: ['topics', 'unload', '{T}-none'] },
  ],
};
