#!/usr/bin/env python3
"""Drain load generator for the Vela benchmark; bench/run.mjs drives it.

Subscribes one Exclusive consumer at the earliest position of a topic that already holds a
backlog, receives and acknowledges (individually; the client groups acks) until --count messages
arrived (counting message ids seen twice as duplicates), nothing arrived for --idle seconds, or --time-cap passed.

Protocol on stdout:
    START <unix_s>         just before subscribe (the timed window includes subscribing)
    DONE <unix_s>          the last message arrived
    RESULT <json>
"""
import argparse
import json
import resource
import sys
import time

import pulsar


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--subscription', default='bench-drain')
    ap.add_argument('--count', type=int, required=True, help='messages expected in the backlog')
    ap.add_argument('--receiver-queue', type=int, default=1000)
    ap.add_argument('--time-cap', type=float, default=60.0)
    ap.add_argument('--idle', type=float, default=5.0, help='give up after this many seconds without a message')
    args = ap.parse_args()

    client = pulsar.Client(args.url, operation_timeout_seconds=30,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    cpu0 = cpu_seconds()
    wall0 = time.time()
    t0 = time.perf_counter()
    print(f'START {wall0:.6f}', flush=True)
    consumer = client.subscribe(args.topic, args.subscription,
                                consumer_type=pulsar.ConsumerType.Exclusive,
                                initial_position=pulsar.InitialPosition.Earliest,
                                receiver_queue_size=args.receiver_queue)
    subscribed_s = time.perf_counter() - t0
    deadline = t0 + args.time_cap
    received = 0
    duplicates = 0
    seen = set()  # (ledger, entry, batch index) of every message, to catch redeliveries
    payload_bytes = 0
    first_at = None
    last_at = t0
    stop_reason = 'count'
    idle_ms = int(args.idle * 1000)
    while received < args.count:
        if time.perf_counter() > deadline:
            stop_reason = 'time cap'
            break
        try:
            msg = consumer.receive(timeout_millis=idle_ms)
        except pulsar.Timeout:
            stop_reason = f'nothing for {args.idle:g} s'
            break
        last_at = time.perf_counter()
        if first_at is None:
            first_at = last_at
        received += 1
        mid = msg.message_id()
        key = (mid.ledger_id(), mid.entry_id(), mid.batch_index())
        if key in seen:
            duplicates += 1
        else:
            seen.add(key)
        payload_bytes += len(msg.data())
        consumer.acknowledge(msg)
    cpu1 = cpu_seconds()
    elapsed = last_at - t0
    print(f'DONE {wall0 + elapsed:.6f}', flush=True)
    result = {
        'expected': args.count,
        'received': received,
        'duplicates': duplicates,
        'payload_bytes': payload_bytes,
        'stop_reason': stop_reason,
        'subscribe_s': subscribed_s,
        'first_message_s': (first_at - t0) if first_at is not None else None,
        'start_unix_s': wall0,
        'end_unix_s': wall0 + elapsed,
        'elapsed_s': elapsed,
        'client_cpu_s': cpu1 - cpu0,
    }
    print('RESULT ' + json.dumps(result), flush=True)
    try:
        consumer.close()  # flushes the grouped acks
        client.close()
    except Exception as e:
        print(f'close failed: {e}', file=sys.stderr, flush=True)
    sys.exit(0 if received == args.count and duplicates == 0 else 3)


if __name__ == '__main__':
    main()
