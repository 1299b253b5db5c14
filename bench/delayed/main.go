// Delayed-delivery benchmark load, written with the official Go client (github.com/apache/pulsar-client-go,
// pinned in go.mod). bench/delayed.mjs drives it; it can also be run by hand:
//
//	bench/delayed/bin/delayed -url pulsar://localhost:6650 -count 1000000 -window 60s -lead 60s
//
// One Shared consumer subscribes first; one producer then sends -count messages with DeliverAt spread evenly
// over -window, starting -lead after the start (the lead must cover the publishing, so that every message is
// still in the future when the broker stores it). The consumer acks each message and records how late it
// arrived against its DeliverAt (the payload carries it). Output on stdout: one JSON line with the figures.
//
// Payload (big-endian): bytes 0–7 the index, bytes 8–15 DeliverAt in Unix milliseconds.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	pulsarlog "github.com/apache/pulsar-client-go/pulsar/log"
)

type result struct {
	Sent            int64   `json:"sent"`
	SendErrors      int64   `json:"sendErrors"`
	PublishSeconds  float64 `json:"publishSeconds"`
	PublishedBefore bool    `json:"allPublishedBeforeFirstDue"`
	Received        int64   `json:"received"`
	Duplicates      int64   `json:"duplicates"`
	Early           int64   `json:"early"`
	OverOneTick     int64   `json:"overOneTick"`
	LatenessMsP50   float64 `json:"latenessMsP50"`
	LatenessMsP99   float64 `json:"latenessMsP99"`
	LatenessMsP999  float64 `json:"latenessMsP999"`
	LatenessMsMax   float64 `json:"latenessMsMax"`
	EarliestMs      float64 `json:"mostEarlyMs"`
	TotalSeconds    float64 `json:"totalSeconds"`
}

func main() {
	url := flag.String("url", "pulsar://localhost:6650", "service URL")
	topic := flag.String("topic", fmt.Sprintf("persistent://public/default/delayed-bench-%d", time.Now().UnixNano()), "topic")
	count := flag.Int("count", 1_000_000, "messages")
	window := flag.Duration("window", 60*time.Second, "delivery times are spread over this window")
	lead := flag.Duration("lead", 60*time.Second, "the window starts this long after the start")
	tick := flag.Duration("tick", time.Second, "the broker's delayed-delivery tick, for the over-one-tick count")
	flag.Parse()
	logger := pulsarlog.NewLoggerWithSlog(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	client, err := pulsar.NewClient(pulsar.ClientOptions{URL: *url, Logger: logger, OperationTimeout: 60 * time.Second})
	must(err)
	defer client.Close()
	consumer, err := client.Subscribe(pulsar.ConsumerOptions{Topic: *topic, SubscriptionName: "bench", Type: pulsar.Shared,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, ReceiverQueueSize: 10_000})
	must(err)
	start := time.Now()
	firstDue := start.Add(*lead)
	res := &result{}
	var wg sync.WaitGroup
	lateness := make([]float64, 0, *count)
	wg.Add(1)
	go func() {
		defer wg.Done()
		lateness = consume(consumer, *count, firstDue.Add(*window+2*time.Minute), *tick, res)
	}()
	publish(client, *topic, *count, firstDue, *window, res)
	res.PublishSeconds = time.Since(start).Seconds()
	res.PublishedBefore = time.Now().Before(firstDue)
	wg.Wait()
	summarize(lateness, res)
	res.TotalSeconds = time.Since(start).Seconds()
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func publish(client pulsar.Client, topic string, count int, firstDue time.Time, window time.Duration, res *result) {
	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true, MaxPendingMessages: 20_000,
		SendTimeout: 5 * time.Minute})
	must(err)
	defer producer.Close()
	step := float64(window) / float64(count)
	var done sync.WaitGroup
	for i := 0; i < count; i++ {
		at := firstDue.Add(time.Duration(float64(i) * step))
		payload := make([]byte, 16)
		binary.BigEndian.PutUint64(payload, uint64(i))
		binary.BigEndian.PutUint64(payload[8:], uint64(at.UnixMilli()))
		done.Add(1)
		producer.SendAsync(context.Background(), &pulsar.ProducerMessage{Payload: payload, DeliverAt: at},
			func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
				if err != nil {
					atomic.AddInt64(&res.SendErrors, 1)
				} else {
					atomic.AddInt64(&res.Sent, 1)
				}
				done.Done()
			})
	}
	must(producer.Flush())
	done.Wait()
}

func consume(consumer pulsar.Consumer, count int, deadline time.Time, tick time.Duration, res *result) []float64 {
	seen := make([]bool, count)
	lateness := make([]float64, 0, count)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	for len(lateness) < count {
		m, err := consumer.Receive(ctx)
		if err != nil {
			break
		}
		now := time.Now().UnixMilli()
		payload := m.Payload()
		consumer.Ack(m)
		i := binary.BigEndian.Uint64(payload)
		late := float64(now - int64(binary.BigEndian.Uint64(payload[8:])))
		if i < uint64(count) && seen[i] {
			res.Duplicates++
			continue
		}
		if i < uint64(count) {
			seen[i] = true
		}
		res.Received++
		if late < 0 {
			res.Early++
		}
		if late > float64(tick.Milliseconds()) {
			res.OverOneTick++
		}
		lateness = append(lateness, late)
	}
	return lateness
}

func summarize(lateness []float64, res *result) {
	if len(lateness) == 0 {
		return
	}
	sort.Float64s(lateness)
	at := func(q float64) float64 { return lateness[int(q*float64(len(lateness)-1))] }
	res.LatenessMsP50, res.LatenessMsP99, res.LatenessMsP999 = at(0.5), at(0.99), at(0.999)
	res.LatenessMsMax = lateness[len(lateness)-1]
	res.EarliestMs = lateness[0]
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "delayed bench:", err)
		os.Exit(1)
	}
}
