/**
 * Seeded randomized simulation of the Key_Shared dispatcher over memory storage: random publishes,
 * joins, leaves, crashes, negative acks, slow and unwritable consumers, acks, with actions landing
 * between dispatcher steps as well as between whole passes. Every delivery is checked when it is
 * sent; every run ends by acknowledging everything and checking nothing was lost or duplicated.
 * VELA_SIM_RUNS and VELA_SIM_FIRST_SEED run other seeds; a failure names the seed to replay.
 */
import { describe, expect, it } from 'vitest';
import type { Position } from '../storage/types.js';
import type { Consumer } from './consumer.js';
import {
  ack, flow, newConsumer, openKeyShared, publish, seededRandom, settle, type Delivery, type KeySharedHarness, type LoggingSender,
} from '../test-support/key-shared-harness.js';
import { KeySharedMode, type KeySharedMeta } from './key-shared-meta.js';

const RUNS = Number(process.env.VELA_SIM_RUNS ?? 2000);
const FIRST_SEED = Number(process.env.VELA_SIM_FIRST_SEED ?? 1);
/** STICKY runs split the slot space into these ranges; a joining consumer takes a free one. */
const SEGMENTS = [[0, 16_383], [16_384, 32_767], [32_768, 49_151], [49_152, 65_535]] as const;
const NAMES = ['a', 'b', 'c', 'd', 'a', 'b'];

interface SimEntry {
  readonly key: string;
  readonly sequenceId: number;
  readonly messages: number;
  /** Known once delivered; needed to acknowledge. */
  position: Position | undefined;
  state: 'waiting' | 'outstanding' | 'acked';
  holder: number | undefined;
  nacks: number;
  deliveries: number;
  /** Times it went back from a consumer to the broker (negative ack, close, crash). */
  returns: number;
}

interface SimConfig {
  readonly meta: KeySharedMeta;
  readonly keys: number;
  readonly steps: number;
  readonly maxUnacked: number;
  readonly readBatchSize: number;
  readonly lookAheadPerConsumer: number;
  readonly lookAheadPerSubscription: number;
}

/**
 * What the clients saw, by sequence id (= publish order: appends resolve in order); checks the
 * Key_Shared contract at every delivery.
 */
class Model {
  readonly entries = new Map<number, SimEntry>();
  readonly byKey = new Map<string, number[]>();
  readonly outstanding = new Map<number, Map<number, SimEntry>>();
  readonly violations: string[] = [];

  constructor(private readonly ordered: boolean) {}

  published(sequenceId: number, key: string, messages: number): void {
    this.entries.set(sequenceId, { key, sequenceId, messages, position: undefined, state: 'waiting', holder: undefined, nacks: 0, deliveries: 0, returns: 0 });
    const ofKey = this.byKey.get(key);
    if (ofKey) ofKey.push(sequenceId);
    else this.byKey.set(key, [sequenceId]);
  }

  /** `consumer` is the recipient as the dispatcher left it: permits already charged, pending not yet tracked. */
  delivered(d: Delivery, consumer: Consumer | undefined): void {
    const entry = this.entries.get(d.sequenceId)!;
    entry.position = d.position;
    const held = this.outstanding.get(d.consumerId);
    const where = `${entry.key}#${d.sequenceId} to consumer ${d.consumerId}`;
    if (!held || !consumer) this.violations.push(`delivered ${where}, which is not connected`);
    else if (consumer.permits + entry.messages <= 0 || consumer.blocked || !consumer.sender.isWritable()) {
      this.violations.push(`delivered ${where}, which could not receive`);
    }
    if (entry.state !== 'waiting') this.violations.push(`duplicate: ${where} while ${entry.state}`);
    if (d.redeliveryCount !== entry.nacks) this.violations.push(`redelivery count ${d.redeliveryCount} != ${entry.nacks} for ${where}`);
    if (this.ordered) this.checkOrder(entry, d.consumerId, where);
    entry.state = 'outstanding';
    entry.holder = d.consumerId;
    entry.deliveries++;
    held?.set(d.sequenceId, entry);
  }

  /** Earlier entries of the key are acked or held by the same consumer; no other consumer holds the key. */
  private checkOrder(entry: SimEntry, consumerId: number, where: string): void {
    for (const other of this.byKey.get(entry.key)!) {
      const o = this.entries.get(other)!;
      if (other < entry.sequenceId && o.state === 'waiting') this.violations.push(`order: ${where} before #${other} (${o.deliveries ? 'redelivery' : 'first delivery'})`);
      if (o.state === 'outstanding' && o.holder !== consumerId) this.violations.push(`two owners: ${where} while #${other} is at ${o.holder}`);
    }
  }

  joined(consumerId: number): void {
    this.outstanding.set(consumerId, new Map());
  }

