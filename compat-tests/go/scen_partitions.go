package main

// Partitioned topics made by auto-creation, and partitions added while clients run.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("auto-topic-creation-partitioned", 0, autoTopicCreationPartitioned)
	register("partition-growth-discovered", 0, partitionGrowthDiscovered)
}

// partitionsAdmin makes an admin call and fails unless it answers one of the statuses; it returns the body.
func partitionsAdmin(method, path, body string, statuses ...int) []byte {
	status, answer, err := httpDo(method, adminURL+path, []byte(body), "application/json", secs(30))
	ok(err, method+" "+path)
	for _, s := range statuses {
		if status == s {
			return answer
		}
	}
	fail("%s %s: HTTP %d %s", method, path, status, first(answer, 200))
	return nil
}

// PROTOCOL.md §2.5 and §6.2: with the namespace policy autoTopicCreation {partitioned, 3}, PARTITIONED_METADATA for a
// missing topic creates it with 3 partitions (BrokerService.fetchPartitionedTopicMetadataCheckAllowAutoCreationAsync).
func autoTopicCreationPartitioned(x *X) {
	ns := fmt.Sprintf("public/compat-autopart-%s-go", runID)
	partitionsAdmin("PUT", "/admin/v2/namespaces/"+ns, "", http.StatusNoContent, http.StatusConflict)
	override := `{"allowAutoTopicCreation":true,"topicType":"partitioned","defaultNumPartitions":3}`
	partitionsAdmin("POST", "/admin/v2/namespaces/"+ns+"/autoTopicCreation", override, http.StatusNoContent)
	var read map[string]any
	ok(json.Unmarshal(partitionsAdmin("GET", "/admin/v2/namespaces/"+ns+"/autoTopicCreation", "", http.StatusOK), &read), "parse autoTopicCreation")
	check(read["topicType"] == "partitioned" && read["defaultNumPartitions"] == float64(3), "GET autoTopicCreation: %v", read)
	t := fmt.Sprintf("persistent://%s/auto-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	parts := must(cl.TopicPartitions(t))("partitions of " + t)
	want := []string{t + "-partition-0", t + "-partition-1", t + "-partition-2"}
	check(equalStrings(parts, want), "partitions %q", parts)
	var meta struct{ Partitions int }
	ok(json.Unmarshal(partitionsAdmin("GET", "/admin/v2/persistent/"+ns+"/"+t[len("persistent://"+ns+"/"):]+"/partitions", "", http.StatusOK), &meta), "parse partitions")
	check(meta.Partitions == 3, "GET partitions: %d", meta.Partitions)
	c := subEarliest(cl, t, "sub")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true, MessageRouter: roundRobin()})
	sendAll(p, msgs(seq("a", 0, 9)))
	got := drain(c, 9, secs(10), true)
	check(len(got) == 9, "received %d of 9", len(got))
	from := map[string]bool{}
	for _, m := range got {
		from[m.Topic()] = true
	}
	check(len(from) == 3, "messages came from %v", keys(from))
}

func roundRobin() func(*pulsar.ProducerMessage, pulsar.TopicMetadata) int {
	var n atomic.Int64
	return func(_ *pulsar.ProducerMessage, md pulsar.TopicMetadata) int {
		return int(n.Add(1) % int64(md.NumPartitions()))
	}
}

// PROTOCOL.md §6.2 POST …/partitions: a running producer and consumer discover added partitions
// (PartitionsAutoDiscoveryInterval, AutoDiscoveryPeriod: 1 s here), the producer writes to them and the consumer
// receives from every partition, nothing lost (new partitions get the existing subscriptions).
func partitionGrowthDiscovered(x *X) {
	name := fmt.Sprintf("compat-%s-go-grow-%d", runID, rand.Intn(1<<30))
	path := "/admin/v2/persistent/public/default/" + name + "/partitions"
	partitionsAdmin("PUT", path, "2", http.StatusNoContent)
	t := "persistent://public/default/" + name
	cl := x.client()
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", AutoDiscoveryPeriod: time.Second,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true, MessageRouter: roundRobin(),
		PartitionsAutoDiscoveryInterval: time.Second})
	sendAll(p, msgs([]string{"g0", "g1"}))
	partitionsAdmin("POST", path, "4", http.StatusNoContent)
	seen := map[string]bool{}
	sent, received := 2, 0
	deadline := time.Now().Add(secs(40))
	for len(seen) < 4 && time.Now().Before(deadline) {
		sendAll(p, msgs(seq("g", sent, sent+4)))
		sent += 4
		for _, m := range drain(c, 1000, 500*time.Millisecond, true) {
			seen[m.Topic()] = true
			received++
		}
		time.Sleep(500 * time.Millisecond)
	}
	names := keys(seen)
	sort.Strings(names)
	check(len(seen) == 4, "after %d sends, messages came only from %v", sent, names)
	received += len(drain(c, sent-received, secs(3), true))
	check(received == sent, "received %d of %d", received, sent)
}
