import protobuf from 'protobufjs';
import { packageFile } from '../package-files.js';
import { installExactAckSetDecoding } from './ack-set-wire.js';
import { installWideIntegers } from './wide-integers.js';

// 64-bit fields decode to numbers, or to exact BigInts above 2^53 (wide-integers.ts), never Long objects.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
installWideIntegers();

/** The parsed proto as JSON, put in by scripts/bundle.mjs: reading it is faster at start-up than parsing the text. */
declare const __PULSAR_API_DESCRIPTOR__: protobuf.INamespace | undefined;

function loadRoot(): protobuf.Root {
  if (typeof __PULSAR_API_DESCRIPTOR__ !== 'undefined') return protobuf.Root.fromJSON(__PULSAR_API_DESCRIPTOR__);
  return new protobuf.Root().loadSync(packageFile('proto/PulsarApi.proto'), { keepCase: true });
}

const root = loadRoot();
root.resolveAll();
installExactAckSetDecoding(root.lookupType('pulsar.proto.MessageIdData'));

export const BaseCommandType = root.lookupType('pulsar.proto.BaseCommand');
export const MessageMetadataType = root.lookupType('pulsar.proto.MessageMetadata');
export const SingleMessageMetadataType = root.lookupType('pulsar.proto.SingleMessageMetadata');

/** protobufjs accepts {low, high} for 64-bit fields; this is 2^64-1, Pulsar's "-1" request id. */
export const UINT64_MINUS_ONE = { low: -1, high: -1, unsigned: true } as unknown as number;
