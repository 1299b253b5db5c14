import { newConnected } from '../../protocol/commands.js';
import { MAX_PROTOCOL_VERSION, type CommandConnect } from '../../protocol/wire-types.js';
import { BROKER_SIDE_PATTERN_EVALUATION } from '../../topic/topic-list.js';
import type { Connection } from '../connection.js';

/**
 * CONNECT → CONNECTED, always the first reply. protocol_version = min(client, 21) exactly as
 * Commands.newConnectedCommand; authentication is not enabled, so auth fields are ignored like
 * Pulsar does when authenticationEnabled=false.
 */
export function handleConnect(conn: Connection, connect: CommandConnect): void {
  conn.protocolVersion = Math.max(0, Math.min(connect.protocol_version ?? 0, MAX_PROTOCOL_VERSION));
  conn.clientVersion = connect.client_version;
  const { config, serverVersion } = conn.ctx;
  conn.write(newConnected(serverVersion, conn.protocolVersion, config.maxMessageSizeBytes, {
    // PIP-344: PARTITIONED_METADATA honours metadata_auto_creation_enabled=false.
    supports_get_partitioned_metadata_without_auto_creation: true,
    // PIP-145 topic-list watchers (topic-list-watch.ts); Pulsar 4.0 advertises enableBrokerSideSubscriptionPatternEvaluation.
    supports_topic_watchers: BROKER_SIDE_PATTERN_EVALUATION,
  }));
}
