#!/usr/bin/env python3
"""Smoke check of a running reference Pulsar with the official Python client.

Produces 10 messages to persistent://public/default/ref-smoke and consumes
them on a new subscription positioned at Earliest, checking payload, key,
properties and order. Messages left on the topic by earlier runs (for example
after start-pulsar.sh --keep-data) are skipped: only this run's messages,
tagged with a run id, are counted.

Usage: smoke.py [--service-url URL] [--topic T] [--count N] [--timeout S]
Service URL defaults to $PULSAR_SERVICE_URL, else pulsar://127.0.0.1:6650.
Needs pulsar-client (pinned: 3.13.0). Exit status 0 on success.
"""
import argparse
import os
import sys
import time
import uuid

import pulsar


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--service-url",
                    default=os.environ.get("PULSAR_SERVICE_URL", "pulsar://127.0.0.1:6650"))
    ap.add_argument("--topic", default="persistent://public/default/ref-smoke")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="overall bound for the receive phase, seconds")
    args = ap.parse_args()

    run_id = uuid.uuid4().hex[:12]
    client = pulsar.Client(
        args.service_url,
        operation_timeout_seconds=30,
        connection_timeout_ms=10000,
        logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn),
    )
    failures = []
    try:
        producer = client.create_producer(args.topic, producer_name=f"ref-smoke-{run_id}",
                                          batching_enabled=False, send_timeout_millis=30000)
        sent_ids = []
        for i in range(args.count):
            msg_id = producer.send(f"{run_id}:{i}".encode(),
                                   partition_key=f"k{i}",
                                   properties={"run": run_id, "seq": str(i)})
            sent_ids.append(msg_id)
        producer.flush()
        producer.close()
        print(f"smoke: produced {args.count} messages to {args.topic} "
              f"(first id {sent_ids[0]}, last id {sent_ids[-1]})")

        consumer = client.subscribe(
            args.topic,
            subscription_name=f"ref-smoke-sub-{run_id}",
            consumer_type=pulsar.ConsumerType.Exclusive,
            initial_position=pulsar.InitialPosition.Earliest,
        )
        got = []
        skipped = 0
        deadline = time.monotonic() + args.timeout
        while len(got) < args.count:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                failures.append(f"timed out: received {len(got)}/{args.count} messages of this run")
                break
            try:
                msg = consumer.receive(timeout_millis=min(left_ms, 5000))
            except pulsar.Timeout:
                continue
            consumer.acknowledge(msg)
            if msg.properties().get("run") != run_id:
                skipped += 1
                continue
            got.append(msg)
        consumer.unsubscribe()
        consumer.close()

        for i, msg in enumerate(got):
            want = f"{run_id}:{i}".encode()
            if msg.data() != want:
                failures.append(f"message {i}: payload {msg.data()!r}, want {want!r}")
            if msg.partition_key() != f"k{i}":
                failures.append(f"message {i}: key {msg.partition_key()!r}, want 'k{i}'")
            if msg.properties().get("seq") != str(i):
                failures.append(f"message {i}: properties {msg.properties()!r}")
            if str(msg.message_id()) != str(sent_ids[i]):
                failures.append(f"message {i}: id {msg.message_id()} != sent id {sent_ids[i]}")
        print(f"smoke: consumed {len(got)} messages of this run from Earliest"
              + (f" (skipped {skipped} from earlier runs)" if skipped else ""))
    except Exception as e:  # noqa: BLE001 - report any client error as a failure
        failures.append(f"{type(e).__name__}: {e}")
    finally:
        client.close()

    for f in failures:
        print(f"smoke: FAIL {f}")
    ok = not failures
    print(f"smoke: {'OK' if ok else 'FAILED'} service={args.service_url} topic={args.topic}")
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
