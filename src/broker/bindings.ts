import type { Position } from '../storage/types.js';
import type { Consumer } from '../subscription/consumer.js';
import type { AckSetOf, Subscription } from '../subscription/subscription.js';
import type { NonPersistentTopic } from '../topic/non-persistent-topic.js';
import type { ProducerHandle } from '../topic/producer.js';
import type { Topic } from '../topic/topic.js';
import type { TopicName } from '../topic/topic-name.js';

/** A producer as its connection knows it. */
export interface ProducerBinding extends ProducerHandle {
  readonly topic: Topic | NonPersistentTopic;
  /** Settles after the latest publish: errors are answered behind earlier receipts, in order. */
  tail: Promise<unknown>;
}

/** What the consumer commands call on a subscription, persistent (Subscription) or not (NonPersistentSubscription). */
export interface BoundSubscription {
  readonly name: string;
  consumers(): readonly Consumer[];
  flow(consumer: Consumer, permits: number): void;
  notify(): void;
  ack(consumer: Consumer, ackType: number, positions: Position[], ackSets?: readonly AckSetOf[]): void;
  redeliver(consumer: Consumer, positions: Position[] | undefined): void;
  flushForReceipt(): Promise<void>;
}

/** What the consumer commands call on a topic, persistent (Topic) or not (NonPersistentTopic). */
export interface BoundTopic {
  readonly name: string;
  readonly topicName: TopicName;
  unsubscribeConsumer(subscription: BoundSubscription, consumer: Consumer): Promise<void>;
  deleteSubscription(subscription: BoundSubscription, consumer: Consumer | undefined): Promise<void>;
  scheduleTrim(): void;
}

/**
 * A consumer as its connection knows it. `topic` and `subscription` are both persistent or both
 * non-persistent; commands that need a cursor check for Topic first (handlers/consumer.ts).
 */
export interface ConsumerBinding {
  readonly topic: BoundTopic;
  readonly subscription: BoundSubscription;
  readonly consumer: Consumer;
}

/** The persistent topic and subscription of a binding, undefined for a non-persistent one. */
export interface PersistentBinding {
  readonly topic: Topic;
  readonly subscription: Subscription;
}
