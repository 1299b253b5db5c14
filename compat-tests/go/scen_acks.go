package main

// Acknowledgements, negative acks, unsubscribe, last message id, delayed delivery, partitions.

import (
	"fmt"
	"math/rand"
	"sort"
	"sync/atomic"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("individual-ack-reconnect", 0, individualAckReconnect)
	register("cumulative-ack-reconnect", 0, cumulativeAckReconnect)
	register("negative-ack-redelivery", 0, negativeAckRedelivery)
	register("dead-letter-after-max-redeliveries", 0, deadLetterAfterMaxRedeliveries)
	register("unsubscribe-resubscribe", 0, unsubscribeResubscribe)
	register("get-last-message-id", 0, getLastMessageID)
	register("delayed-delivery-shared", 0, delayedDeliveryShared)
	register("partitioned-topic", 0, partitionedTopic)
}

// PROTOCOL.md §2.7 ACK Individual + §5.1: a reconnecting consumer resumes at mark-delete+1 and skips
// individually deleted messages, so exactly the unacked ones come back, in order.
func individualAckReconnect(x *X) {
	cl := x.client()
	t := topic("iack")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs(seq("m", 0, 10)))
	got := drain(c, 10, secs(10), false)
	check(len(got) == 10, "received %d of 10", len(got))
	for i, m := range got {
		if i%2 == 0 {
			ok(c.Ack(m), "ack")
		}
	}
	time.Sleep(500 * time.Millisecond) // the client groups acks for 100 ms; let them reach the broker
	bounded(secs(15), "close consumer", c.Close)
	c2 := subEarliest(cl, t, "sub")
	again := drainQuiet(c2, secs(10), 1500*time.Millisecond, false)
	check(equalStrings(again, []string{"m1", "m3", "m5", "m7", "m9"}), "after reconnect got %q", again)
}

// PROTOCOL.md §2.7 ACK Cumulative: everything <= the id is acked; delivery resumes after it.
func cumulativeAckReconnect(x *X) {
	cl := x.client()
	t := topic("cack")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs(seq("m", 0, 10)))
	got := drain(c, 10, secs(10), false)
	check(len(got) == 10, "received %d of 10", len(got))
	ok(c.AckCumulative(got[5]), "cumulative ack")
	time.Sleep(500 * time.Millisecond)
	bounded(secs(15), "close consumer", c.Close)
	c2 := subEarliest(cl, t, "sub")
	again := drainQuiet(c2, secs(10), 1500*time.Millisecond, false)
	check(equalStrings(again, []string{"m6", "m7", "m8", "m9"}), "after reconnect got %q", again)
}

// PROTOCOL.md §2.7/§5.2: a nack ends in REDELIVER_UNACKNOWLEDGED_MESSAGES (Go sends the message ids);
// on Shared the broker redelivers with redelivery_count + 1 (InMemoryRedeliveryTracker).
func negativeAckRedelivery(x *X) {
	cl := x.client()
	t := topic("nack")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, NackRedeliveryDelay: 300 * time.Millisecond})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs([]string{"m0", "m1", "m2"}))
	m0 := recv(c, secs(10))
	check(m0 != nil && string(m0.Payload()) == "m0", "first message not m0")
	check(m0.RedeliveryCount() == 0, "fresh message has redelivery_count %d", m0.RedeliveryCount())
	c.Nack(m0)
	for i := 0; i < 2; i++ {
		m := recv(c, secs(10))
		check(m != nil, "m1/m2 not received")
		ok(c.Ack(m), "ack")
	}
	m := recv(c, secs(15))
	check(m != nil, "nacked message not redelivered")
	check(string(m.Payload()) == "m0", "redelivered %q, expected m0", m.Payload())
	check(m.RedeliveryCount() == 1, "redelivery_count %d, expected 1", m.RedeliveryCount())
	ok(c.Ack(m), "ack")
}

