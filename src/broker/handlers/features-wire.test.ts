import { afterEach, describe, expect, it } from 'vitest';
import { CommandType, ServerError } from '../../protocol/wire-types.js';
import { newTestContext } from '../../test-support/broker-context.js';
import { FakeClient } from '../../test-support/fake-client.js';
import { Connection } from '../connection.js';
import type { BrokerContext } from '../context.js';

const TOPIC = 'persistent://public/default/features-wire';
/** uint64 -1 as protobufjs hands it over when 64-bit fields decode to numbers. */
const MINUS_ONE_U64 = 2n ** 64n - 1n;

const clients: FakeClient[] = [];
async function connect(ctx: BrokerContext): Promise<FakeClient> {
  const client = new FakeClient();
  new Connection(client.brokerSide, ctx);
  clients.push(client);
  await client.connect();
  return client;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.brokerSide.destroy();
});

describe('deduplication and ack answers on the wire', () => {
  it('answers a duplicate with a receipt for (-1,-1) and tells a returning producer its last sequence id', async () => {
    const ctx = newTestContext({ brokerDeduplicationEnabled: true });
    const client = await connect(ctx);
    client.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 1, request_id: 1, producer_name: 'orders' });
    expect((await client.next(CommandType.PRODUCER_SUCCESS)).command.producer_success.last_sequence_id).toBe(-1);
    client.publish(1, 0, 'a');
    client.publish(1, 1, 'b');
    // Still being written when the copy arrives: SEND_ERROR, the client reconnects and retries.
    client.publish(1, 1, 'b while in flight');
    const inFlight = (await client.next(CommandType.SEND_ERROR)).command.send_error;
    expect(inFlight).toMatchObject({ sequence_id: 1, error: ServerError.PersistenceError });
    const receipts = [await client.next(CommandType.SEND_RECEIPT), await client.next(CommandType.SEND_RECEIPT)];
    client.publish(1, 1, 'b again');
    receipts.push(await client.next(CommandType.SEND_RECEIPT));
    expect(receipts.map((r) => r.command.send_receipt.sequence_id)).toEqual([0, 1, 1]);
    const [, stored, duplicate] = receipts.map((r) => r.command.send_receipt);
    expect(duplicate.message_id).toMatchObject({ ledgerId: MINUS_ONE_U64, entryId: MINUS_ONE_U64 });
    expect(stored.message_id.ledgerId).not.toBe(MINUS_ONE_U64);
    client.send(CommandType.CLOSE_PRODUCER, 'close_producer', { producer_id: 1, request_id: 2 });
    await client.next(CommandType.SUCCESS);
    client.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 2, request_id: 3, producer_name: 'orders' });
    expect((await client.next(CommandType.PRODUCER_SUCCESS)).command.producer_success.last_sequence_id).toBe(1);
  });

  it('answers a transactional ack with ACK_RESPONSE NotAllowedError and a message, a plain one without', async () => {
    const client = await connect(newTestContext());
    client.send(CommandType.SUBSCRIBE, 'subscribe', {
      topic: TOPIC, subscription: 's', subType: 1, consumer_id: 5, request_id: 1, initialPosition: 1,
    });
    await client.next(CommandType.SUCCESS);
    client.send(CommandType.ACK, 'ack', {
      consumer_id: 5, ack_type: 0, message_id: [{ ledgerId: 1, entryId: 0 }], request_id: 7, txnid_least_bits: 1, txnid_most_bits: 0,
    });
    const failed = (await client.next(CommandType.ACK_RESPONSE)).command.ackResponse;
    expect(failed).toMatchObject({ consumer_id: 5, request_id: 7, error: ServerError.NotAllowedError });
    expect(failed.message).toBeTruthy();
    client.send(CommandType.ACK, 'ack', { consumer_id: 5, ack_type: 0, message_id: [{ ledgerId: 1, entryId: 0 }], request_id: 8 });
    const ok = (await client.next(CommandType.ACK_RESPONSE)).command.ackResponse;
    expect(ok).toMatchObject({ consumer_id: 5, request_id: 8 });
    expect(Object.prototype.hasOwnProperty.call(ok, 'error')).toBe(false);
  });

  it('redelivers a partly acknowledged batch with MESSAGE.ack_set', async () => {
    const client = await connect(newTestContext());
    client.send(CommandType.SUBSCRIBE, 'subscribe', {
      topic: TOPIC, subscription: 'b', subType: 1, consumer_id: 3, request_id: 1, initialPosition: 1,
    });
    await client.next(CommandType.SUCCESS);
    client.send(CommandType.FLOW, 'flow', { consumer_id: 3, messagePermits: 100 });
    client.send(CommandType.PRODUCER, 'producer', { topic: TOPIC, producer_id: 1, request_id: 2 });
    await client.next(CommandType.PRODUCER_SUCCESS);
    client.publish(1, 0, 'batch', { numMessages: 3 });
    const first = (await client.next(CommandType.MESSAGE)).command.message;
    expect(first.ack_set ?? []).toEqual([]);
    const id = { ledgerId: first.message_id.ledgerId, entryId: first.message_id.entryId };
    client.send(CommandType.ACK, 'ack', { consumer_id: 3, ack_type: 0, message_id: [{ ...id, ack_set: [{ low: 0b101, high: 0 }] }], request_id: 3 });
    await client.next(CommandType.ACK_RESPONSE);
    client.send(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES, 'redeliverUnacknowledgedMessages', { consumer_id: 3, message_ids: [id] });
    const again = (await client.next(CommandType.MESSAGE)).command.message;
    expect(again.redelivery_count).toBe(1);
    // CommandMessage.ack_set is decoded as plain numbers here (only MessageIdData keeps exact words).
    expect(again.ack_set).toEqual([0b101]);
  });
});
