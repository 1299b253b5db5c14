#!/usr/bin/env python3
"""Start-up probe for bench/run.mjs: time until a client's first produce succeeds.

Imports the client first and prints LOADED, so interpreter start-up is not counted. Then reads a
service URL on stdin, connects, creates a producer, sends one message synchronously (the broker
answers after fsync), prints PRODUCED, and closes the client.
"""
import sys

import pulsar


def main():
    topic = sys.argv[1] if len(sys.argv) > 1 else 'persistent://public/default/bench-first-produce'
    print('LOADED', flush=True)
    url = sys.stdin.readline().strip()
    if not url:
        sys.exit(2)
    client = pulsar.Client(url, operation_timeout_seconds=10,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    try:
        producer = client.create_producer(topic, send_timeout_millis=10000)
        producer.send(b'first')
        print('PRODUCED', flush=True)
        producer.close()
    except Exception as e:
        print(f'FAILED {type(e).__name__}: {e}', flush=True)
        client.close()
        sys.exit(3)
    client.close()


if __name__ == '__main__':
    main()
