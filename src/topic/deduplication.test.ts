import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../config/logger.js';
import { readEntryMetadata } from '../protocol/peek.js';
import { createMemoryStorage, createMemoryStorageData, type MemoryStorageData } from '../storage/memory-storage.js';
import { ManualClock } from '../test-support/manual-clock.js';
import { featureEntry, openFeatureTopic, type FeatureHarness } from '../test-support/topic-harness.js';
import { DEFAULT_DEDUPLICATION_SETTINGS, MessageDeduplication } from './deduplication.js';
import type { PublishOrigin, Topic } from './topic.js';
import { STANDALONE_TOPIC_POLICIES } from './topic-policies.js';

const DEDUP_ON = { ...STANDALONE_TOPIC_POLICIES, deduplicationEnabled: true };
const SETTINGS = { defaultPolicies: DEDUP_ON, deduplication: { ...DEFAULT_DEDUPLICATION_SETTINGS, entriesInterval: 3 } };

let open: FeatureHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close().catch(() => undefined);
});

async function harness(settings: object = SETTINGS, data?: MemoryStorageData): Promise<FeatureHarness> {
  const h = await openFeatureTopic(settings, data);
  open.push(h);
  return h;
}

function origin(sequenceId: number, producerName = 'p', extra: Partial<PublishOrigin> = {}): PublishOrigin {
  const entry = featureEntry({ sequenceId, producer: producerName });
  return { producerName, sequenceId, highestSequenceId: 0, metadata: readEntryMetadata(entry), ...extra };
}

/** What a SEND does: the duplicate check, then the durable append. */
async function send(topic: Topic, sequenceId: number, producerName = 'p'): Promise<string> {
  const o = origin(sequenceId, producerName);
  const status = topic.checkDuplicate(o);
  if (status !== 'NotDup') return status;
  await topic.publish(featureEntry({ sequenceId, producer: producerName }), 1, o);
  return 'stored';
}

/** The storage as a crash would leave it: whatever was written so far, nothing more. */
function crashCopy(data: MemoryStorageData): MemoryStorageData {
  const ledgers = new Map();
  for (const [name, ledger] of data.ledgers) {
    const segments = ledger.segments.map((segment) => Object.assign(Object.create(Object.getPrototypeOf(segment)), segment,
      { entries: [...segment.entries] }));
    ledgers.set(name, { segments, trimmedPosition: ledger.trimmedPosition });
  }
  return { ledgers, kv: new Map(data.kv) };
}

