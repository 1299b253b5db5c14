import type { BrokerContext } from './context.js';
import { decodeCommand, newCloseConsumer, newMessageHeader, newActiveConsumerChange, newReachedEndOfTopic, PING_FRAME, PONG_FRAME, newError } from '../protocol/commands.js';
import { decodeSendCommand } from '../protocol/send-command.js';
import { FRAME_PADDING_BYTES, FrameDecoder, FrameError, type Frame } from '../protocol/frame.js';
import { CommandType, type BaseCommand } from '../protocol/wire-types.js';
import type { AckSetWord } from '../protocol/ack-set-wire.js';
import type { Position } from '../storage/types.js';
import type { ConsumerSender } from '../subscription/consumer.js';
import { toServerError } from './error-codes.js';
import { handleConnect } from './handlers/connect.js';
import { commandHandlers } from './handlers/index.js';
import type { ConsumerBinding, ProducerBinding } from './bindings.js';

/** The socket surface a connection needs; a net.Socket, or an in-memory duplex in tests. */
export interface Transport {
  write(data: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'drain' | 'close', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  readonly writableNeedDrain: boolean;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

type State = 'awaiting-connect' | 'connected' | 'closed';

/** Pulsar's connectionLivenessCheckTimeoutMillis. */
const LIVENESS_TIMEOUT_MS = 5000;

/**
 * One client connection: the state machine (awaiting CONNECT → connected → closed), the single
 * switch on command type (handlers/index.ts), batched writes and keep-alive.
 */
export class Connection implements ConsumerSender {
  readonly id: number;
  readonly remoteAddress: string;
  protocolVersion = 0;
  clientVersion = '';
  readonly producers = new Map<number, ProducerBinding>();
  readonly consumers = new Map<number, ConsumerBinding>();
  /** Producer ids the broker closed recently: late SENDs for them are ignored (ServerCnx.recentlyClosedProducers). */
  readonly recentlyClosedProducers = new Set<number>();
  private readonly pendingActiveChanges = new Map<number, boolean>();
  pendingPublishes = 0;
  private state: State = 'awaiting-connect';
  private readonly decoder: FrameDecoder;
  private corked = false;
  private readingPaused = false;
  private receivedSincePing = true;
  private livenessWaiters: Array<() => void> = [];
  private livenessProbe: Promise<boolean> | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  /** Run once when the connection is released (topic-list watchers stop listening). */
  private readonly releaseHooks: Array<() => void> = [];

  constructor(private readonly transport: Transport, readonly ctx: BrokerContext) {
    this.id = ctx.nextConnectionId();
    this.remoteAddress = `${transport.remoteAddress ?? 'local'}:${transport.remotePort ?? 0}`;
    this.decoder = new FrameDecoder(ctx.config.maxMessageSizeBytes + FRAME_PADDING_BYTES);
    transport.on('data', (chunk) => this.onData(chunk));
    transport.on('drain', () => this.onDrain());
    transport.on('close', () => this.onClosed());
    transport.on('error', (error) => ctx.logger.debug(`connection ${this.remoteAddress} error`, error));
    this.keepAliveTimer = setInterval(() => this.keepAlive(), ctx.config.keepAliveIntervalMs);
    this.keepAliveTimer.unref();
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  write(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    this.corkForThisTick();
    this.transport.write(frame);
  }

  sendMessage(consumerId: number, position: Position, partition: number, redeliveryCount: number, entry: Buffer,
    ackSet?: readonly AckSetWord[]): void {
    const messageId = { ledgerId: position.ledgerId, entryId: position.entryId, partition };
    this.write(newMessageHeader(consumerId, messageId, redeliveryCount, entry.length, ackSet));
    this.write(entry);
  }

  sendActiveConsumerChange(consumerId: number, isActive: boolean): void {
    // Clients below v12 do not know the command (PulsarCommandSenderImpl).
    if (this.protocolVersion < 12) return;
    // During SUBSCRIBE the client does not know the consumer yet (Go drops the notice): send it after SUCCESS.
    if (!this.consumers.has(consumerId)) this.pendingActiveChanges.set(consumerId, isActive);
    else this.write(newActiveConsumerChange(consumerId, isActive));
  }

  /** Called right after SUCCESS for a SUBSCRIBE: the last active-consumer notice held back for it. */
  consumerRegistered(consumerId: number): void {
    const isActive = this.pendingActiveChanges.get(consumerId);
    this.pendingActiveChanges.delete(consumerId);
    if (isActive !== undefined && this.consumers.has(consumerId)) this.write(newActiveConsumerChange(consumerId, isActive));
  }

  /** Sent from protocol v9 on, as PulsarCommandSenderImpl.sendReachedEndOfTopic does. */
  sendReachedEndOfTopic(consumerId: number): boolean {
    if (!this.consumers.has(consumerId)) return false;
    if (this.protocolVersion >= 9) this.write(newReachedEndOfTopic(consumerId));
    return true;
  }

  sendCloseConsumer(consumerId: number): void {
    const binding = this.consumers.get(consumerId);
    if (!binding) return;
    this.consumers.delete(consumerId);
    void binding.topic.unsubscribeConsumer(binding.subscription, binding.consumer);
    if (this.protocolVersion >= 5) this.write(newCloseConsumer(consumerId));
    else this.close('consumer closed by broker');
  }

  /** Registers work to do once when the connection closes. */
  onRelease(hook: () => void): void {
    if (this.state === 'closed') hook();
    else this.releaseHooks.push(hook);
  }

  isWritable(): boolean {
    return !this.transport.writableNeedDrain;
  }

  /** Answers a request with ERROR, mapping the broker error to its wire code. */
  sendError(requestId: number, error: unknown): void {
    const { code, message } = toServerError(error);
    this.write(newError(requestId, code, message));
  }

  publishStarted(): void {
    this.pendingPublishes++;
    if (!this.readingPaused && this.pendingPublishes >= this.ctx.config.maxPendingPublishRequestsPerConnection) {
      this.readingPaused = true;
      this.transport.pause();
    }
  }

  publishFinished(): void {
    this.pendingPublishes--;
    if (this.readingPaused && this.pendingPublishes <= this.ctx.config.maxPendingPublishRequestsPerConnection / 2) {
      this.readingPaused = false;
      this.transport.resume();
    }
  }

  /** Closes this client's connection only; everything it owned is released. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.ctx.logger.debug(`closing connection ${this.remoteAddress}: ${reason}`);
    this.state = 'closed';
    this.transport.end();
    setTimeout(() => this.transport.destroy(), 1000).unref();
    this.release();
  }

  /**
   * Pulsar ServerCnx.checkConnectionLiveness: PING and wait for any data; silence within the
   * timeout closes the connection. Used before refusing a producer name or an Exclusive slot.
   */
  isAlive(timeoutMs = LIVENESS_TIMEOUT_MS): Promise<boolean> {
    if (this.state === 'closed') return Promise.resolve(false);
    this.livenessProbe ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.livenessProbe = undefined;
        this.close('no answer to the liveness probe');
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.livenessWaiters.push(() => {
        clearTimeout(timer);
        this.livenessProbe = undefined;
        resolve(this.state !== 'closed');
      });
      this.write(PING_FRAME);
    });
    return this.livenessProbe;
  }

  private onData(chunk: Buffer): void {
    this.receivedSincePing = true;
    if (this.livenessWaiters.length > 0) this.livenessWaiters.splice(0).forEach((wake) => wake());
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.close(error instanceof FrameError ? error.message : String(error));
      return;
    }
    for (const frame of frames) {
      if (this.state === 'closed') return;
      this.handleFrame(frame);
    }
  }

