package main

// Subscription types: Exclusive, Shared, Failover, Key_Shared.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("exclusive-second-consumer-refused", 0, exclusiveSecondConsumerRefused)
	register("shared-spread", 0, sharedSpread)
	register("shared-close-redelivers-unacked", 0, sharedCloseRedeliversUnacked)
	register("failover-takeover", 80, failoverTakeover)
	register("key-shared-stickiness", 0, keySharedStickiness)
}

// PROTOCOL.md §5.1: second Exclusive consumer → ConsumerBusy 'Exclusive consumer is already connected'
// (AbstractDispatcherSingleActiveConsumer.internalAddConsumer); Go fails Subscribe with
// "server error: ConsumerBusy: ..." (no retry on creation).
func exclusiveSecondConsumerRefused(x *X) {
	cl := x.client()
	t := topic("excl")
	opts := pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Exclusive}
	c1 := subscribe(cl, opts)
	cl2 := x.client()
	c2, err := cl2.Subscribe(opts)
	if err == nil {
		c2.Close()
		fail("second Exclusive consumer was accepted")
	}
	check(strings.Contains(err.Error(), "ConsumerBusy"), "expected ConsumerBusy, got: %v", err)
	p := producer(cl, pulsar.ProducerOptions{Topic: t})
	sendText(p, "to-first")
	m := recv(c1, secs(10))
	check(m != nil && string(m.Payload()) == "to-first", "first consumer stopped receiving")
	ok(c1.Ack(m), "ack")
	bounded(secs(15), "close first consumer", c1.Close)
	c3 := subscribe(cl2, opts)
	sendText(p, "to-new")
	m = recv(c3, secs(10))
	check(m != nil && string(m.Payload()) == "to-new", "consumer accepted after the first left receives nothing")
}

// PROTOCOL.md §5.1 'Shared': entries round-robin across consumers with permits; each message goes to one
// consumer (AbstractDispatcherMultipleConsumers.getNextConsumer).
func sharedSpread(x *X) {
	cl := x.client()
	t := topic("shared")
	mk := func(name string) pulsar.Consumer {
		return subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
			ReceiverQueueSize: 10, Name: name})
	}
	c1, c2 := mk("c1"), mk("c2")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	want := seq("s-", 0, 200)
	sendAll(p, msgs(want))
	got := map[string][]string{}
	deadline := time.Now().Add(secs(30))
	idle := 0
	for len(got["c1"])+len(got["c2"]) < len(want) && time.Now().Before(deadline) && idle < 20 {
		any := false
		for _, nc := range []struct {
			n string
			c pulsar.Consumer
		}{{"c1", c1}, {"c2", c2}} {
			if m := recv(nc.c, 200*time.Millisecond); m != nil {
				got[nc.n] = append(got[nc.n], string(m.Payload()))
				ok(nc.c.Ack(m), "ack")
				any = true
			}
		}
		if any {
			idle = 0
		} else {
			idle++
		}
	}
	check(len(got["c1"]) > 0 && len(got["c2"]) > 0, "not spread: c1=%d c2=%d", len(got["c1"]), len(got["c2"]))
	seen := map[string]int{}
	for _, s := range append(append([]string{}, got["c1"]...), got["c2"]...) {
		seen[s]++
	}
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	check(dups == 0, "%d messages delivered twice", dups)
	missing := 0
	for _, w := range want {
		if seen[w] == 0 {
			missing++
		}
	}
	check(missing == 0, "missing %d messages", missing)
}

// PROTOCOL.md §2.7 CLOSE_CONSUMER: a closing Shared consumer's unacked messages go back to the replay set
// and are dispatched to the others (PersistentDispatcherMultipleConsumers.removeConsumer).
func sharedCloseRedeliversUnacked(x *X) {
	cl := x.client()
	t := topic("shared-close")
	c1 := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared, Name: "c1"})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	want := seq("u-", 0, 20)
	sendAll(p, msgs(want))
	held := texts(drain(c1, len(want), secs(10), false)) // received, never acked
	check(equalStrings(held, want), "first consumer received %d of %d", len(held), len(want))
	cl2 := x.client()
	c2 := subscribe(cl2, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared, Name: "c2"})
	if early := recv(c2, time.Second); early != nil {
		fail("second consumer got %q while all were pending on the first", early.Payload())
	}
	bounded(secs(15), "close first consumer", c1.Close)
	got := texts(drain(c2, len(want), secs(10), true))
	sort.Strings(got)
	sorted := append([]string{}, want...)
	sort.Strings(sorted)
	check(equalStrings(got, sorted), "second consumer got %d of the %d unacked messages", len(got), len(want))
}

