package main

// Broker restarts through the runner's control endpoint (POST $COMPAT_CONTROL_URL/restart?mode=kill|term).

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsar/backoff"
)

func init() {
	register("restart-subscription-position", 280, restartSubscriptionPosition)
	register("consumer-across-restart", 280, consumerAcrossRestart)
	register("durability-kill", 280, durabilityKill)
	register("producer-across-restart", 280, producerAcrossRestart)
}

func needControl() {
	if controlURL == "" {
		skip("no control endpoint (external broker): cannot restart it")
	}
}

// PULSAR-REFERENCE.md §5.1: a durable cursor (mark-delete + individually acked ranges) survives a restart.
func restartSubscriptionPosition(x *X) {
	needControl()
	cl := x.client()
	t := topic("restart-pos")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs(seq("m", 0, 10)))
	got := drain(c, 10, secs(10), false)
	check(len(got) == 10, "received %d of 10", len(got))
	for _, m := range append(append([]pulsar.Message{}, got[:5]...), got[7]) {
		ok(c.Ack(m), "ack")
	}
	time.Sleep(500 * time.Millisecond)
	x.closeAll()
	controlRestart("term")
	cl = x.client()
	c = subEarliest(cl, t, "sub")
	again := drainQuiet(c, secs(30), 2*time.Second, false)
	check(equalStrings(again, []string{"m5", "m6", "m8", "m9"}), "after restart got %q, expected m5 m6 m8 m9", again)
}

// PROTOCOL.md §2.6/§2.7: producers and consumers that stay open across a broker restart reconnect by
// themselves (lookup, PRODUCER/SUBSCRIBE again); the durable cursor keeps acked messages acked
// (PULSAR-REFERENCE.md §5.1), so the consumer gets exactly the messages published after its acks.
// (Go: producer_partition.go / consumer_partition.go reconnectToBroker on connection close.)
func consumerAcrossRestart(x *X) {
	needControl()
	cl := x.client()
	t := topic("open-restart")
	bo := func() backoff.Policy { return &cappedBackoff{} }
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, BackOffPolicyFunc: bo})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true, SendTimeout: secs(300), BackOffPolicyFunc: bo})
	sendAll(p, msgs(seq("m", 0, 5)))
	check(equalStrings(texts(drain(c, 5, secs(10), true)), seq("m", 0, 5)), "first five not received")
	time.Sleep(500 * time.Millisecond)
	controlRestart("term")
	for i := 5; i < 10; i++ {
		// waits for the producer to reconnect and for the receipt
		ctx, cancel := context.WithTimeout(context.Background(), secs(150))
		_, err := p.Send(ctx, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("m%d", i))})
		cancel()
		ok(err, fmt.Sprintf("send m%d after the restart", i))
	}
	var got []string
	for len(got) < 5 {
		d := 5 * time.Second
		if len(got) == 0 {
			d = secs(60)
		}
		m := recv(c, d)
		if m == nil {
			break
		}
		got = append(got, string(m.Payload()))
		ok(c.Ack(m), "ack")
	}
	if extra := recv(c, 1500*time.Millisecond); extra != nil {
		got = append(got, string(extra.Payload()))
	}
	check(equalStrings(got, seq("m", 5, 10)), "after the restart the open consumer got %q", got)
}

// PULSAR-REFERENCE.md §5.10: SEND_RECEIPT means persisted; a process crash (SIGKILL) loses nothing receipted.
func durabilityKill(x *X) {
	needControl()
	const n = 2000
	cl := x.client()
	t := topic("durable")
	c := subEarliest(cl, t, "sub")
	bounded(secs(15), "close consumer", c.Close)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, BatchingMaxPublishDelay: 5 * time.Millisecond,
		MaxPendingMessages: 500}) // Go blocks SendAsync while the queue is full (DisableBlockIfQueueFull=false)
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("d%05d", i)
	}
	ids := sendAll(p, msgs(want))
	for i, id := range ids {
		check(id != nil, "send %d was not receipted", i)
	}
	x.closeAll()
	controlRestart("kill")
	cl = x.client()
	c = subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, ReceiverQueueSize: 1000})
	var got []string
	for len(got) < n {
		d := 5 * time.Second
		if len(got) == 0 {
			d = secs(30)
		}
		m := recv(c, d)
		if m == nil {
			break
		}
		got = append(got, string(m.Payload()))
		ok(c.Ack(m), "ack")
	}
	have := map[string]bool{}
	for _, g := range got {
		have[g] = true
	}
	var missing []string
	for _, w := range want {
		if !have[w] {
			missing = append(missing, w)
		}
	}
	check(len(missing) == 0, "%d receipted messages lost after SIGKILL, e.g. %q", len(missing), first(missing, 5))
	check(equalStrings(got, want), "all messages present but not in publish order (or duplicated)")
}

