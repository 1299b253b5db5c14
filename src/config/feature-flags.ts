import { defaultConfig, type BrokerConfig } from './config.js';

/** Command-line options for retries, time and exactly-once features (parseArgs spec). */
export const featureOptions = {
  'batch-index-ack': { type: 'boolean' },
  'no-batch-index-ack': { type: 'boolean' },
  deduplication: { type: 'boolean' },
  'delayed-delivery-tick-ms': { type: 'string' },
  'max-unacked-per-consumer': { type: 'string' },
  'max-unacked-per-subscription': { type: 'string' },
  'message-ttl-seconds': { type: 'string' },
  'retention-minutes': { type: 'string' },
  'retention-size-mb': { type: 'string' },
  'backlog-quota-bytes': { type: 'string' },
  'backlog-quota-seconds': { type: 'string' },
  'backlog-quota-policy': { type: 'string' },
} as const;

export const featureUsage = `
  --batch-index-ack          honour batch-index acks (ack_set) (default); --no-batch-index-ack ignores them like Pulsar 4.0
  --deduplication            producer deduplication on every namespace without its own setting (default off)
  --delayed-delivery-tick-ms <n>      delayed-delivery tick (default ${defaultConfig.delayedDeliveryTickTimeMillis})
  --max-unacked-per-consumer <n>      Shared/Key_Shared consumer limit (default ${defaultConfig.maxUnackedMessagesPerConsumer}; 0 = none)
  --max-unacked-per-subscription <n>  Shared/Key_Shared subscription limit (default ${defaultConfig.maxUnackedMessagesPerSubscription}; 0 = none)
  --message-ttl-seconds <n>  default message TTL (default 0 = none)
  --retention-minutes <n>    default retention time of acknowledged messages (default 0; -1 = forever)
  --retention-size-mb <n>    default retention size (default 0; -1 = no limit)
  --backlog-quota-bytes <n>  default backlog quota size (default ${defaultConfig.backlogQuotaDefaultLimitBytes}; -1 = none)
  --backlog-quota-seconds <n>         default backlog quota age (default -1 = none)
  --backlog-quota-policy <p> producer_request_hold (default), producer_exception or consumer_backlog_eviction`;

type Values = Partial<Record<keyof typeof featureOptions, string | boolean>>;
type IntegerParser = (flag: string, value: string | undefined, fallback: number, min: number, max: number) => number;

const POLICIES = ['producer_request_hold', 'producer_exception', 'consumer_backlog_eviction'] as const;

/** The config fields the feature options set; `fail` reports a bad value and does not return. */
export function featureConfig(values: Values, integer: IntegerParser, fail: (message: string) => never): Partial<BrokerConfig> {
  const d = defaultConfig;
  const str = (key: keyof typeof featureOptions) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const policy = str('backlog-quota-policy') ?? d.backlogQuotaDefaultRetentionPolicy;
  if (!(POLICIES as readonly string[]).includes(policy)) fail(`--backlog-quota-policy must be one of ${POLICIES.join(', ')}`);
  const max = Number.MAX_SAFE_INTEGER;
  return {
    acknowledgmentAtBatchIndexLevelEnabled: values['no-batch-index-ack'] ? false : d.acknowledgmentAtBatchIndexLevelEnabled,
    brokerDeduplicationEnabled: values.deduplication === true,
    delayedDeliveryTickTimeMillis: integer('--delayed-delivery-tick-ms', str('delayed-delivery-tick-ms'), d.delayedDeliveryTickTimeMillis, 1, 3_600_000),
    maxUnackedMessagesPerConsumer: integer('--max-unacked-per-consumer', str('max-unacked-per-consumer'), d.maxUnackedMessagesPerConsumer, 0, max),
    maxUnackedMessagesPerSubscription: integer('--max-unacked-per-subscription', str('max-unacked-per-subscription'),
      d.maxUnackedMessagesPerSubscription, 0, max),
    ttlDurationDefaultInSeconds: integer('--message-ttl-seconds', str('message-ttl-seconds'), d.ttlDurationDefaultInSeconds, 0, max),
    defaultRetentionTimeInMinutes: integer('--retention-minutes', str('retention-minutes'), d.defaultRetentionTimeInMinutes, -1, max),
    defaultRetentionSizeInMB: integer('--retention-size-mb', str('retention-size-mb'), d.defaultRetentionSizeInMB, -1, max),
    backlogQuotaDefaultLimitBytes: integer('--backlog-quota-bytes', str('backlog-quota-bytes'), d.backlogQuotaDefaultLimitBytes, -1, max),
    backlogQuotaDefaultLimitSecond: integer('--backlog-quota-seconds', str('backlog-quota-seconds'), d.backlogQuotaDefaultLimitSecond, -1, max),
    backlogQuotaDefaultRetentionPolicy: policy as BrokerConfig['backlogQuotaDefaultRetentionPolicy'],
  };
}