  /** The consumer closed or crashed: what it held goes back to the broker, counted as redelivered (issue 5). */
  left(consumerId: number): void {
    for (const entry of this.outstanding.get(consumerId)!.values()) this.returned(entry, true);
    this.outstanding.delete(consumerId);
  }

  returned(entry: SimEntry, nack: boolean): void {
    this.outstanding.get(entry.holder!)!.delete(entry.sequenceId);
    entry.state = 'waiting';
    entry.holder = undefined;
    entry.returns++;
    if (nack) entry.nacks++;
  }

  acked(entry: SimEntry): void {
    this.outstanding.get(entry.holder!)!.delete(entry.sequenceId);
    entry.state = 'acked';
    entry.holder = undefined;
  }
}

interface SimConsumer {
  readonly consumer: Consumer;
  readonly sender: LoggingSender;
  slow: boolean;
  readonly segment: number | undefined;
}

class Simulation {
  private readonly members: SimConsumer[] = [];
  private nextId = 1;
  private sequenceId = 0;

  constructor(
    readonly h: KeySharedHarness,
    readonly model: Model,
    private readonly config: SimConfig,
    private readonly random: () => number,
  ) {}

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  member(consumerId: number): Consumer | undefined {
    return this.members.find((m) => m.consumer.id === consumerId)?.consumer;
  }

  private pickMember(): SimConsumer | undefined {
    return this.members[this.int(this.members.length)];
  }

  async step(): Promise<void> {
    const roll = this.random();
    if (roll < 0.3) this.publishSome();
    else if (roll < 0.4) this.join();
    else if (roll < 0.45) this.leave(false);
    else if (roll < 0.5) this.leave(true);
    else if (roll < 0.6) this.nack();
    else if (roll < 0.8) this.ackSome(false);
    else this.flowSome();
    await this.interleave();
    this.checkLookAheadBound();
  }

  /** Normal reads park at most the look-ahead limit; only returned entries may add to the queue beyond it. */
  private checkLookAheadBound(): void {
    let returnedWaiting = 0;
    for (const entry of this.model.entries.values()) if (entry.state === 'waiting' && entry.returns > 0) returnedWaiting++;
    const queued = this.h.dispatcher.keyState().replay;
    if (queued > this.config.lookAheadPerSubscription + returnedWaiting) {
      this.model.violations.push(`replay queue of ${queued} exceeds the look-ahead limit ${this.config.lookAheadPerSubscription} + ${returnedWaiting} returned`);
    }
  }

  /** Either let the dispatcher finish, or only let it take a few steps before the next action. */
  private async interleave(): Promise<void> {
    if (this.random() < 0.5) {
      await settle();
      return;
    }
    for (let i = this.int(4); i > 0; i--) await Promise.resolve();
  }

  /** Not awaited, like a producer's SEND: the entries become visible at the ledger's next group commit. */
  private publishSome(): void {
    const batch = [...Array(1 + this.int(5))].map(() => {
      const key = `key-${this.int(this.config.keys)}`;
      const id = this.sequenceId++;
      // Some entries are batches: the key is the batch's, permits count its messages.
      const messages = this.random() < 0.2 ? 1 + this.int(4) : 1;
      this.model.published(id, key, messages);
      return { sequenceId: id, partitionKey: key, ...(messages > 1 ? { messages } : {}) };
    });
    void publish(this.h, batch);
  }

  join(segment?: number): void {
    const sticky = this.config.meta.mode === KeySharedMode.STICKY;
    const wanted = segment ?? (sticky ? this.int(SEGMENTS.length) : undefined);
    const meta: KeySharedMeta = wanted === undefined
      ? this.config.meta
      : { ...this.config.meta, hashRanges: [{ start: SEGMENTS[wanted]![0], end: SEGMENTS[wanted]![1] }] };
    const id = this.nextId++;
    const consumer = newConsumer(this.h, id, NAMES[this.int(NAMES.length)]!, meta, this.config.maxUnacked);
    try {
      this.h.dispatcher.addConsumer(consumer);
    } catch (error) {
      const taken = this.members.some((m) => m.segment === wanted);
      if (!sticky || !taken || (error as { code?: string }).code !== 'ConsumerAssignError') throw error;
      return;
    }
    this.model.joined(id);
    this.members.push({ consumer, sender: consumer.sender as LoggingSender, slow: this.random() < 0.3, segment: wanted });
    flow(this.h, consumer, 1 + this.int(20));
  }

  /** Close (acknowledging some first) or crash (nothing acknowledged); either way unacked entries return. */
  leave(crash: boolean): void {
    const member = this.pickMember();
    if (!member) return;
    if (!crash) this.ackFrom(member, 0.5);
    this.members.splice(this.members.indexOf(member), 1);
    this.h.dispatcher.removeConsumer(member.consumer);
    this.model.left(member.consumer.id);
  }

