import { newGetOrCreateSchemaResponse, newGetSchemaError } from '../../protocol/commands.js';
import { parseTopicName } from '../../topic/topic-name.js';
import { ServerError, type BaseCommand } from '../../protocol/wire-types.js';
import type { Connection } from '../connection.js';

/** GET_SCHEMA: no schema registry yet, so every topic answers "no schema" as Pulsar does for a schema-less topic. */
export function handleGetSchema(conn: Connection, cmd: BaseCommand): void {
  const request = cmd.getSchema!;
  conn.write(newGetSchemaError(request.request_id, ServerError.TopicNotFound, `Topic not found or no-schema ${request.topic}`));
}

/**
 * GET_OR_CREATE_SCHEMA (Java multi-schema and AUTO_PRODUCE producers, e.g. the dead-letter producer):
 * without a schema registry every schema is accepted and no version is assigned (empty version bytes,
 * which clients treat as "no schema version"). The topic must exist, as in ServerCnx.handleGetOrCreateSchema.
 */
export async function handleGetOrCreateSchema(conn: Connection, cmd: BaseCommand): Promise<void> {
  const request = cmd.getOrCreateSchema!;
  try {
    const name = parseTopicName(request.topic);
    if (!(await conn.ctx.registry.exists(name.full))) {
      conn.write(newGetOrCreateSchemaResponse(request.request_id, ServerError.TopicNotFound, `Topic not found ${name.full}`));
      return;
    }
    conn.write(newGetOrCreateSchemaResponse(request.request_id));
  } catch (error) {
    conn.write(newGetOrCreateSchemaResponse(request.request_id, ServerError.IncompatibleSchema, (error as Error).message));
  }
}
