package main

// Positions: initial position, readers, has-next, seek by id and by time.

import (
	"fmt"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("initial-position-earliest-latest", 0, initialPosition)
	register("reader-earliest", 0, readerEarliest)
	register("reader-latest", 0, readerLatest)
	register("reader-start-exclusive", 0, readerStartExclusive)
	register("reader-start-inclusive", 0, readerStartInclusive)
	register("reader-has-message-available", 0, readerHasMessageAvailable)
	register("seek-message-id", 0, seekMessageID)
	register("seek-time", 0, seekTime)
}

// PROTOCOL.md §2.7: initialPosition applies when a durable subscription is created —
// Earliest = first available entry, Latest = after the current last entry.
func initialPosition(x *X) {
	cl := x.client()
	t := topic("initpos")
	anchor(cl, t)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	old := seq("old-", 0, 5)
	sendAll(p, msgs(old))
	ce := subEarliest(cl, t, "early")
	cl8 := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "late",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionLatest})
	gotE := texts(drain(ce, 5, secs(10), true))
	check(equalStrings(gotE, old), "Earliest subscription got %q", gotE)
	if stray := recv(cl8, 1500*time.Millisecond); stray != nil {
		fail("Latest subscription got old message %q", stray.Payload())
	}
	sendText(p, "new")
	m := recv(cl8, secs(10))
	check(m != nil && string(m.Payload()) == "new", "Latest subscription did not get the new message")
	m = recv(ce, secs(10))
	check(m != nil && string(m.Payload()) == "new", "Earliest subscription did not get the new message")
}

// readerSetup makes a retained topic holding m0..m(n-1), one entry each, and returns their ids.
func readerSetup(x *X, name string, n int) (pulsar.Client, string, pulsar.Producer, []pulsar.MessageID) {
	cl := x.client()
	t := topic(name)
	anchor(cl, t)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	var ids []pulsar.MessageID
	for i := 0; i < n; i++ {
		ids = append(ids, sendText(p, fmt.Sprintf("m%d", i)))
	}
	return cl, t, p, ids
}

func reader(cl pulsar.Client, opts pulsar.ReaderOptions) pulsar.Reader {
	return must(cl.CreateReader(opts))("create reader on " + opts.Topic)
}

// PROTOCOL.md §2.7 start_message_id: ledgerId -1 (earliest) → from the first entry.
func readerEarliest(x *X) {
	cl, t, _, _ := readerSetup(x, "rd-earliest", 10)
	r := reader(cl, pulsar.ReaderOptions{Topic: t, StartMessageID: pulsar.EarliestMessageID()})
	got := readN(r, 10)
	check(equalStrings(got, seq("m", 0, 10)), "reader got %q", got)
	if extra := read(r, time.Second); extra != nil {
		fail("reader got an extra message %q", extra.Payload())
	}
}

// PROTOCOL.md §2.7 start_message_id: latest (Long.MAX) → nothing old, only new messages.
func readerLatest(x *X) {
	cl, t, p, _ := readerSetup(x, "rd-latest", 10)
	r := reader(cl, pulsar.ReaderOptions{Topic: t, StartMessageID: pulsar.LatestMessageID()})
	if old := read(r, 1500*time.Millisecond); old != nil {
		fail("reader from latest got old message %q", old.Payload())
	}
	sendText(p, "fresh")
	m := read(r, secs(10))
	check(m != nil && string(m.Payload()) == "fresh", "reader from latest did not get the new message")
}

// PROTOCOL.md §2.7: the broker re-delivers the start entry; the client drops ids <= start unless
// inclusive (Go: partitionConsumer.messageShouldBeDiscarded).
func readerStartExclusive(x *X) {
	cl, t, _, ids := readerSetup(x, "rd-excl", 10)
	r := reader(cl, pulsar.ReaderOptions{Topic: t, StartMessageID: ids[4]})
	got := readN(r, 5)
	check(equalStrings(got, seq("m", 5, 10)), "reader from m4 (exclusive) got %q", got)
}

