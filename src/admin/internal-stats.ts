import type { Position } from '../storage/types.js';
import { formatPosition, isBefore, previousOf } from '../subscription/positions.js';
import type { Subscription } from '../subscription/subscription.js';
import type { Topic } from '../topic/topic.js';
import { isoOffsetDateTime } from './entry-response.js';

/** Pulsar prints positions as "ledgerId:entryId" (Position.toString). */
const positionText = formatPosition;

/** Vela keeps no compacted ledger, schema ledgers or cursor ledgers: Pulsar's "none" values. */
const NO_LEDGER = { ledgerId: -1, entries: -1, size: -1, offloaded: false, underReplicated: false };

/**
 * Acknowledged ranges above the mark-delete position as Pulsar prints them (LongPairRangeSet.toString):
 * each range open-closed from the entry before its first, "[(3:4..3:6],(3:8..3:9]]".
 */
function deletedRangesText(ranges: ReadonlyArray<readonly [Position, Position]>): string {
  return `[${ranges.map(([start, end]) => `(${positionText(previousOf(start))}..${positionText(end)}]`).join(',')}]`;
}

/**
 * ManagedCursor figures (ManagedLedgerInternalStats.CursorStats). Vela keeps the cursor in its key-value store,
 * not in a ledger, so cursorLedger and cursorLedgerLastEntry are -1 (Pulsar's value before a cursor ledger exists).
 */
function cursorStats(topic: Topic, subscription: Subscription): Record<string, unknown> {
  const { cursor } = subscription;
  const state = cursor.state({});
  const markDelete = cursor.markDelete;
  const read = cursor.readPosition;
  const last = topic.ledger.lastPosition();
  // ManagedCursorImpl.getNumberOfEntriesSinceFirstNotAckedMessage counts (markDelete, readPosition], the read
  // position included even when nothing is stored there yet.
  let sinceFirstNotAcked = 0;
  if (isBefore(markDelete, read)) {
    const readStored = last !== null && !isBefore(last, read);
    sinceFirstNotAcked = (last && isBefore(markDelete, last) ? topic.ledger.countEntries(markDelete, readStored ? read : last) : 0)
      + (readStored ? 0 : 1);
  }
  return {
    markDeletePosition: positionText(markDelete),
    readPosition: positionText(read),
    waitingReadOp: false,
    pendingReadOps: 0,
    // Entries consumed since the topic was loaded: added minus what is still in the backlog, as Pulsar counts.
    messagesConsumedCounter: topic.entriesAddedCounter - cursor.backlogEntries(),
    cursorLedger: -1,
    cursorLedgerLastEntry: -1,
    individuallyDeletedMessages: deletedRangesText(state.individuallyDeleted),
    lastLedgerSwitchTimestamp: isoOffsetDateTime(topic.loadedAtMs),
    state: 'Open',
    active: subscription.consumers().length > 0,
    numberOfEntriesSinceFirstNotAckedMessage: sinceFirstNotAcked,
    totalNonContiguousDeletedMessagesRange: state.individuallyDeleted.length,
    subscriptionHavePendingRead: false,
    subscriptionHavePendingReplayRead: false,
    properties: {},
  };
}

/**
 * GET …/internalStats (PersistentTopicInternalStats, ManagedLedgerInternalStats field names). Vela's ledger
 * segments stand as Pulsar's ledgers: each is an append-only file with its own id, and the last one is
 * being written (Pulsar's current ledger). Durable subscriptions are the cursors.
 */
export function internalStats(topic: Topic): Record<string, unknown> {
  const { ledger } = topic;
  const segments = ledger.segments();
  const current = segments[segments.length - 1];
  const last = ledger.lastPosition();
  const cursors: Record<string, unknown> = {};
  for (const subscription of topic.subscriptions.values()) {
    if (subscription.durable) cursors[subscription.name] = cursorStats(topic, subscription);
  }
  return {
    entriesAddedCounter: topic.entriesAddedCounter,
    numberOfEntries: segments.reduce((n, s) => n + s.entryCount, 0),
    totalSize: ledger.sizeBytes(),
    currentLedgerEntries: current?.entryCount ?? 0,
    currentLedgerSize: current?.sizeBytes ?? 0,
    lastLedgerCreatedTimestamp: isoOffsetDateTime(topic.loadedAtMs),
    waitingCursorsCount: 0,
    pendingAddEntriesCount: 0,
    lastConfirmedEntry: last ? positionText(last) : `${ledger.nextPosition().ledgerId}:-1`,
    state: topic.terminatedAt ? 'Terminated' : 'LedgerOpened',
    ledgers: segments.map((s) => ({ ledgerId: s.ledgerId, entries: s.entryCount, size: s.sizeBytes, offloaded: false, underReplicated: false })),
    cursors,
    schemaLedgers: [],
    compactedLedger: NO_LEDGER,
  };
}