describe('producer deduplication', () => {
  it('is off by default: sequence ids are not checked and last_sequence_id is -1', async () => {
    const h = await harness({});
    expect(await send(h.topic, 0)).toBe('stored');
    expect(await send(h.topic, 0)).toBe('stored');
    expect(h.topic.lastSequenceId('p')).toBe(-1);
  });

  it('answers a persisted duplicate as Dup, one still being written as Unknown, per producer name', async () => {
    const h = await harness();
    expect(await send(h.topic, 0)).toBe('stored');
    expect(await send(h.topic, 1)).toBe('stored');
    expect(await send(h.topic, 1)).toBe('Dup');
    expect(await send(h.topic, 0, 'other')).toBe('stored');
    const inFlight = origin(2);
    expect(h.topic.checkDuplicate(inFlight)).toBe('NotDup');
    expect(h.topic.checkDuplicate(inFlight)).toBe('Unknown');
    expect(h.topic.lastSequenceId('p')).toBe(2);
    await h.topic.publish(featureEntry({ sequenceId: 2 }), 1, inFlight);
    expect(h.topic.checkDuplicate(inFlight)).toBe('Dup');
    expect(h.topic.lastSequenceId('nobody')).toBe(-1);
  });

  it('uses the highest sequence id of a batch and checks only the last chunk of a chunked message', async () => {
    const h = await harness();
    const batch = origin(10, 'p', { highestSequenceId: 14 });
    expect(h.topic.checkDuplicate(batch)).toBe('NotDup');
    await h.topic.publish(featureEntry({ sequenceId: 10, highestSequenceId: 14, messages: 5 }), 5, batch);
    expect(await send(h.topic, 13)).toBe('Dup');
    const chunk = (id: number) => origin(20, 'p', {
      metadata: readEntryMetadata(featureEntry({ sequenceId: 20, chunk: { id, total: 2 } })),
    });
    expect(h.topic.checkDuplicate(chunk(0))).toBe('NotDup');
    expect(h.topic.checkDuplicate(chunk(0))).toBe('NotDup');
    expect(h.topic.checkDuplicate(chunk(1))).toBe('NotDup');
    expect(h.topic.checkDuplicate(chunk(1))).toBe('Unknown');
  });

  it('recovers the exact state after a crash at every point of a sequence of writes', async () => {
    const h = await harness();
    const crashes: Array<{ data: MemoryStorageData; stored: number }> = [];
    let stored = 0;
    for (let seq = 0; seq < 10; seq++) {
      crashes.push({ data: crashCopy(h.data), stored });
      const o = origin(seq);
      h.topic.checkDuplicate(o);
      const writing = h.topic.publish(featureEntry({ sequenceId: seq }), 1, o);
      crashes.push({ data: crashCopy(h.data), stored });
      await writing;
      stored++;
      crashes.push({ data: crashCopy(h.data), stored });
      await new Promise((resolve) => setImmediate(resolve));
      crashes.push({ data: crashCopy(h.data), stored });
    }
    for (const crash of crashes) {
      const recovered = await harness(SETTINGS, crash.data);
      const inLedger = (await recovered.topic.ledger.read(recovered.topic.ledger.firstPosition(), 100)).length;
      // An append either made it (durable) or not; recovery must agree with the ledger either way.
      expect(inLedger === crash.stored || inLedger === crash.stored + 1).toBe(true);
      expect(recovered.topic.lastSequenceId('p')).toBe(inLedger - 1);
      for (let seq = 0; seq < inLedger; seq++) expect(await send(recovered.topic, seq)).toBe('Dup');
      expect(await send(recovered.topic, inLedger)).toBe('stored');
      await recovered.close();
    }
  });

  it('keeps the entries recovery needs when segments are trimmed', async () => {
    const data = createMemoryStorageData();
    const clock = new ManualClock();
    const h = await openFeatureTopic({ ...SETTINGS, deduplication: { ...DEFAULT_DEDUPLICATION_SETTINGS, entriesInterval: 1000 } },
      data, clock, 2);
    open.push(h);
    for (let seq = 0; seq < 9; seq++) expect(await send(h.topic, seq)).toBe('stored');
    h.topic.scheduleTrim();
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await openFeatureTopic(SETTINGS, crashCopy(data), clock, 2);
    open.push(again);
    expect(again.topic.lastSequenceId('p')).toBe(8);
    expect(await send(again.topic, 4)).toBe('Dup');
  });

  it('keeps sequence ids above 2^53 exact, in memory and in the snapshot', async () => {
    const h = await harness();
    const big = 2n ** 60n;
    for (let i = 0n; i < 3n; i++) {
      const o = { ...origin(0), sequenceId: big + i };
      expect(h.topic.checkDuplicate(o)).toBe('NotDup');
      await h.topic.publish(featureEntry({ sequenceId: 0 }), 1, o);
    }
    expect(h.topic.checkDuplicate({ ...origin(0), sequenceId: big + 1n })).toBe('Dup');
    await h.close();
    const again = await harness(SETTINGS, h.data);
    expect(again.topic.lastSequenceId('p')).toBe(big + 2n);
  });

  it('a failed write lets the producer send the same sequence id again (resetHighestSequenceIdPushed)', async () => {
    const storage = createMemoryStorage();
    const ledger = await storage.openLedger('t');
    const dedup = new MessageDeduplication('t', ledger, storage.metadata, DEFAULT_DEDUPLICATION_SETTINGS, new ManualClock(), silentLogger);
    await dedup.setEnabled(true);
    expect(dedup.check('p', 5, 0, undefined)).toBe('NotDup');
    expect(dedup.check('p', 5, 0, undefined)).toBe('Unknown');
    dedup.writeFailed();
    expect(dedup.check('p', 5, 0, undefined)).toBe('NotDup');
    await dedup.setEnabled(false);
    expect(await storage.metadata.get('dedup/t')).toBeUndefined();
    expect(dedup.check('p', 5, 0, undefined)).toBe('NotDup');
  });
});