// PROTOCOL.md §2.7: startMessageIdInclusive → the start message itself is the first one read.
func readerStartInclusive(x *X) {
	cl, t, _, ids := readerSetup(x, "rd-incl", 10)
	r := reader(cl, pulsar.ReaderOptions{Topic: t, StartMessageID: ids[4], StartMessageIDInclusive: true})
	got := readN(r, 6)
	check(equalStrings(got, seq("m", 4, 10)), "reader from m4 (inclusive) got %q", got)
}

// PROTOCOL.md §2.7 GET_LAST_MESSAGE_ID: hasMessageAvailable compares the last read id with the topic's
// last id (Go: Reader.HasNext → partitionConsumer.hasNext → GET_LAST_MESSAGE_ID).
func readerHasMessageAvailable(x *X) {
	cl, t, p, _ := readerSetup(x, "rd-hma", 3)
	r := reader(cl, pulsar.ReaderOptions{Topic: t, StartMessageID: pulsar.EarliestMessageID()})
	hasNext := func() (v bool) {
		bounded(secs(35), "reader HasNext", func() { v = r.HasNext() })
		return v
	}
	check(hasNext(), "HasNext false before reading anything")
	got := readN(r, 3)
	check(equalStrings(got, []string{"m0", "m1", "m2"}), "reader got %q", got)
	check(!hasNext(), "HasNext true after reading everything")
	sendText(p, "m3")
	check(hasNext(), "HasNext false after a new publish")
	m := read(r, secs(10))
	check(m != nil && string(m.Payload()) == "m3", "new message not read")
}

// PROTOCOL.md §2.7 SEEK by id: consumers are disconnected, the cursor reset so that message_id's entry is
// the next one delivered, then SUCCESS; the client reconnects. Like a reader's start id, the Go client
// then drops the seek message itself unless the consumer has StartMessageIDInclusive
// (consumer_partition.go: requestSeek sets seekMessageID → startMessageID; messageShouldBeDiscarded).
// Default → m4 first; inclusive → m3 first. The inclusive case proves the broker re-sends the seek entry.
func seekMessageID(x *X) {
	cl := x.client()
	t := topic("seek-id")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	c := subEarliest(cl, t, "sub")
	ci := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub-incl",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, StartMessageIDInclusive: true})
	var ids []pulsar.MessageID
	for i := 0; i < 10; i++ {
		ids = append(ids, sendText(p, fmt.Sprintf("m%d", i)))
	}
	for _, tc := range []struct {
		c     pulsar.Consumer
		from  int
		label string
	}{{c, 4, "default"}, {ci, 3, "inclusive"}} {
		firstPass := texts(drain(tc.c, 10, secs(10), true))
		check(equalStrings(firstPass, seq("m", 0, 10)), "first pass (%s consumer) got %q", tc.label, firstPass)
		bounded(secs(35), "seek", func() { ok(tc.c.Seek(ids[3]), "seek to m3") })
		got := drainQuiet(tc.c, secs(10), 1500*time.Millisecond, true)
		check(equalStrings(got, seq("m", tc.from, 10)), "after seek to m3 (%s consumer) got %q", tc.label, got)
	}
}

// PROTOCOL.md §2.7 SEEK by time: reset to the first entry with publish_time >= T
// (PersistentSubscription.resetCursor(long)).
func seekTime(x *X) {
	cl := x.client()
	t := topic("seek-time")
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs(seq("a", 0, 5)))
	time.Sleep(time.Second)
	ts := time.Now()
	time.Sleep(time.Second)
	sendAll(p, msgs(seq("b", 0, 5)))
	firstPass := texts(drain(c, 10, secs(10), true))
	check(len(firstPass) == 10, "first pass got %d of 10", len(firstPass))
	bounded(secs(35), "seek by time", func() { ok(c.SeekByTime(ts), "seek by time") })
	got := drainQuiet(c, secs(10), 1500*time.Millisecond, true)
	check(equalStrings(got, seq("b", 0, 5)), "after seek to a time between a4 and b0 got %q", got)
}
