#!/usr/bin/env python3
"""Produce load generator for the Vela benchmark; bench/run.mjs drives it.

Sends --count messages of --size bytes with the official client's public API (send_async with a
callback per message, block_if_queue_full=True) and records, per message, the time from
send_async() to its callback: the publish latency, which includes the broker's fsync because Vela
answers SEND_RECEIPT only once the entry is durable.

Protocol on stdout (nothing else is printed there; the client library logs to stderr):
    READY                  producers are connected and the warm-up is done; waits for "GO" on stdin
                           (so several processes start together; --no-wait skips this)
    START <unix_s>         first send of the timed window
    DONE <unix_s>          last callback of the timed window (or the wait gave up)
    RESULT <json>          the figures; --lat-out gets every latency (float64 ms, native order)
"""
import argparse
import array
import functools
import json
import os
import resource
import sys
import threading
import time

import pulsar


def cpu_seconds():
    """CPU time of the whole process: the Python thread plus the C++ client's I/O threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--count', type=int, required=True)
    ap.add_argument('--size', type=int, default=1024)
    ap.add_argument('--batching', choices=['on', 'off'], default='on')
    ap.add_argument('--producers', type=int, default=1, help='producers on the topic in this process, used round-robin')
    ap.add_argument('--max-pending', type=int, default=50000, help='max_pending_messages of each producer')
    ap.add_argument('--warmup', type=int, default=0, help='messages sent to <topic>-warmup before the timed window')
    ap.add_argument('--rate', type=float, default=0.0, help='messages per second from this process; 0 = as fast as possible')
    ap.add_argument('--time-cap', type=float, default=60.0, help='seconds; stop sending after this')
    ap.add_argument('--grace', type=float, default=30.0, help='seconds to wait for outstanding receipts')
    ap.add_argument('--lat-out', help='file for the raw latencies')
    ap.add_argument('--no-wait', action='store_true', help='start without waiting for GO')
    args = ap.parse_args()

    client = pulsar.Client(args.url, operation_timeout_seconds=30,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    producer_options = dict(
        block_if_queue_full=True,
        max_pending_messages=args.max_pending,
        max_pending_messages_across_partitions=max(50000, args.max_pending),
        # Above the time cap, so a slow broker shows up as latency rather than as send timeouts.
        send_timeout_millis=int((args.time_cap + args.grace) * 1000),
        # 'on' switches batching on and leaves every batching_* option at the client's default
        # (batching_max_messages=1000, batching_max_allowed_size_in_bytes=128 KiB,
        # batching_max_publish_delay_ms=10).
        batching_enabled=(args.batching == 'on'),
    )
    payload = os.urandom(args.size)

    if args.warmup > 0:
        warm = client.create_producer(args.topic + '-warmup', **producer_options)
        for _ in range(args.warmup):
            warm.send_async(payload, lambda res, mid: None)
        warm.flush()
        warm.close()

    producers = [client.create_producer(args.topic, **producer_options) for _ in range(args.producers)]

    if not args.no_wait:
        print('READY', flush=True)
        line = sys.stdin.readline()
        if line.strip() != 'GO':
            client.close()
            sys.exit(2)

    n = args.count
    sent_at = array.array('d', bytes(8 * n))
    done_at = array.array('d', bytes(8 * n))
    lock = threading.Lock()
    state = {'acked': 0, 'failed': 0, 'first_error': None, 'target': n}
    finished = threading.Event()
    clock = time.perf_counter

    def on_done(i, res, _msg_id):
        done_at[i] = clock()
        with lock:
            if res == pulsar.Result.Ok:
                state['acked'] += 1
            else:
                state['failed'] += 1
                if state['first_error'] is None:
                    state['first_error'] = str(res)
            if state['acked'] + state['failed'] >= state['target']:
                finished.set()

    cpu0 = cpu_seconds()
    wall0 = time.time()
    t0 = clock()
    print(f'START {wall0:.6f}', flush=True)
    deadline = t0 + args.time_cap
    capped = False
    sent = 0
    np = len(producers)
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    sleep = time.sleep
    for i in range(n):
        if (i & 1023) == 0 and i and clock() > deadline:
            capped = True
            break
        if interval:
            # Paced on a fixed schedule; a loop that fell behind catches up by sending back to back.
            due = t0 + i * interval
            wait = due - clock()
            if wait > 0:
                sleep(wait)
        sent_at[i] = clock()
        producers[i % np].send_async(payload, functools.partial(on_done, i))
        sent += 1
    send_loop_s = clock() - t0
    with lock:
        state['target'] = sent
        if state['acked'] + state['failed'] >= sent:
            finished.set()
    for p in producers:
        # Sends a partly filled batch at once instead of after the 10 ms delay; the callbacks still
        # report every receipt. flush() returns early on errors, hence the wait below.
        try:
            p.flush()
        except Exception as e:
            print(f'flush failed: {e}', file=sys.stderr, flush=True)
    complete = finished.wait(max(0.0, deadline - clock()) + args.grace)
    t_end = clock()
    cpu1 = cpu_seconds()
    with lock:
        acked, failed, first_error = state['acked'], state['failed'], state['first_error']
    last_done = max(done_at[:sent]) if sent else t_end
    if not complete or last_done <= 0.0:
        last_done = t_end
    print(f'DONE {wall0 + (last_done - t0):.6f}', flush=True)

    lat = array.array('d', ((done_at[i] - sent_at[i]) * 1000.0 for i in range(sent) if done_at[i] > 0.0))
    if args.lat_out:
        with open(args.lat_out, 'wb') as f:
            lat.tofile(f)
    elapsed = last_done - t0
    result = {
        'batching': args.batching,
        'rate': args.rate,
        'producers': np,
        'max_pending_messages': args.max_pending,
        'size': args.size,
        'requested': n,
        'sent': sent,
        'acked': acked,
        'failed': failed,
        'missing_receipts': sent - acked - failed,
        'first_error': first_error,
        'time_capped': capped,
        'complete': complete,
        'start_unix_s': wall0,
        'end_unix_s': wall0 + elapsed,
        'elapsed_s': elapsed,
        'send_loop_s': send_loop_s,
        'client_cpu_s': cpu1 - cpu0,
        'latencies': len(lat),
    }
    print('RESULT ' + json.dumps(result), flush=True)
    try:
        for p in producers:
            p.close()
        client.close()
    except Exception as e:  # a close failure is reported but does not hide the figures
        print(f'close failed: {e}', file=sys.stderr, flush=True)
    sys.exit(0 if complete and failed == 0 else 3)


if __name__ == '__main__':
    main()
