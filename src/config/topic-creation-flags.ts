import { defaultConfig, type BrokerConfig } from './config.js';

/** Command-line options for topic auto-creation (parseArgs spec). */
export const topicCreationOptions = {
  'auto-topic-creation-type': { type: 'string' },
  'default-num-partitions': { type: 'string' },
} as const;

export const topicCreationUsage = `
  --auto-topic-creation-type <t>      non-partitioned (default) or partitioned: what auto-creation makes
  --default-num-partitions <n>        partitions of an auto-created partitioned topic (default ${defaultConfig.defaultNumPartitions})`;

type Values = Partial<Record<keyof typeof topicCreationOptions, string | boolean>>;
type IntegerParser = (flag: string, value: string | undefined, fallback: number, min: number, max: number) => number;

const TYPES = ['non-partitioned', 'partitioned'] as const;

/** allowAutoTopicCreationType and defaultNumPartitions; `fail` reports a bad value and does not return. */
export function topicCreationConfig(values: Values, integer: IntegerParser, fail: (message: string) => never): Partial<BrokerConfig> {
  const raw = values['auto-topic-creation-type'];
  const type = typeof raw === 'string' ? raw : defaultConfig.allowAutoTopicCreationType;
  if (!(TYPES as readonly string[]).includes(type)) fail(`--auto-topic-creation-type must be one of ${TYPES.join(', ')}`);
  const partitions = values['default-num-partitions'];
  return {
    allowAutoTopicCreationType: type as BrokerConfig['allowAutoTopicCreationType'],
    // Bounded like the admin API's partition count (MAX_PARTITIONS in topic/partitions.ts).
    defaultNumPartitions: integer('--default-num-partitions', typeof partitions === 'string' ? partitions : undefined,
      defaultConfig.defaultNumPartitions, 1, 4096),
  };
}
