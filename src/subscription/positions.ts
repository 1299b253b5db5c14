import type { Position } from '../storage/types.js';

/** Entries per segment stay below 2^20 (storage rolls over far earlier), so this key is exact up to 2^33 ledgers. */
const ENTRY_ID_SPAN = 1_048_576;

export function positionKey(position: Position): number {
  return position.ledgerId * ENTRY_ID_SPAN + position.entryId;
}

export function positionFromKey(key: number): Position {
  return { ledgerId: Math.floor(key / ENTRY_ID_SPAN), entryId: key % ENTRY_ID_SPAN };
}

export function isBefore(a: Position, b: Position): boolean {
  return a.ledgerId < b.ledgerId || (a.ledgerId === b.ledgerId && a.entryId < b.entryId);
}

/** The position just before `p` within its ledger: what Pulsar marks as deleted to make `p` the next read. */
export function previousOf(p: Position): Position {
  return { ledgerId: p.ledgerId, entryId: p.entryId - 1 };
}

export function formatPosition(p: Position): string {
  return `${p.ledgerId}:${p.entryId}`;
}