// PROTOCOL.md §5.1 'Failover': one active consumer; on change the cursor rewinds to mark-delete+1 and delivery
// restarts on the new active consumer (PersistentDispatcherSingleActiveConsumer) — nothing lost, order holds.
func failoverTakeover(x *X) {
	cl := x.client()
	t := topic("failover")
	opts := func(name string) pulsar.ConsumerOptions {
		return pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Failover, Name: name}
	}
	ca := subscribe(cl, opts("fa"))
	cl2 := x.client()
	cb := subscribe(cl2, opts("fb"))
	time.Sleep(2 * time.Second) // let the active-consumer choice settle (activeConsumerFailoverDelayTimeMillis = 1000)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	want := seq("f-", 0, 40)
	sendAll(p, msgs(want))
	var active, other pulsar.Consumer
	var firstMsg pulsar.Message
	deadline := time.Now().Add(secs(15))
	for firstMsg == nil && time.Now().Before(deadline) {
		for _, pair := range [][2]pulsar.Consumer{{ca, cb}, {cb, ca}} {
			if m := recv(pair[0], 300*time.Millisecond); m != nil {
				active, other, firstMsg = pair[0], pair[1], m
				break
			}
		}
	}
	check(firstMsg != nil, "no consumer received anything")
	check(string(firstMsg.Payload()) == "f-0", "active consumer started with %q", firstMsg.Payload())
	gotActive := append([]pulsar.Message{firstMsg}, drain(active, 9, secs(10), false)...)
	check(equalStrings(texts(gotActive), want[:10]), "active consumer got %q", texts(gotActive))
	ok(active.AckCumulative(gotActive[len(gotActive)-1]), "cumulative ack")
	if stray := recv(other, time.Second); stray != nil {
		fail("inactive consumer received %q", stray.Payload())
	}
	time.Sleep(300 * time.Millisecond) // let the grouped ack go out before closing
	bounded(secs(15), "close active consumer", active.Close)
	var rest []string
	deadline = time.Now().Add(secs(30))
	for time.Now().Before(deadline) && (len(rest) == 0 || rest[len(rest)-1] != "f-39") {
		if m := recv(other, time.Second); m != nil {
			rest = append(rest, string(m.Payload()))
			ok(other.Ack(m), "ack")
		}
	}
	check(len(rest) > 0, "no takeover: the other consumer received nothing after the active one closed")
	check(rest[0] == "f-10", "takeover started at %s, expected f-10 (first unacked)", rest[0])
	check(equalStrings(rest, want[10:]), "takeover sequence not complete and in order: %q … %q",
		first(rest, 5), rest[max(0, len(rest)-5):])
}

// PROTOCOL.md §4: Key_Shared routes by the sticky key's hash; one key → one consumer, in order
// (KeySharedSubscriptionTest.receiveAndCheck). Go sends no keySharedMeta without a policy → AUTO_SPLIT.
func keySharedStickiness(x *X) {
	cl := x.client()
	t := topic("keyshared")
	mk := func(name string) pulsar.Consumer {
		return subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.KeyShared,
			Name: name, ReceiverQueueSize: 100})
	}
	c1, c2 := mk("k1"), mk("k2")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	var ms []*pulsar.ProducerMessage
	for i := 0; i < 100; i++ {
		key := fmt.Sprintf("key-%d", i%10)
		ms = append(ms, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("%s:%d", key, i)), Key: key})
	}
	sendAll(p, ms)
	owner := map[string]map[string]bool{}
	perKey := map[string][]int{}
	deadline := time.Now().Add(secs(30))
	total, idle := 0, 0
	for total < 100 && time.Now().Before(deadline) && idle < 20 {
		any := false
		for _, nc := range []struct {
			n string
			c pulsar.Consumer
		}{{"k1", c1}, {"k2", c2}} {
			m := recv(nc.c, 200*time.Millisecond)
			if m == nil {
				continue
			}
			any = true
			total++
			parts := strings.SplitN(string(m.Payload()), ":", 2)
			key := parts[0]
			i, _ := strconv.Atoi(parts[1])
			check(m.Key() == key, "partition_key %q for %s", m.Key(), key)
			if owner[key] == nil {
				owner[key] = map[string]bool{}
			}
			owner[key][nc.n] = true
			perKey[key] = append(perKey[key], i)
			ok(nc.c.Ack(m), "ack")
		}
		if any {
			idle = 0
		} else {
			idle++
		}
	}
	check(total == 100, "received %d of 100", total)
	var sharedKeys []string
	for k, o := range owner {
		if len(o) > 1 {
			sharedKeys = append(sharedKeys, k)
		}
	}
	check(len(sharedKeys) == 0, "keys delivered to both consumers: %q", sharedKeys)
	for k, s := range perKey {
		check(sort.IntsAreSorted(s), "%s out of order: %v", k, s)
	}
}
