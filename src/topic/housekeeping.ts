import type { Clock, TimerHandle } from '../clock.js';
import type { BrokerConfig } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { TopicRegistry } from './registry.js';
import { enforceBacklogQuota, expireMessages } from './topic-upkeep.js';

export interface HousekeepingIntervals {
  /** messageExpiryCheckIntervalInMinutes, in ms, at most MAX_MESSAGE_EXPIRY_INTERVAL_MS. */
  readonly messageExpiryMs: number;
  /** retentionCheckIntervalInSeconds, in ms. */
  readonly retentionMs: number;
  /** backlogQuotaCheckIntervalInSeconds, in ms. */
  readonly backlogQuotaMs: number;
  /** How often deduplication checks for a time-based snapshot and long-gone producers. */
  readonly deduplicationMs: number;
}

/**
 * The longest wait between two message-expiry rounds. Pulsar's standalone default is 5 minutes
 * (messageExpiryCheckIntervalInMinutes=5), but it promises only that a message goes some time after its
 * TTL, never when: checking every minute changes no outcome a client may rely on, keeps an expired backlog
 * from lingering, and matches the reference broker of the conformance suite (set to 1 minute there).
 */
export const MAX_MESSAGE_EXPIRY_INTERVAL_MS = 60_000;

export function housekeepingIntervals(config: BrokerConfig): HousekeepingIntervals {
  return {
    messageExpiryMs: Math.min(config.messageExpiryCheckIntervalInMinutes * 60_000, MAX_MESSAGE_EXPIRY_INTERVAL_MS),
    retentionMs: config.retentionCheckIntervalInSeconds * 1000,
    backlogQuotaMs: config.backlogQuotaCheckIntervalInSeconds * 1000,
    // Pulsar's brokerDeduplicationSnapshotFrequencyInSeconds=120.
    deduplicationMs: 120_000,
  };
}

/**
 * The broker's periodic work over loaded topics (Pulsar's BrokerService monitors): message expiry,
 * retention trimming, backlog quota enforcement, deduplication snapshots. Each job reschedules itself
 * after it finished, so a slow round never overlaps the next.
 */
export class Housekeeping {
  private readonly timers = new Map<string, TimerHandle>();
  private stopped = false;

  constructor(
    private readonly registry: TopicRegistry,
    private readonly clock: Clock,
    private readonly intervals: HousekeepingIntervals,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.every('message expiry', this.intervals.messageExpiryMs, async (topic) => void (await expireMessages(topic)));
    this.every('retention', this.intervals.retentionMs, async (topic) => topic.scheduleTrim());
    this.every('backlog quota', this.intervals.backlogQuotaMs, (topic) => enforceBacklogQuota(topic));
    this.every('deduplication', this.intervals.deduplicationMs, async (topic) => topic.deduplication?.housekeeping());
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  private every(name: string, intervalMs: number, job: (topic: ReturnType<TopicRegistry['loadedTopics']>[number]) => Promise<unknown>): void {
    if (intervalMs <= 0) return;
    const run = async () => {
      for (const topic of this.registry.loadedTopics()) {
        if (this.stopped) return;
        await job(topic).catch((error: unknown) => this.logger.warn(`${name} check of ${topic.name} failed`, error));
      }
      if (!this.stopped) this.timers.set(name, this.clock.schedule(() => void run(), intervalMs));
    };
    this.timers.set(name, this.clock.schedule(() => void run(), intervalMs));
  }
}