  private nack(): void {
    const member = this.pickMember();
    const held = member ? [...this.model.outstanding.get(member.consumer.id)!.values()] : [];
    if (!member || held.length === 0) return;
    if (this.random() < 0.3) {
      held.forEach((entry) => this.model.returned(entry, true));
      this.h.dispatcher.redeliver(member.consumer, undefined);
      return;
    }
    const chosen = held.filter(() => this.random() < 0.5);
    chosen.forEach((entry) => this.model.returned(entry, true));
    this.h.dispatcher.redeliver(member.consumer, chosen.map((e) => e.position!));
  }

  ackSome(all: boolean): void {
    for (const member of [...this.members]) {
      if (all || (!member.slow && this.random() < 0.6)) this.ackFrom(member, all ? 1 : 0.7);
    }
  }

  /** Acknowledges a random subset of what the consumer holds, in random order. */
  private ackFrom(member: SimConsumer, share: number): void {
    const held = [...this.model.outstanding.get(member.consumer.id)!.values()].sort(() => this.random() - 0.5);
    for (const entry of held) {
      if (this.random() >= share) continue;
      this.model.acked(entry);
      ack(this.h, member.consumer, entry.position!);
    }
  }

  private flowSome(): void {
    const member = this.pickMember();
    if (!member) return;
    if (this.random() < 0.15) {
      member.sender.writable = !member.sender.writable;
      this.h.dispatcher.trigger();
      return;
    }
    flow(this.h, member.consumer, member.slow ? this.int(3) : 1 + this.int(30));
  }

  /** Everyone becomes healthy, every range gets covered, and all is acknowledged. */
  async drain(): Promise<void> {
    for (const member of this.members) {
      member.slow = false;
      member.sender.writable = true;
    }
    if (this.config.meta.mode === KeySharedMode.STICKY) {
      SEGMENTS.forEach((_, s) => { if (!this.members.some((m) => m.segment === s)) this.join(s); });
    } else if (this.members.length === 0) {
      this.join();
    }
    for (let round = 0; round < 200 && [...this.model.entries.values()].some((e) => e.state !== 'acked'); round++) {
      for (const member of this.members) flow(this.h, member.consumer, 1000);
      await settle();
      this.ackSome(true);
    }
  }
}

function pickConfig(random: () => number): SimConfig {
  const int = (n: number) => Math.floor(random() * n);
  const mode = random() < 0.2 ? KeySharedMode.STICKY : KeySharedMode.AUTO_SPLIT;
  return {
    meta: { mode, hashRanges: [], allowOutOfOrderDelivery: random() < 0.15 },
    keys: 1 + int(12),
    steps: 30 + int(50),
    maxUnacked: random() < 0.3 ? 2 + int(8) : 0,
    readBatchSize: 1 + int(16),
    lookAheadPerConsumer: 1 + int(20),
    lookAheadPerSubscription: 2 + int(50),
  };
}

async function runSeed(seed: number): Promise<{ violations: string[]; deliveries: number; config: SimConfig }> {
  const random = seededRandom(seed);
  const config = pickConfig(random);
  const h = await openKeyShared({ ...config, meta: config.meta });
  const model = new Model(!config.meta.allowOutOfOrderDelivery);
  const sim = new Simulation(h, model, config, random);
  h.log.onDeliver = (d) => model.delivered(d, sim.member(d.consumerId));
  for (let step = 0; step < config.steps && model.violations.length === 0; step++) await sim.step();
  await sim.drain();
  const v = model.violations;
  for (const entry of model.entries.values()) {
    if (entry.state !== 'acked') v.push(`lost: ${entry.key}#${entry.sequenceId} is ${entry.state}`);
    else if (entry.deliveries !== 1 + entry.returns) v.push(`${entry.key}#${entry.sequenceId} delivered ${entry.deliveries}× for ${entry.returns} returns`);
  }
  if (h.cursor.backlogEntries() !== 0) v.push(`backlog ${h.cursor.backlogEntries()} after all acks`);
  const state = h.dispatcher.keyState();
  if (Object.values(state).some((n) => n !== 0)) v.push(`per-key state left after all acks: ${JSON.stringify(state)}`);
  h.dispatcher.close();
  return { violations: v, deliveries: h.log.deliveries.length, config };
}

describe('Key_Shared simulation', () => {
  it(`holds per-key order, single ownership and no loss over ${RUNS} seeded runs`, async () => {
    let deliveries = 0;
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
      const result = await runSeed(seed);
      deliveries += result.deliveries;
      if (result.violations.length > 0) {
        expect.fail(`seed ${seed} ${JSON.stringify(result.config)}:\n${result.violations.slice(0, 10).join('\n')}`);
      }
    }
    expect(deliveries).toBeGreaterThan(RUNS * 20);
  }, 60_000);
});
