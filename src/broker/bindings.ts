import type { Consumer } from '../subscription/consumer.js';
import type { Subscription } from '../subscription/subscription.js';
import type { ProducerHandle } from '../topic/producer.js';
import type { Topic } from '../topic/topic.js';

/** A producer as its connection knows it. */
export interface ProducerBinding extends ProducerHandle {
  readonly topic: Topic;
  /** Settles after the latest publish: errors are answered behind earlier receipts, in order. */
  tail: Promise<unknown>;
}

/** A consumer as its connection knows it. */
export interface ConsumerBinding {
  readonly topic: Topic;
  readonly subscription: Subscription;
  readonly consumer: Consumer;
}
