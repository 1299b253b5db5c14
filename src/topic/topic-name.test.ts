import { describe, expect, it } from 'vitest';
import { InvalidTopicNameError, parseTopicName } from './topic-name.js';

describe('parseTopicName', () => {
  it('expands short names as the clients do', () => {
    expect(parseTopicName('orders').full).toBe('persistent://public/default/orders');
    expect(parseTopicName('acme/billing/orders').full).toBe('persistent://acme/billing/orders');
  });

  it('keeps fully qualified names and parses partitions', () => {
    const name = parseTopicName('persistent://public/default/orders-partition-3');
    expect(name).toMatchObject({ tenant: 'public', namespace: 'default', partitionIndex: 3 });
    expect(name.baseName).toBe('persistent://public/default/orders');
    expect(parseTopicName('non-persistent://t/n/x').domain).toBe('non-persistent');
    expect(parseTopicName('persistent://public/default/a-partition-x').partitionIndex).toBe(-1);
  });

  it('accepts legacy v1 names with a cluster', () => {
    const name = parseTopicName('persistent://acme/standalone/ns/t');
    expect(name.namespace).toBe('standalone/ns');
    expect(name.localName).toBe('t');
  });

  it('rejects malformed names', () => {
    for (const bad of ['', 'kafka://a/b/c', 'persistent://a/b', 'persistent://a b/c/d', 'persistent://a/b/', 'x/y']) {
      expect(() => parseTopicName(bad), bad).toThrow(InvalidTopicNameError);
    }
  });
});
