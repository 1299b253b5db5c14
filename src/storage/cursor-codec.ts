/**
 * CursorState as compact JSON: {"v":1,"md":[l,e],"del":[[l1,e1,l2,e2],...],"props":{...},"bas":[[l,e,w0,w1,...],...]}.
 * Positions are flattened because a cursor may carry thousands of acknowledged ranges. "bas" (batch
 * ack sets) is optional, so states written before it existed still decode.
 */
import { StorageError } from './errors.js';
import { isPosition } from './segment-math.js';
import { comparePositions, type CursorState, type Position } from './types.js';

const FORMAT_VERSION = 1;

interface EncodedCursor {
  v: number;
  md: [number, number];
  del: Array<[number, number, number, number]>;
  props: Record<string, string>;
  bas?: number[][];
}

/** Validates the contract's invariants: ranges above markDelete, each start <= end, sorted and disjoint. */
export function validateCursorState(state: CursorState): void {
  if (typeof state !== 'object' || state === null || !isPosition(state.markDelete)) {
    throw new StorageError('INVALID_ARGUMENT', 'cursor state needs a markDelete position');
  }
  if (!Array.isArray(state.individuallyDeleted) || typeof state.properties !== 'object' || state.properties === null) {
    throw new StorageError('INVALID_ARGUMENT', 'cursor state needs individuallyDeleted and properties');
  }
  let previousEnd: Position = state.markDelete;
  for (const range of state.individuallyDeleted) {
    const [start, end] = range;
    if (!isPosition(start) || !isPosition(end)) {
      throw new StorageError('INVALID_ARGUMENT', 'cursor range bounds must be positions');
    }
    if (comparePositions(start, previousEnd) <= 0 || comparePositions(start, end) > 0) {
      throw new StorageError(
        'INVALID_ARGUMENT',
        'individuallyDeleted ranges must lie above markDelete, be sorted, disjoint and start <= end',
      );
    }
    previousEnd = end;
  }
  for (const value of Object.values(state.properties)) {
    if (typeof value !== 'string') throw new StorageError('INVALID_ARGUMENT', 'cursor properties are strings');
  }
  validateBatchAckSets(state);
}

function validateBatchAckSets(state: CursorState): void {
  if (state.batchAckSets === undefined) return;
  if (!Array.isArray(state.batchAckSets)) throw new StorageError('INVALID_ARGUMENT', 'batchAckSets must be an array');
  for (const item of state.batchAckSets) {
    const [position, words] = item;
    if (!isPosition(position) || comparePositions(position, state.markDelete) <= 0) {
      throw new StorageError('INVALID_ARGUMENT', 'batch ack sets must be for positions above markDelete');
    }
    if (!Array.isArray(words) || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new StorageError('INVALID_ARGUMENT', 'batch ack set words must be unsigned 32-bit integers');
    }
  }
}

export function encodeCursorState(state: CursorState): string {
  validateCursorState(state);
  const encoded: EncodedCursor = {
    v: FORMAT_VERSION,
    md: [state.markDelete.ledgerId, state.markDelete.entryId],
    del: state.individuallyDeleted.map(([s, e]) => [s.ledgerId, s.entryId, e.ledgerId, e.entryId]),
    props: { ...state.properties },
  };
  if (state.batchAckSets && state.batchAckSets.length > 0) {
    encoded.bas = state.batchAckSets.map(([p, words]) => [p.ledgerId, p.entryId, ...words]);
  }
  return JSON.stringify(encoded);
}

export function decodeCursorState(json: string): CursorState {
  let parsed: EncodedCursor;
  try {
    parsed = JSON.parse(json) as EncodedCursor;
  } catch (error) {
    throw new StorageError('CORRUPT_STATE', 'stored cursor state is not JSON', { cause: error });
  }
  if (parsed?.v !== FORMAT_VERSION || !Array.isArray(parsed.md) || !Array.isArray(parsed.del)) {
    throw new StorageError('CORRUPT_STATE', `unknown cursor state format ${String(parsed?.v)}`);
  }
  return {
    markDelete: { ledgerId: parsed.md[0], entryId: parsed.md[1] },
    individuallyDeleted: parsed.del.map(([l1, e1, l2, e2]) => [
      { ledgerId: l1, entryId: e1 },
      { ledgerId: l2, entryId: e2 },
    ]),
    properties: parsed.props ?? {},
    ...(Array.isArray(parsed.bas)
      ? { batchAckSets: parsed.bas.map(([l, e, ...words]) => [{ ledgerId: l!, entryId: e! }, words] as const) }
      : {}),
  };
}
