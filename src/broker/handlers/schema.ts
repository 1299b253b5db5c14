import { newGetSchemaError } from '../../protocol/commands.js';
import { ServerError, type BaseCommand } from '../../protocol/wire-types.js';
import type { Connection } from '../connection.js';

/** GET_SCHEMA: no schema registry yet, so every topic answers "no schema" as Pulsar does for a schema-less topic. */
export function handleGetSchema(conn: Connection, cmd: BaseCommand): void {
  const request = cmd.getSchema!;
  conn.write(newGetSchemaError(request.request_id, ServerError.TopicNotFound, `Topic not found or no-schema ${request.topic}`));
}
