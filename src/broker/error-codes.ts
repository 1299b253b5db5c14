import { BrokerError } from '../errors.js';
import { EntryFormatError } from '../protocol/peek.js';
import { ServerError, type ServerErrorCode } from '../protocol/wire-types.js';
import { InvalidTopicNameError } from '../topic/topic-name.js';

/** The one place broker errors become wire codes (Pulsar BrokerServiceException.getClientErrorCode). */
export function toServerError(error: unknown): { code: ServerErrorCode; message: string } {
  if (error instanceof BrokerError) return { code: ServerError[error.code], message: error.message };
  if (error instanceof InvalidTopicNameError) return { code: ServerError.InvalidTopicName, message: error.message };
  if (error instanceof EntryFormatError) return { code: ServerError.MetadataError, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: ServerError.UnknownError, message: message || 'Unknown error' };
}
