import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { SubType } from '../protocol/wire-types.js';
import { featureEntry, openFeatureTopic, subscribeTo, turns, type FeatureHarness } from '../test-support/topic-harness.js';
import { defaultConfig } from '../config/config.js';
import { Housekeeping, housekeepingIntervals, MAX_MESSAGE_EXPIRY_INTERVAL_MS } from './housekeeping.js';
import { STANDALONE_TOPIC_POLICIES } from './topic-policies.js';

let h: FeatureHarness | undefined;
let keeper: Housekeeping | undefined;
afterEach(async () => {
  keeper?.stop();
  await h?.close();
  h = undefined;
});

describe('housekeepingIntervals', () => {
  it('checks message expiry at least every minute, as often as configured below that, never when 0', () => {
    expect(housekeepingIntervals(defaultConfig).messageExpiryMs).toBe(MAX_MESSAGE_EXPIRY_INTERVAL_MS);
    expect(MAX_MESSAGE_EXPIRY_INTERVAL_MS).toBe(60_000);
    expect(housekeepingIntervals({ ...defaultConfig, messageExpiryCheckIntervalInMinutes: 0.5 }).messageExpiryMs).toBe(30_000);
    expect(housekeepingIntervals({ ...defaultConfig, messageExpiryCheckIntervalInMinutes: 0 }).messageExpiryMs).toBe(0);
    expect(housekeepingIntervals(defaultConfig).backlogQuotaMs).toBe(60_000);
  });
});

describe('Housekeeping', () => {
  it('expires messages on its interval and stops when told', async () => {
    h = await openFeatureTopic();
    const { subscription } = await subscribeTo(h.topic, SubType.Exclusive, 1);
    await h.topic.publish(featureEntry({ sequenceId: 0, publishTimeMs: h.clock.now() }), 1);
    await h.topic.applyPolicies({ ...STANDALONE_TOPIC_POLICIES, messageTtlSeconds: 60 });
    keeper = new Housekeeping(h.registry, h.clock, { messageExpiryMs: 300_000, retentionMs: 0, backlogQuotaMs: 0, deduplicationMs: 0 }, silentLogger);
    keeper.start();
    h.clock.advance(300_000);
    await turns(10);
    expect(subscription.cursor.backlogEntries()).toBe(0);
    expect(subscription.msgExpiredCounter).toBe(1);
    keeper.stop();
    expect(h.clock.pendingTimers()).toBeLessThanOrEqual(1);
  });
});