  private handleFrame(frame: Frame): void {
    let command: BaseCommand;
    try {
      command = (frame.payload && decodeSendCommand(frame.command)) || decodeCommand(frame.command);
    } catch (error) {
      this.close((error as Error).message);
      return;
    }
    if (this.state === 'awaiting-connect') {
      if (command.type !== CommandType.CONNECT || !command.connect) {
        this.close(`command ${command.type} before CONNECT`);
        return;
      }
      this.state = 'connected';
      handleConnect(this, command.connect);
      return;
    }
    this.dispatch(command, frame.payload);
  }

  private dispatch(command: BaseCommand, payload: Buffer | undefined): void {
    if (command.type === CommandType.PING) return this.write(PONG_FRAME);
    if (command.type === CommandType.PONG) return;
    const handler = commandHandlers[command.type];
    if (!handler) {
      this.close(`unsupported command type ${command.type}`);
      return;
    }
    try {
      const result = handler(this, command, payload);
      if (result) result.catch((error: unknown) => this.failHandler(command, error));
    } catch (error) {
      this.failHandler(command, error);
    }
  }

  private failHandler(command: BaseCommand, error: unknown): void {
    this.ctx.logger.error(`command ${command.type} from ${this.remoteAddress} failed`, error);
    this.close('internal error');
  }

  private keepAlive(): void {
    if (this.state !== 'connected') {
      if (this.state === 'awaiting-connect') this.close('no CONNECT within the keep-alive interval');
      return;
    }
    if (!this.receivedSincePing) {
      this.close('keep-alive timeout');
      return;
    }
    this.receivedSincePing = false;
    if (this.protocolVersion >= 1) this.write(PING_FRAME);
  }

  private corkForThisTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.transport.cork();
    process.nextTick(() => {
      this.corked = false;
      this.transport.uncork();
    });
  }

  private onDrain(): void {
    for (const binding of this.consumers.values()) binding.subscription.notify();
  }

  private onClosed(): void {
    this.state = 'closed';
    this.release();
  }

  private release(): void {
    clearInterval(this.keepAliveTimer);
    this.livenessWaiters.splice(0).forEach((wake) => wake());
    for (const binding of this.producers.values()) binding.topic.removeProducer(binding);
    this.producers.clear();
    for (const binding of this.consumers.values()) void binding.topic.unsubscribeConsumer(binding.subscription, binding.consumer);
    this.consumers.clear();
    for (const hook of this.releaseHooks.splice(0)) hook();
  }
}
