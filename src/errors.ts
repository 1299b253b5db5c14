/**
 * The broker's one error taxonomy. Domain code throws BrokerError with a code named after Pulsar's
 * ServerError enum; the connection maps it to the wire (broker/error-codes.ts).
 */
export type BrokerErrorCode =
  | 'UnknownError' | 'MetadataError' | 'PersistenceError' | 'ConsumerBusy' | 'ServiceNotReady'
  | 'ChecksumError' | 'TopicNotFound' | 'SubscriptionNotFound' | 'ConsumerNotFound' | 'TooManyRequests'
  | 'TopicTerminatedError' | 'ProducerBusy' | 'InvalidTopicName' | 'IncompatibleSchema' | 'ConsumerAssignError'
  | 'NotAllowedError' | 'ProducerFenced' | 'ProducerBlockedQuotaExceededError' | 'ProducerBlockedQuotaExceededException';

export class BrokerError extends Error {
  constructor(readonly code: BrokerErrorCode, message: string) {
    super(message);
    this.name = 'BrokerError';
  }
}
