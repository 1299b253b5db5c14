package main

// Message TTL, retention, backlog quota policies and delayed-message stats, seen through the admin API and the
// client's errors.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("message-ttl-expiry", 140, messageTTLExpiry)
	register("retention-keeps-acked", 0, retentionKeepsAcked)
	register("backlog-quota-producer-request-hold", 0, backlogQuotaProducerRequestHold)
	register("backlog-quota-consumer-eviction", 140, backlogQuotaConsumerEviction)
	register("delayed-delivery-msg-delayed-stat", 0, delayedDeliveryMsgDelayedStat)
	register("backlog-quota-producer-exception-send", 140, backlogQuotaProducerExceptionSend)
	register("backlog-quota-request-hold-send", 140, backlogQuotaRequestHoldSend)
}

// retNamespace creates a namespace of this run for one scenario, so its policies touch nothing else.
func retNamespace(what string) string {
	ns := fmt.Sprintf("public/compat-%s-%s-go", what, runID)
	retAdmin("PUT", "/admin/v2/namespaces/"+ns, "", http.StatusNoContent, http.StatusConflict)
	return ns
}

// retAdmin makes an admin call and fails unless it answers one of the statuses; it returns the body.
func retAdmin(method, path, body string, statuses ...int) []byte {
	var payload []byte
	if body != "" {
		payload = []byte(body)
	}
	status, answer, err := httpDo(method, adminURL+path, payload, "application/json", secs(30))
	ok(err, method+" "+path)
	for _, s := range statuses {
		if status == s {
			return answer
		}
	}
	fail("%s %s: HTTP %d %s", method, path, status, first(answer, 200))
	return nil
}

// retSubStats is the subscription's entry of GET …/stats (numbers only) and the topic's storageSize.
func retSubStats(t, sub string) (map[string]any, float64) {
	body := retAdmin("GET", "/admin/v2/"+strings.Replace(t, "://", "/", 1)+"/stats", "", http.StatusOK)
	var stats struct {
		StorageSize   float64                   `json:"storageSize"`
		Subscriptions map[string]map[string]any `json:"subscriptions"`
	}
	ok(json.Unmarshal(body, &stats), "parse stats")
	return stats.Subscriptions[sub], stats.StorageSize
}

// retStat is a number field of the subscription's stats, -1 when absent.
func retStat(t, sub, field string) int64 {
	s, _ := retSubStats(t, sub)
	if v, isNumber := s[field].(float64); isNumber {
		return int64(v)
	}
	return -1
}

// retWaitUntil polls probe until it holds or d (scaled) passes.
func retWaitUntil(d, every time.Duration, probe func() bool) bool {
	deadline := time.Now().Add(scaled(d))
	for {
		if probe() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(every)
	}
}

func retSetBacklogQuota(ns string, limitBytes int, policy string) {
	retAdmin("POST", "/admin/v2/namespaces/"+ns+"/backlogQuota?backlogQuotaType=destination_storage",
		fmt.Sprintf(`{"limitSize": %d, "limitTime": -1, "policy": %q}`, limitBytes, policy), http.StatusNoContent)
}

// retPayload is 1 KiB: "mNN-" 256 times.
func retPayload(i int) string { return strings.Repeat(fmt.Sprintf("m%02d-", i), 256) }

// retFillBacklog makes a slow subscription and 30 KiB of backlog (30 unbatched 1 KiB messages) on a new topic.
func retFillBacklog(cl pulsar.Client, t string) pulsar.Consumer {
	c := subEarliest(cl, t, "slow")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	payloads := make([]string, 30)
	for i := range payloads {
		payloads[i] = retPayload(i)
	}
	sendAll(p, msgs(payloads))
	p.Close()
	return c
}

// PROTOCOL.md §5.5: with a namespace message TTL (POST …/messageTTL) the broker's periodic expiry
// (messageExpiryCheckIntervalInMinutes; PersistentTopic.checkMessageExpiry, PersistentMessageExpiryMonitor) moves every
// subscription past messages older than the TTL: msgBacklog in GET …/stats drops from 5 to 0, and nothing is delivered.
func messageTTLExpiry(x *X) {
	ns := retNamespace("ttl")
	retAdmin("POST", "/admin/v2/namespaces/"+ns+"/messageTTL", "5", http.StatusNoContent)
	got := strings.TrimSpace(string(retAdmin("GET", "/admin/v2/namespaces/"+ns+"/messageTTL", "", http.StatusOK)))
	check(got == "5", "GET messageTTL answered %s", got)
	t := fmt.Sprintf("persistent://%s/ttl-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	subEarliest(cl, t, "sub").Close()
	sendAll(producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true}), msgs(seq("m", 0, 5)))
	check(retStat(t, "sub", "msgBacklog") == 5, "msgBacklog after producing: %d", retStat(t, "sub", "msgBacklog"))
	expired := retWaitUntil(110*time.Second, 2*time.Second, func() bool { return retStat(t, "sub", "msgBacklog") == 0 })
	check(expired, "messages never expired: msgBacklog %d", retStat(t, "sub", "msgBacklog"))
	c := subEarliest(cl, t, "sub")
	if stray := recv(c, 2*time.Second); stray != nil {
		fail("expired message %q still delivered", stray.Payload())
	}
}

