/**
 * Pulsar topic names: `{persistent|non-persistent}://tenant/namespace/local`.
 * Short forms expand like the clients do (Java TopicName, Go internal/topic_name.go):
 * `local` → persistent://public/default/local, `tenant/ns/local` → persistent://tenant/ns/local.
 */
export interface TopicName {
  readonly domain: 'persistent' | 'non-persistent';
  readonly tenant: string;
  readonly namespace: string;
  /** Local name including any -partition-N suffix. */
  readonly localName: string;
  /** Fully qualified name. */
  readonly full: string;
  /** Partition index from a `-partition-N` suffix, -1 when none. */
  readonly partitionIndex: number;
  /** Fully qualified name without the partition suffix. */
  readonly baseName: string;
}

export class InvalidTopicNameError extends Error {
  constructor(name: string, reason: string) {
    super(`Invalid topic name '${name}': ${reason}`);
    this.name = 'InvalidTopicNameError';
  }
}

export const PARTITION_SUFFIX = '-partition-';
const MAX_TOPIC_NAME_LENGTH = 2048;
// Pulsar's NamedEntity rule for tenant and namespace names.
const NAMED_ENTITY = /^[-=:.\w]+$/;

export function parseTopicName(input: string): TopicName {
  if (typeof input !== 'string' || input.length === 0) throw new InvalidTopicNameError(String(input), 'empty');
  if (input.length > MAX_TOPIC_NAME_LENGTH) throw new InvalidTopicNameError(input.slice(0, 64), 'too long');
  let domain: string = 'persistent';
  let rest = input;
  const scheme = input.indexOf('://');
  if (scheme >= 0) {
    domain = input.slice(0, scheme);
    rest = input.slice(scheme + 3);
  } else if (!input.includes('/')) {
    rest = `public/default/${input}`;
  }
  if (domain !== 'persistent' && domain !== 'non-persistent') throw new InvalidTopicNameError(input, `unknown domain '${domain}'`);
  const parts = rest.split('/');
  // tenant/ns/local, or the legacy v1 form tenant/cluster/ns/local where the namespace spans two parts.
  if (parts.length < 3) throw new InvalidTopicNameError(input, 'expected tenant/namespace/topic');
  const [tenant, ...afterTenant] = parts as [string, ...string[]];
  const legacy = parts.length >= 4;
  const namespaceParts = legacy ? afterTenant.slice(0, 2) : afterTenant.slice(0, 1);
  const localName = afterTenant.slice(namespaceParts.length).join('/');
  if (!NAMED_ENTITY.test(tenant)) throw new InvalidTopicNameError(input, 'invalid tenant');
  for (const part of namespaceParts) {
    if (!NAMED_ENTITY.test(part)) throw new InvalidTopicNameError(input, 'invalid namespace');
  }
  if (localName.length === 0) throw new InvalidTopicNameError(input, 'empty local name');
  const namespace = namespaceParts.join('/');
  const full = `${domain}://${tenant}/${namespace}/${localName}`;
  const partitionIndex = partitionIndexOf(localName);
  const baseName = partitionIndex >= 0 ? full.slice(0, full.lastIndexOf(PARTITION_SUFFIX)) : full;
  return { domain, tenant, namespace, localName, full, partitionIndex, baseName };
}

/** Pulsar's NamedEntity.checkName: what tenant and namespace names may contain. */
export function isNamedEntity(name: string): boolean {
  return NAMED_ENTITY.test(name);
}

function partitionIndexOf(localName: string): number {
  const at = localName.lastIndexOf(PARTITION_SUFFIX);
  if (at < 0) return -1;
  const digits = localName.slice(at + PARTITION_SUFFIX.length);
  return /^\d{1,9}$/.test(digits) ? Number(digits) : -1;
}

export function partitionName(base: string, index: number): string {
  return `${base}${PARTITION_SUFFIX}${index}`;
}
