package main

// Regex (pattern) subscriptions: the Go client lists the namespace with GET_TOPICS_OF_NAMESPACE every
// AutoDiscoveryPeriod, filters by the pattern itself (consumer_regex.go) and subscribes to every matching topic.

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("regex-existing-topics", 0, regexExistingTopics)
	register("regex-new-topic-discovered", 80, regexNewTopicDiscovered)
	register("regex-partitioned-topic", 0, regexPartitionedTopic)
}

// rxPrefix keeps the whole pattern within Pulsar's subscriptionPatternMaxLength (50), so the broker evaluates it.
func rxPrefix(n int) string {
	return fmt.Sprintf("persistent://public/default/rx%sgo%d", runID[len(runID)-6:], n)
}

// rxConsumer is a pattern consumer from the earliest position that looks for new topics every second.
func rxConsumer(cl pulsar.Client, pattern string) pulsar.Consumer {
	return must(cl.Subscribe(pulsar.ConsumerOptions{
		TopicsPattern:               pattern,
		SubscriptionName:            "rx-sub",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
		AutoDiscoveryPeriod:         time.Second,
	}))("subscribe to pattern " + pattern)
}

// rxFill creates the topic with a durable subscription (so its messages are kept) and sends the payloads.
func rxFill(cl pulsar.Client, t string, payloads ...string) {
	anchor(cl, t)
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	sendAll(p, msgs(payloads))
	bounded(secs(15), "close producer", p.Close)
}

// rxReceive receives (and acks) until n messages arrived or d (scaled) passed: "payload@topic" strings, sorted.
func rxReceive(c pulsar.Consumer, n int, d time.Duration) []string {
	var got []string
	deadline := time.Now().Add(scaled(d))
	for len(got) < n && time.Now().Before(deadline) {
		if m := recv(c, 500*time.Millisecond); m != nil {
			got = append(got, string(m.Payload())+"@"+m.Topic())
			ok(c.Ack(m), "ack")
		}
	}
	sort.Strings(got)
	return got
}

// PROTOCOL.md §2.9: a pattern consumer subscribes to every existing topic whose name matches and to no other.
func regexExistingTopics(x *X) {
	cl := x.client()
	base := rxPrefix(1)
	m1, m2, other := base+"-m-1", base+"-m-2", base+"-x-1"
	rxFill(cl, m1, "m1-a", "m1-b")
	rxFill(cl, m2, "m2-a", "m2-b")
	rxFill(cl, other, "x-a", "x-b")
	c := rxConsumer(cl, base+"-m-.*")
	got := rxReceive(c, 4, 20*time.Second)
	want := []string{"m1-a@" + m1, "m1-b@" + m1, "m2-a@" + m2, "m2-b@" + m2}
	check(equalStrings(got, want), "received %v, want %v", got, want)
	if extra := recv(c, secs(3)); extra != nil {
		fail("received %q from %s, which does not match", extra.Payload(), extra.Topic())
	}
}

// PROTOCOL.md §2.9: a topic created after the pattern consumer subscribed is found by the next poll
// (AutoDiscoveryPeriod 1 s) and its messages are received.
func regexNewTopicDiscovered(x *X) {
	cl := x.client()
	base := rxPrefix(2)
	rxFill(cl, base+"-m-1", "first")
	c := rxConsumer(cl, base+"-m-.*")
	got := rxReceive(c, 1, 20*time.Second)
	check(len(got) == 1 && strings.HasPrefix(got[0], "first@"), "received %v from the existing topic", got)
	late := base + "-m-2"
	rxFill(cl, late, "late-1", "late-2")
	got = rxReceive(c, 2, 30*time.Second)
	want := []string{"late-1@" + late, "late-2@" + late}
	check(equalStrings(got, want), "from the new topic received %v, want %v", got, want)
}

// PROTOCOL.md §2.9: the namespace lists a partitioned topic's partitions; the pattern matches the base name,
// so the pattern consumer receives from every partition.
func regexPartitionedTopic(x *X) {
	cl := x.client()
	base := rxPrefix(3)
	t := base + "-m-p"
	status, body, err := httpDo("PUT", adminURL+"/admin/v2/"+strings.Replace(t, "://", "/", 1)+"/partitions",
		[]byte("3"), "application/json", secs(30))
	ok(err, "PUT partitions")
	check(status >= 200 && status < 300, "PUT partitions answered HTTP %d %s", status, first(body, 200))
	var want []string
	for i := 0; i < 3; i++ {
		partition := fmt.Sprintf("%s-partition-%d", t, i)
		rxFill(cl, partition, fmt.Sprintf("p%d", i))
		want = append(want, fmt.Sprintf("p%d@%s", i, partition))
	}
	c := rxConsumer(cl, base+"-m-.*")
	got := rxReceive(c, 3, 20*time.Second)
	check(equalStrings(got, want), "received %v, want %v", got, want)
}