// PROTOCOL.md §5.5: with a namespace retention policy (POST …/retention) acknowledged messages are kept: msgBacklog is
// 0, the topic's storageSize stays above 0, and a reader from the earliest position still reads every message.
func retentionKeepsAcked(x *X) {
	ns := retNamespace("retention")
	retAdmin("POST", "/admin/v2/namespaces/"+ns+"/retention", `{"retentionTimeInMinutes": 60, "retentionSizeInMB": 100}`,
		http.StatusNoContent)
	var policy struct {
		Time int `json:"retentionTimeInMinutes"`
		Size int `json:"retentionSizeInMB"`
	}
	body := retAdmin("GET", "/admin/v2/namespaces/"+ns+"/retention", "", http.StatusOK)
	check(json.Unmarshal(body, &policy) == nil && policy.Time == 60 && policy.Size == 100, "GET retention answered %s", body)
	t := fmt.Sprintf("persistent://%s/ret-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	c := subEarliest(cl, t, "sub")
	want := seq("m", 0, 5)
	sendAll(producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true}), msgs(want))
	check(equalStrings(texts(drain(c, 5, secs(10), true)), want), "the subscription did not get m0..m4")
	acked := retWaitUntil(10*time.Second, 500*time.Millisecond, func() bool { return retStat(t, "sub", "msgBacklog") == 0 })
	check(acked, "msgBacklog after acking everything: %d", retStat(t, "sub", "msgBacklog"))
	_, storage := retSubStats(t, "sub")
	check(storage > 0, "storageSize %v with retention on", storage)
	r, err := cl.CreateReader(pulsar.ReaderOptions{Topic: t, StartMessageID: pulsar.EarliestMessageID()})
	ok(err, "create reader")
	defer r.Close()
	got := readN(r, 5)
	check(equalStrings(got, want), "a reader from earliest read %q of the acknowledged messages", got)
}

// PROTOCOL.md §5.5/§2.10: under producer_request_hold PRODUCER on a topic over its quota is answered with
// ProducerBlockedQuotaExceededError (ServerCnx.handleProducer); the Go client fails the new producer with it. Once the
// backlog is acknowledged producers are accepted again.
func backlogQuotaProducerRequestHold(x *X) {
	ns := retNamespace("quota-hold")
	retSetBacklogQuota(ns, 10*1024, "producer_request_hold")
	t := fmt.Sprintf("persistent://%s/hold-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	c := retFillBacklog(cl, t)
	_, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	check(err != nil && strings.Contains(err.Error(), "ProducerBlockedQuotaExceededError"),
		"a new producer over the quota got %v, expected ProducerBlockedQuotaExceededError", err)
	for _, m := range drain(c, 30, secs(10), false) {
		ok(c.Ack(m), "ack")
	}
	deadline := time.Now().Add(secs(20))
	for {
		p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: t, DisableBatching: true})
		if err == nil {
			sendText(p, "after")
			m := recv(c, secs(10))
			check(m != nil && string(m.Payload()) == "after", "the new producer's message did not arrive")
			return
		}
		check(time.Now().Before(deadline), "producers still refused after the backlog was acknowledged: %v", err)
		time.Sleep(500 * time.Millisecond)
	}
}

// PROTOCOL.md §5.5: under consumer_backlog_eviction producers are never refused; the periodic quota check
// (backlogQuotaCheckIntervalInSeconds) makes the slowest cursor skip its oldest entries until the backlog is under 90 %
// of the quota (BacklogQuotaManager.dropBacklogForSizeLimit): the subscription then gets a suffix ending with the newest.
func backlogQuotaConsumerEviction(x *X) {
	ns := retNamespace("quota-evict")
	retSetBacklogQuota(ns, 10*1024, "consumer_backlog_eviction")
	t := fmt.Sprintf("persistent://%s/evict-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	retFillBacklog(cl, t).Close()
	producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true}).Close()
	check(retStat(t, "slow", "msgBacklog") == 30, "msgBacklog before eviction: %d", retStat(t, "slow", "msgBacklog"))
	evicted := retWaitUntil(100*time.Second, 2*time.Second, func() bool {
		n := retStat(t, "slow", "msgBacklog")
		return n >= 0 && n < 30
	})
	check(evicted, "the slow subscription's backlog was never evicted: msgBacklog %d", retStat(t, "slow", "msgBacklog"))
	c := subEarliest(cl, t, "slow")
	got := drainQuiet(c, secs(10), 2*time.Second, true)
	check(len(got) > 0 && len(got) < 30, "after eviction the subscription delivered %d messages", len(got))
	var want []string
	for i := 30 - len(got); i < 30; i++ {
		want = append(want, retPayload(i))
	}
	check(equalStrings(got, want), "after eviction the subscription did not deliver the newest %d messages in order", len(got))
}