// PROTOCOL.md §5.2 / PULSAR-REFERENCE.md §5.4: the DLQ is client-side; it relies on the broker's
// redelivery_count on Shared subscriptions. Java/C++ maxRedeliverCount=1 means the application sees the
// message with redelivery counts 0 and 1, and the next redelivery goes to <topic>-<subscription>-DLQ.
// Go quirks: DLQPolicy.MaxDeliveries counts deliveries, not redeliveries (dlq_router.go shouldSendToDlq:
// redeliveryCount >= MaxDeliveries goes to the DLQ without reaching the application), so the same policy is
// MaxDeliveries 2; and without RetryEnable Go has no default DeadLetterTopic (newDlqRouter refuses an empty
// one), so we name it exactly as Java/C++ would (RetryMessageUtil "-DLQ" suffix).
func deadLetterAfterMaxRedeliveries(x *X) {
	cl := x.client()
	t := topic("dlq")
	dlqTopic := t + "-sub-DLQ"
	d := subEarliest(cl, dlqTopic, "dlq-reader")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, NackRedeliveryDelay: 200 * time.Millisecond,
		DLQ: &pulsar.DLQPolicy{MaxDeliveries: 2, DeadLetterTopic: dlqTopic}})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	send(p, &pulsar.ProducerMessage{Payload: []byte("poison"), Properties: map[string]string{"k": "v"}})
	sendText(p, "fine")
	var counts []uint32
	fineSeen := false
	var dm pulsar.Message
	deadline := time.Now().Add(secs(20))
	for dm == nil && time.Now().Before(deadline) {
		m := recv(c, time.Second)
		if m == nil {
			if len(counts) > 0 && fineSeen {
				dm = recv(d, 500*time.Millisecond)
			}
			continue
		}
		if string(m.Payload()) == "fine" {
			fineSeen = true
			ok(c.Ack(m), "ack")
		} else {
			counts = append(counts, m.RedeliveryCount())
			c.Nack(m)
		}
	}
	check(len(counts) >= 2 && counts[0] == 0 && counts[1] == 1, "poison message seen with redelivery counts %v, expected [0 1]", counts)
	check(dm != nil, "nothing arrived on %s", dlqTopic)
	check(string(dm.Payload()) == "poison", "DLQ got %q", dm.Payload())
	check(dm.Properties()["k"] == "v", "DLQ message lost its properties: %v", dm.Properties())
	if stray := recv(c, 1500*time.Millisecond); stray != nil {
		fail("original subscription still delivers %q after the DLQ took it", stray.Payload())
	}
}

// PROTOCOL.md §2.7 UNSUBSCRIBE deletes the subscription; a new one with the same name starts at its
// initialPosition (Earliest → everything again; Latest → only new messages).
func unsubscribeResubscribe(x *X) {
	cl := x.client()
	t := topic("unsub")
	anchor(cl, t)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	want := seq("m", 0, 5)
	sendAll(p, msgs(want))
	c := subEarliest(cl, t, "sub")
	check(equalStrings(texts(drain(c, 5, secs(10), true)), want), "first subscription did not get the 5 messages")
	time.Sleep(300 * time.Millisecond)
	bounded(secs(35), "unsubscribe", func() { ok(c.Unsubscribe(), "unsubscribe") })
	c2 := subEarliest(cl, t, "sub")
	again := texts(drain(c2, 5, secs(10), true))
	check(equalStrings(again, want), "resubscribed (Earliest) got %q, expected all 5 again", again)
	time.Sleep(300 * time.Millisecond)
	bounded(secs(35), "unsubscribe", func() { ok(c2.Unsubscribe(), "unsubscribe") })
	c3 := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionLatest})
	if stray := recv(c3, 1500*time.Millisecond); stray != nil {
		fail("resubscribed (Latest) got old message %q", stray.Payload())
	}
	sendText(p, "m5")
	m := recv(c3, secs(10))
	check(m != nil && string(m.Payload()) == "m5", "resubscribed (Latest) did not get the new message")
}

