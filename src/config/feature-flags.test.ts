import { describe, expect, it } from 'vitest';
import { defaultConfig } from './config.js';
import { featureConfig } from './feature-flags.js';

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} out of range`);
  return n;
}
const fail = (message: string): never => {
  throw new Error(message);
};

describe('feature flags', () => {
  it('keeps Pulsar standalone defaults (batch-index acks on, as the issue asks) when no flag is given', () => {
    expect(featureConfig({}, integer, fail)).toMatchObject({
      acknowledgmentAtBatchIndexLevelEnabled: true, brokerDeduplicationEnabled: false, delayedDeliveryTickTimeMillis: 1000,
      maxUnackedMessagesPerConsumer: 50_000, maxUnackedMessagesPerSubscription: 200_000, ttlDurationDefaultInSeconds: 0,
      defaultRetentionTimeInMinutes: 0, defaultRetentionSizeInMB: 0, backlogQuotaDefaultLimitBytes: defaultConfig.backlogQuotaDefaultLimitBytes,
      backlogQuotaDefaultRetentionPolicy: 'producer_request_hold',
    });
  });

  it('maps each flag to its setting and refuses bad values', () => {
    expect(featureConfig({
      'no-batch-index-ack': true, deduplication: true, 'delayed-delivery-tick-ms': '250', 'retention-minutes': '-1',
      'backlog-quota-policy': 'producer_exception', 'message-ttl-seconds': '60',
    }, integer, fail)).toMatchObject({
      acknowledgmentAtBatchIndexLevelEnabled: false, brokerDeduplicationEnabled: true, delayedDeliveryTickTimeMillis: 250,
      defaultRetentionTimeInMinutes: -1, backlogQuotaDefaultRetentionPolicy: 'producer_exception', ttlDurationDefaultInSeconds: 60,
    });
    expect(() => featureConfig({ 'backlog-quota-policy': 'drop' }, integer, fail)).toThrow(/--backlog-quota-policy/);
    expect(() => featureConfig({ 'delayed-delivery-tick-ms': '0' }, integer, fail)).toThrow(/tick/);
  });
});