// cappedBackoff doubles from 100 ms up to 2 s, so a producer finds the restarted broker quickly
// (the default policy grows to 60 s between attempts).
type cappedBackoff struct{ d time.Duration }

const backoffCap = 2 * time.Second

func (b *cappedBackoff) Next() time.Duration {
	if b.d < 100*time.Millisecond {
		b.d = 100 * time.Millisecond
	} else if b.d *= 2; b.d > backoffCap {
		b.d = backoffCap
	}
	return b.d
}
func (b *cappedBackoff) IsMaxBackoffReached() bool { return b.d >= backoffCap }
func (b *cappedBackoff) Reset()                    { b.d = 0 }

var _ backoff.Policy = (*cappedBackoff)(nil)

// PROTOCOL.md §2.6: after a broker restart the client reconnects and resends what is pending; every
// receipted message must be stored (PULSAR-REFERENCE.md §5.10), first occurrences in send order (§5.3).
// (Go: producer_partition.go reconnectToBroker, then resends its pending queue in order.)
func producerAcrossRestart(x *X) {
	needControl()
	cl := x.client()
	t := topic("live-restart")
	c := subEarliest(cl, t, "sub")
	bounded(secs(15), "close consumer", c.Close)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true, MaxPendingMessages: 100,
		SendTimeout: secs(300), BackOffPolicyFunc: func() backoff.Policy { return &cappedBackoff{} }})
	var mu sync.Mutex
	receipted := map[int]bool{}
	var failed []string
	var stop atomic.Bool
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(receipted) }
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		for i := 0; !stop.Load(); i++ {
			i := i
			p.SendAsync(context.Background(), &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("r%06d", i))},
				func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed = append(failed, fmt.Sprintf("#%d: %v", i, err))
					} else {
						receipted[i] = true
					}
				})
			time.Sleep(2 * time.Millisecond)
		}
	}()
	func() {
		defer func() {
			stop.Store(true)
			select {
			case <-senderDone:
			case <-time.After(secs(60)):
				fail("sender still blocked in SendAsync %v after the restart test ended", secs(60))
			}
		}()
		waitFor := func(target int, d time.Duration) {
			deadline := time.Now().Add(d)
			for count() < target && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
		}
		waitFor(200, secs(30))
		check(count() >= 200, "only %d receipts before the restart", count())
		controlRestart("term")
		before := count()
		waitFor(before+200, secs(120))
		check(count() >= before+200, "producer did not recover: %d receipts after restart", count()-before)
	}()
	bounded(secs(60), "producer flush", func() { _ = p.Flush() })
	mu.Lock()
	nFailed := len(failed)
	someFailed := first(failed, 3)
	mu.Unlock()
	check(nFailed == 0, "%d sends failed, e.g. %v", nFailed, someFailed)
	bounded(secs(15), "close producer", p.Close)
	c = subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, ReceiverQueueSize: 1000})
	var got []int
	for {
		d := 3 * time.Second
		if len(got) == 0 {
			d = secs(30)
		}
		m := recv(c, d)
		if m == nil {
			break
		}
		i, err := strconv.Atoi(string(m.Payload()[1:]))
		ok(err, "parse payload")
		got = append(got, i)
		ok(c.Ack(m), "ack")
	}
	have := map[int]bool{}
	var firsts []int
	for _, i := range got {
		if !have[i] {
			have[i] = true
			firsts = append(firsts, i)
		}
	}
	mu.Lock()
	var missing []int
	for i := range receipted {
		if !have[i] {
			missing = append(missing, i)
		}
	}
	mu.Unlock()
	sort.Ints(missing)
	check(len(missing) == 0, "%d receipted messages lost across the restart, e.g. %v", len(missing), first(missing, 5))
	check(sort.IntsAreSorted(firsts), "messages stored out of send order across the restart")
}
