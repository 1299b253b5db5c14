/** A publisher attached to a topic from one connection. */
export interface ProducerHandle {
  readonly producerId: number;
  readonly name: string;
  readonly epoch: number;
  /** Identifies the connection, for Pulsar's reconnect rule (same connection + id + higher epoch). */
  readonly connectionId: number;
  /** Whether the owning connection still answers (Pulsar's liveness probe before refusing a name). */
  isAlive(): Promise<boolean>;
  /** Broker-initiated close (topic deleted or unloaded). */
  close(): void;
  msgInCounter: number;
  bytesInCounter: number;
  /** For topic stats (Pulsar's PublisherStats): client address, connect time and client version. */
  readonly address?: string;
  readonly connectedSince?: Date;
  readonly clientVersion?: string;
}
