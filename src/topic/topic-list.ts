import { setFlagsFromString } from 'node:v8';
import { crc32c } from '../protocol/checksum.js';
import { parseTopicName } from './topic-name.js';

/**
 * Topic lists for regex subscriptions (Pulsar's TopicList, TopicsPatternFactory, SystemTopicNames):
 * which names a pattern selects, which names are system topics, and the hash clients compare.
 */

/** enableBrokerSideSubscriptionPatternEvaluation=true: the broker filters by pattern and keeps watchers. */
export const BROKER_SIDE_PATTERN_EVALUATION = true;
/** subscriptionPatternMaxLength=50: longer patterns are not evaluated by the broker. */
export const SUBSCRIPTION_PATTERN_MAX_LENGTH = 50;

const SCHEME_SEPARATOR = '://';

/**
 * TopicList.removeTopicDomainScheme: `persistent://t/ns/x.*` → `t/ns/x.*`; text before a domain
 * (such as `^` in `^persistent://…`) is kept. Another scheme is an error, as in Pulsar.
 */
export function removeTopicDomainScheme(pattern: string): string {
  const at = pattern.indexOf(SCHEME_SEPARATOR);
  if (at < 0) return pattern;
  let prefix = pattern.slice(0, at);
  const rest = pattern.slice(at + SCHEME_SEPARATOR.length).split(SCHEME_SEPARATOR)[0]!;
  if (prefix === 'persistent' || prefix === 'non-persistent') prefix = '';
  else if (prefix.endsWith('non-persistent')) prefix = prefix.slice(0, -'non-persistent'.length);
  else if (prefix.endsWith('persistent')) prefix = prefix.slice(0, -'persistent'.length);
  else throw new Error(`Does not support topic domain: ${prefix}`);
  return prefix + rest;
}

/** A compiled topics pattern; `matches` is a whole-string match like java.util.regex/RE2J `matches()`. */
export interface TopicsPattern {
  /** The pattern without its domain scheme, as the broker evaluates it. */
  readonly source: string;
  matches(domainLessName: string): boolean;
}

/**
 * A valid pattern this broker will not run: it needs backtracking (backreferences, lookaround, case folding)
 * and has quantified groups or many unbounded repeats, which could stall the event loop on long names.
 */
export class UnsafeTopicsPatternError extends Error {
  constructor(source: string) {
    super(`Pattern ${source} needs a backtracking regex engine and is not evaluated by this broker`);
    this.name = 'UnsafeTopicsPatternError';
  }
}

/**
 * Compiles a client's pattern (TopicsPatternFactory.create): the domain scheme is removed and `.*`
 * matches everything. Java's leading inline flags `(?i)`/`(?s)`/`(?m)` become JS flags. Patterns come
 * from clients and Pulsar runs them with RE2J, which never backtracks, so V8's linear-time engine is
 * used where it can run the pattern; a pattern it cannot run is only run by the backtracking engine
 * when it looks harmless, else UnsafeTopicsPatternError. An invalid pattern throws SyntaxError.
 */
export function compileTopicsPattern(pattern: string): TopicsPattern {
  const source = removeTopicDomainScheme(pattern);
  if (source === '.*') return { source, matches: () => true };
  const inline = /^\(\?([ims]+)\)/.exec(source);
  const flags = inline ? [...new Set(inline[1])].join('') : '';
  const anchored = `^(?:${inline ? source.slice(inline[0].length) : source})$`;
  const backtracking = new RegExp(anchored, flags);
  const regex = linearRegExp(anchored, flags) ?? (backtrackingLooksSafe(anchored) ? backtracking : undefined);
  if (!regex) throw new UnsafeTopicsPatternError(source);
  return { source, matches: (name) => regex.test(name) };
}

let linearEngine: boolean | undefined;

/** The pattern on V8's linear-time engine (RegExp flag `l`), or undefined when it cannot run it. */
function linearRegExp(source: string, flags: string): RegExp | undefined {
  if (linearEngine === undefined) {
    try {
      setFlagsFromString('--enable-experimental-regexp-engine');
      linearEngine = new RegExp('a', 'l').test('a');
    } catch {
      linearEngine = false;
    }
  }
  if (!linearEngine) return undefined;
  try {
    return new RegExp(source, `${flags}l`);
  } catch {
    return undefined;
  }
}

