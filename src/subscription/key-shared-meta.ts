import { BrokerError } from '../errors.js';

/** proto `enum KeySharedMode`. */
export const KeySharedMode = { AUTO_SPLIT: 0, STICKY: 1 } as const;
export type KeySharedModeCode = (typeof KeySharedMode)[keyof typeof KeySharedMode];

/** An inclusive range of slots, proto `IntRange`. */
export interface HashRange {
  readonly start: number;
  readonly end: number;
}

/** A Key_Shared consumer's policy, proto `KeySharedMeta`. */
export interface KeySharedMeta {
  readonly mode: KeySharedModeCode;
  readonly hashRanges: readonly HashRange[];
  readonly allowOutOfOrderDelivery: boolean;
}

/** What a SUBSCRIBE without key_shared_meta gets (ServerCnx: an empty meta means AUTO_SPLIT). */
export const DEFAULT_KEY_SHARED_META: KeySharedMeta = { mode: KeySharedMode.AUTO_SPLIT, hashRanges: [], allowOutOfOrderDelivery: false };

/** Bounds a client can make the broker keep per consumer; Pulsar has no limit, clients send a few ranges. */
const MAX_HASH_RANGES = 1024;

/** Normalises the decoded `CommandSubscribe.keySharedMeta` (protobufjs object, or absent). */
export function keySharedMetaFromWire(raw: unknown): KeySharedMeta {
  if (raw === null || typeof raw !== 'object') return DEFAULT_KEY_SHARED_META;
  const wire = raw as { keySharedMode?: number; hashRanges?: Array<{ start?: number; end?: number }>; allowOutOfOrderDelivery?: boolean };
  const ranges = wire.hashRanges ?? [];
  if (ranges.length > MAX_HASH_RANGES) {
    throw new BrokerError('ConsumerAssignError', `Too many hash ranges: ${ranges.length} > ${MAX_HASH_RANGES}`);
  }
  return {
    mode: wire.keySharedMode === KeySharedMode.STICKY ? KeySharedMode.STICKY : KeySharedMode.AUTO_SPLIT,
    hashRanges: ranges.map((r) => ({ start: r.start ?? 0, end: r.end ?? 0 })),
    allowOutOfOrderDelivery: wire.allowOutOfOrderDelivery === true,
  };
}

function modeName(mode: KeySharedModeCode): string {
  return mode === KeySharedMode.STICKY ? 'STICKY' : 'AUTO_SPLIT';
}

/**
 * Every consumer of a Key_Shared subscription must share its mode and out-of-order policy
 * (AbstractSubscription.checkForConsumerCompatibilityErrorWithDispatcher; messages as Pulsar sends them).
 */
export function checkKeySharedCompatibility(active: KeySharedMeta, connecting: KeySharedMeta): void {
  if (active.mode !== connecting.mode) {
    throw new BrokerError('ConsumerBusy', `Subscription is of different type. Active subscription key_shared mode of '${modeName(active.mode)}' `
      + `is different than the connecting consumer's key_shared mode '${modeName(connecting.mode)}'.`);
  }
  if (active.allowOutOfOrderDelivery !== connecting.allowOutOfOrderDelivery) {
    throw new BrokerError('ConsumerBusy', `Subscription is of different type. ${active.allowOutOfOrderDelivery
      ? 'Active subscription allows out of order delivery while the connecting consumer does not allow it.'
      : 'Active subscription does not allow out of order delivery while the connecting consumer allows it.'}`);
  }
}

export function sameKeySharedPolicy(a: KeySharedMeta, b: KeySharedMeta): boolean {
  return a.mode === b.mode && a.allowOutOfOrderDelivery === b.allowOutOfOrderDelivery;
}
