package main

// Non-persistent topics: messages go only to the consumers connected when they are published, and are never stored.

import (
	"fmt"
	"math/rand"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("non-persistent-produce-consume", 0, nonPersistentProduceConsume)
	register("non-persistent-not-stored", 0, nonPersistentNotStored)
	register("non-persistent-shared-split", 0, nonPersistentSharedSplit)
	register("non-persistent-partitioned", 0, nonPersistentPartitioned)
}

// npTopic is a fresh non-persistent://public/default/... topic of this run.
func npTopic(name string) string {
	return strings.Replace(topic(name), "persistent://", "non-persistent://", 1)
}

// The consumer's first FLOW goes out after SUBSCRIBE's answer (the Go client sends it from its dispatch loop); a
// message published before the broker has it is dropped for that consumer (NonPersistentDispatcher*.sendMessages).
const flowSettle = time.Second

// PROTOCOL.md §3: a non-persistent topic delivers to the consumer connected now, in order; receipts and deliveries
// carry message id (0, 0) (NonPersistentTopic.publishMessage).
func nonPersistentProduceConsume(x *X) {
	cl := x.client()
	t := npTopic("np")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub"})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	time.Sleep(flowSettle)
	want := seq("n", 0, 10)
	ids := sendAll(p, msgs(want))
	for _, id := range ids {
		check(id.LedgerID() == 0 && id.EntryID() == 0, "receipt id %s, want (0,0)", midOf(id))
	}
	got := drain(c, 10, secs(10), true)
	check(equalStrings(texts(got), want), "received %q", texts(got))
	check(got[0].ID().LedgerID() == 0 && got[0].ID().EntryID() == 0, "delivered id %s", midOf(got[0].ID()))
}

// PROTOCOL.md §3: messages published while the topic has no subscription, or while its subscription has no consumer,
// never reach a consumer that comes later.
func nonPersistentNotStored(x *X) {
	cl := x.client()
	t := npTopic("np-gone")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs([]string{"before-0", "before-1"}))
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub"})
	bounded(secs(15), "close consumer", c.Close)
	sendAll(p, msgs([]string{"gap-0", "gap-1"}))
	c = subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	time.Sleep(flowSettle)
	sendAll(p, msgs([]string{"after-0", "after-1"}))
	got := drainQuiet(c, secs(5), 2*time.Second, true)
	check(equalStrings(got, []string{"after-0", "after-1"}), "received %q", got)
}

// PROTOCOL.md §3 and §5.1: a Shared subscription spreads a non-persistent topic's messages over its consumers, each
// message to exactly one (NonPersistentDispatcherMultipleConsumers).
func nonPersistentSharedSplit(x *X) {
	cl := x.client()
	t := npTopic("np-shared")
	a := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared, Name: "a"})
	b := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared, Name: "b"})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	time.Sleep(flowSettle)
	want := seq("s", 0, 20)
	sendAll(p, msgs(want))
	gotA := drainQuiet(a, secs(5), 2*time.Second, true)
	gotB := drainQuiet(b, secs(5), 2*time.Second, true)
	all := append(append([]string{}, gotA...), gotB...)
	sort.Strings(all)
	sort.Strings(want)
	check(equalStrings(all, want), "received a=%q b=%q", gotA, gotB)
	check(len(gotA) > 0 && len(gotB) > 0, "one consumer got everything: a=%d b=%d", len(gotA), len(gotB))
}

// PROTOCOL.md §3 and §6.2: PUT /admin/v2/non-persistent/…/partitions makes a partitioned non-persistent topic (only its
// metadata is stored); messages produced round robin reach the connected consumer from every partition.
func nonPersistentPartitioned(x *X) {
	name := fmt.Sprintf("compat-%s-go-np-part-%d", runID, rand.Intn(1<<30))
	partitionsAdmin("PUT", "/admin/v2/non-persistent/public/default/"+name+"/partitions", "3", http.StatusNoContent)
	t := "non-persistent://public/default/" + name
	cl := x.client()
	parts := must(cl.TopicPartitions(t))("partitions of " + t)
	check(len(parts) == 3, "partitions %q", parts)
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub"})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true, MessageRouter: roundRobin()})
	time.Sleep(flowSettle)
	want := seq("p", 0, 12)
	sendAll(p, msgs(want))
	got := drain(c, 12, secs(10), true)
	gotT := texts(got)
	sort.Strings(gotT)
	sort.Strings(want)
	check(equalStrings(gotT, want), "received %q", gotT)
	from := map[string]bool{}
	for _, m := range got {
		from[m.Topic()] = true
	}
	check(len(from) == 3, "messages came from %v", keys(from))
}
