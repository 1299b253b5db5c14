import type { TopicRegistry } from '../topic/registry.js';

/** Prometheus text with Pulsar's metric names for the figures Vela keeps (topic-level, cumulative). */
export function renderMetrics(registry: TopicRegistry, cluster: string, connections: number): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  gauge('pulsar_active_connections', 'Open client connections');
  lines.push(`pulsar_active_connections{cluster="${cluster}"} ${connections}`);
  const topics = registry.loadedTopics();
  const series: Array<[string, string, (t: (typeof topics)[number]) => number]> = [
    ['pulsar_producers_count', 'Producers of the topic', (t) => t.producers.size],
    ['pulsar_subscriptions_count', 'Subscriptions of the topic', (t) => t.subscriptions.size],
    ['pulsar_consumers_count', 'Consumers of the topic', (t) => [...t.subscriptions.values()].reduce((n, s) => n + s.consumers().length, 0)],
    ['pulsar_in_messages_total', 'Messages published since load', (t) => t.msgInCounter],
    ['pulsar_in_bytes_total', 'Bytes published since load', (t) => t.bytesInCounter],
    ['pulsar_storage_size', 'Bytes stored for the topic', (t) => t.ledger.sizeBytes()],
    ['pulsar_msg_backlog', 'Unacknowledged entries summed over subscriptions', (t) => [...t.subscriptions.values()].reduce((n, s) => n + s.cursor.backlogEntries(), 0)],
  ];
  for (const [name, help, value] of series) {
    gauge(name, help);
    for (const topic of topics) {
      const n = topic.topicName;
      lines.push(`${name}{cluster="${cluster}",namespace="${n.tenant}/${n.namespace}",topic="${n.full}"} ${value(topic)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