// PROTOCOL.md §2.7 GET_LAST_MESSAGE_ID → last entry {ledgerId, entryId} (Go: GetLastMessageIDs, one per partition).
func getLastMessageID(x *X) {
	cl := x.client()
	t := topic("lastid")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	var ids []pulsar.MessageID
	for i := 0; i < 5; i++ {
		ids = append(ids, sendText(p, fmt.Sprintf("m%d", i)))
	}
	last := func() pulsar.MessageID {
		var got []pulsar.TopicMessageID
		bounded(secs(35), "GetLastMessageIDs", func() { got = must(c.GetLastMessageIDs())("GetLastMessageIDs") })
		check(len(got) == 1, "GetLastMessageIDs returned %d ids for a non-partitioned topic", len(got))
		return got[0]
	}
	sameEntry := func(a, b pulsar.MessageID) bool { return a.LedgerID() == b.LedgerID() && a.EntryID() == b.EntryID() }
	l := last()
	check(sameEntry(l, ids[4]), "last id %v != last sent %v", midOf(l), midOf(ids[4]))
	more := sendText(p, "m5")
	l = last()
	check(sameEntry(l, more), "after one more send: last id %v != %v", midOf(l), midOf(more))
}

// PROTOCOL.md §5.3: Shared dispatchers hold messages with deliver_at_time until then (tick 1 s, may be one
// tick early); other messages flow past them. (Go never batches messages with DeliverAfter.)
func delayedDeliveryShared(x *X) {
	cl := x.client()
	t := topic("delay")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	t0 := time.Now()
	send(p, &pulsar.ProducerMessage{Payload: []byte("late"), DeliverAfter: 3 * time.Second})
	sendText(p, "now")
	m := recv(c, secs(10))
	check(m != nil, "nothing received")
	check(string(m.Payload()) == "now", "first delivered %q: the delayed message was not held", m.Payload())
	ok(c.Ack(m), "ack")
	m = recv(c, secs(20))
	check(m != nil && string(m.Payload()) == "late", "delayed message never delivered")
	waited := time.Since(t0)
	check(waited >= 1800*time.Millisecond, "delayed message delivered after %.2fs, before its 3 s delay minus one tick", waited.Seconds())
	ok(c.Ack(m), "ack")
}

// PROTOCOL.md §6.2 PUT …/partitions (204), §2.5 PARTITIONED_METADATA → N then LOOKUP per '-partition-i',
// §3 naming: partitions are ordinary topics '<name>-partition-<i>'.
func partitionedTopic(x *X) {
	name := fmt.Sprintf("compat-%s-go-part-%d", runID, rand.Intn(1<<30))
	url := fmt.Sprintf("%s/admin/v2/persistent/public/default/%s/partitions", adminURL, name)
	code, body, err := httpDo("PUT", url, []byte("3"), "application/json", secs(15))
	ok(err, "PUT "+url)
	check(code >= 200 && code < 300, "PUT %s answered HTTP %d: %s", url, code, first(body, 200))
	t := "persistent://public/default/" + name
	cl := x.client()
	c := subEarliest(cl, t, "sub")
	// Round robin by hand, so every partition gets messages whatever the default router does.
	var n atomic.Int64
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true,
		MessageRouter: func(_ *pulsar.ProducerMessage, md pulsar.TopicMetadata) int {
			return int(n.Add(1) % int64(md.NumPartitions()))
		}})
	want := seq("p", 0, 30)
	sendAll(p, msgs(want))
	got := drain(c, 30, secs(10), true)
	gotT := texts(got)
	sort.Strings(gotT)
	sort.Strings(want)
	check(equalStrings(gotT, want), "received %d of 30", len(got))
	topics := map[string]bool{}
	for _, m := range got {
		topics[m.Topic()] = true
	}
	for i := 0; i < 3; i++ {
		check(topics[fmt.Sprintf("%s-partition-%d", t, i)], "no message from partition %d; messages came from %v", i, keys(topics))
	}
	check(len(topics) == 3, "messages came from %v", keys(topics))
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