// PROTOCOL.md §5.3: the subscription stats count the delayed messages the dispatcher holds (msgDelayed,
// Dispatcher.getNumberOfDelayedMessages) and leave them out of msgBacklogNoDelayed.
func delayedDeliveryMsgDelayedStat(x *X) {
	cl := x.client()
	t := topic("delay-stat")
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "sub", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	for i := 0; i < 3; i++ {
		send(p, &pulsar.ProducerMessage{Payload: []byte(fmt.Sprintf("later%d", i)), DeliverAfter: time.Minute})
	}
	sendText(p, "now")
	m := recv(c, secs(10))
	check(m != nil && string(m.Payload()) == "now", "the undelayed message did not come first")
	ok(c.Ack(m), "ack")
	var seen string
	counted := retWaitUntil(10*time.Second, 500*time.Millisecond, func() bool {
		delayed, backlog, noDelayed := retStat(t, "sub", "msgDelayed"), retStat(t, "sub", "msgBacklog"), retStat(t, "sub", "msgBacklogNoDelayed")
		seen = fmt.Sprintf("msgDelayed %d msgBacklog %d msgBacklogNoDelayed %d", delayed, backlog, noDelayed)
		return delayed == 3 && backlog == 3 && noDelayed == 0
	})
	check(counted, "subscription stats %s, expected 3, 3 and 0", seen)
}

// PROTOCOL.md §5.5/§2.10: a producer connected before the backlog grew over a producer_exception quota keeps sending
// until the periodic quota check (backlogQuotaCheckIntervalInSeconds) disconnects it (BacklogQuotaManager
// .disconnectProducers); its reconnection is refused with ProducerBlockedQuotaExceededException and the client fails
// its pending sends with it (producer_partition.go reconnectToBroker: failPendingMessages).
func backlogQuotaProducerExceptionSend(x *X) {
	ns := retNamespace("quota-send")
	retSetBacklogQuota(ns, 10*1024, "producer_exception")
	t := fmt.Sprintf("persistent://%s/send-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	c := subEarliest(cl, t, "slow")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true})
	for i := 0; i < 30; i++ {
		sendText(p, retPayload(i))
	}
	deadline := time.Now().Add(secs(100))
	sent := 30
	for {
		_, err := p.Send(context.Background(), &pulsar.ProducerMessage{Payload: []byte(retPayload(sent % 100))})
		if err != nil {
			check(strings.Contains(err.Error(), "ProducerBlockedQuotaExceededException"),
				"a send over the quota failed with %v, expected ProducerBlockedQuotaExceededException", err)
			break
		}
		sent++
		check(time.Now().Before(deadline), "%d sends over the quota all succeeded: the producer was never refused", sent)
		time.Sleep(time.Second)
	}
	for _, m := range drain(c, sent, 5*time.Second, false) {
		ok(c.Ack(m), "ack")
	}
	accepted := retWaitUntil(20*time.Second, 500*time.Millisecond, func() bool {
		q, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: t, DisableBatching: true})
		if err == nil {
			q.Close()
		}
		return err == nil
	})
	check(accepted, "producers still refused after the backlog was acknowledged")
}

// PROTOCOL.md §5.5/§2.10: under producer_request_hold the periodic quota check disconnects a connected producer
// (BacklogQuotaManager.disconnectProducers) and its reconnection is answered with ProducerBlockedQuotaExceededError:
// the client keeps its sends pending (held, not failed) and retries; once the backlog is acknowledged the producer
// reconnects and the held send completes and is delivered. The Go producer cannot say whether it is connected, so a
// send that does not complete within 3 s is the held one.
func backlogQuotaRequestHoldSend(x *X) {
	ns := retNamespace("quota-hold-send")
	retSetBacklogQuota(ns, 10*1024, "producer_request_hold")
	t := fmt.Sprintf("persistent://%s/hold-send-%d", ns, rand.Intn(1<<30))
	cl := x.client()
	c := subEarliest(cl, t, "slow")
	p := producer(cl, pulsar.ProducerOptions{Topic: t, DisableBatching: true, SendTimeout: secs(120)})
	for i := 0; i < 30; i++ {
		sendText(p, retPayload(i))
	}
	deadline := time.Now().Add(secs(100))
	var held chan error
	var heldName string
	for n := 0; held == nil; n++ {
		check(time.Now().Before(deadline), "every send completed: the producer was never held")
		done := make(chan error, 1)
		name := fmt.Sprintf("probe%d", n)
		p.SendAsync(context.Background(), &pulsar.ProducerMessage{Payload: []byte(name)},
			func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) { done <- err })
		select {
		case err := <-done:
			ok(err, "send before the producer was held")
			time.Sleep(time.Second)
		case <-time.After(3 * time.Second):
			held, heldName = done, name
		}
	}
	got := drain(c, 1000, 2*time.Second, false)
	for _, m := range got {
		ok(c.Ack(m), "ack")
	}
	select {
	case err := <-held:
		ok(err, "the held send")
	case <-time.After(secs(30)):
		fail("the held send never completed after the backlog was acknowledged")
	}
	m := recv(c, secs(10))
	check(m != nil && string(m.Payload()) == heldName, "the held message %s was not delivered", heldName)
}