/** No quantified group and at most two unbounded repeats: backtracking stays polynomial and small. */
function backtrackingLooksSafe(source: string): boolean {
  const withoutEscapes = source.replace(/\\./g, 'x');
  if (/\)[*+?{]/.test(withoutEscapes)) return false;
  return (withoutEscapes.match(/[*+]|\{\d+,\}/g) ?? []).length <= 2;
}

/** `persistent://t/ns/x-partition-2` → `t/ns/x`: what patterns are matched against (TopicList.filterTopics). */
export function domainLessBaseName(fullName: string): string {
  const { baseName } = parseTopicName(fullName);
  return baseName.slice(baseName.indexOf(SCHEME_SEPARATOR) + SCHEME_SEPARATOR.length);
}

/** TopicList.filterTopics: the names (partitions kept) whose base name matches the pattern. */
export function filterTopics(topics: readonly string[], pattern: TopicsPattern): string[] {
  return topics.filter((topic) => pattern.matches(domainLessBaseName(topic)));
}

/** SystemTopicNames.EVENTS_TOPIC_NAMES. */
const EVENTS_TOPIC_NAMES = new Set([
  '__change_events', '__transaction_buffer_snapshot', '__transaction_buffer_snapshot_indexes',
  '__transaction_buffer_snapshot_segments',
]);

/**
 * SystemTopicNames.isSystemTopic: topic-policy and transaction-buffer event topics, the transaction
 * coordinator's topics in pulsar/system and pending-ack stores. Judged on the base name.
 */
export function isSystemTopic(fullName: string): boolean {
  const name = parseTopicName(fullName);
  const local = name.baseName.slice(name.baseName.lastIndexOf('/') + 1);
  if (EVENTS_TOPIC_NAMES.has(local)) return true;
  const base = name.baseName;
  return base.startsWith('persistent://pulsar/system/transaction_coordinator_assign')
    || base.startsWith('persistent://pulsar/system/__transaction_log_')
    || base.endsWith('__transaction_pending_ack');
}

/** TopicList.filterSystemTopic. */
export function filterSystemTopics(topics: readonly string[]): string[] {
  return topics.filter((topic) => !isSystemTopic(topic));
}

/**
 * TopicList.calculateHash: CRC32C of the sorted names joined by commas, as Guava's HashCode.toString
 * renders it: lower-case hex of the little-endian bytes.
 */
export function topicsHash(topics: readonly string[]): string {
  const sorted = [...topics].sort();
  const hash = Buffer.alloc(4);
  hash.writeUInt32LE(crc32c(Buffer.from(sorted.join(','), 'utf8')), 0);
  return hash.toString('hex');
}

export type TopicListChange = 'created' | 'deleted';
export type TopicListListener = (topic: string, change: TopicListChange) => void;

/**
 * Who wants to hear about persistent topics (partitions included) appearing in or leaving a namespace
 * (Pulsar's TopicResources.registerPersistentTopicListener, fed by managed-ledger node events).
 */
export class TopicListEvents {
  private readonly listeners = new Map<string, Set<TopicListListener>>();

  /** Listens to `tenant/ns`; the returned function stops listening. */
  listen(namespace: string, listener: TopicListListener): () => void {
    let set = this.listeners.get(namespace);
    if (!set) this.listeners.set(namespace, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(namespace) === set) this.listeners.delete(namespace);
    };
  }

  emit(fullName: string, change: TopicListChange): void {
    const { tenant, namespace } = parseTopicName(fullName);
    const set = this.listeners.get(`${tenant}/${namespace}`);
    if (!set) return;
    for (const listener of [...set]) listener(fullName, change);
  }

  /** Listeners on one namespace, for tests and stats. */
  count(namespace: string): number {
    return this.listeners.get(namespace)?.size ?? 0;
  }
}
