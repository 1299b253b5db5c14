package main

// Modes for bench/compare.mjs, which compares brokers side by side. pulsar-perf cannot do the first two;
// live stands in for pulsar-perf where Java is not installed (compare.mjs --smoke):
//
//	load first -url pulsar://127.0.0.1:6650          start to ready: started together with the broker,
//	                                                  retries until one message is produced and acknowledged
//	load idle -addr 127.0.0.1:6650 -conns 5000        opens idle connections (CONNECT handshake only)
//	load live -url … -topics 100 -rate 10000          producers and consumers at once: publish and
//	                                                  end-to-end latency (the Go stand-in for pulsar-perf)

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

// first: waits until the broker's port accepts TCP, then creates a client and a producer on a new
// topic and sends one message synchronously, retrying the whole attempt until it is acknowledged.
// Prints "FIRST <ms since this process started> <attempts>"; the harness takes its own clock at the
// line. Polling the port first keeps the client's reconnect back-off out of the figure.
func firstProduce(argv []string) int {
	fs := flag.NewFlagSet("first", flag.ExitOnError)
	url := fs.String("url", "pulsar://127.0.0.1:6650", "service URL")
	topic := fs.String("topic", "persistent://public/default/first-produce", "topic")
	timeout := fs.Float64("timeout", 120, "seconds to keep trying")
	_ = fs.Parse(argv)
	start := time.Now()
	deadline := start.Add(time.Duration(*timeout * float64(time.Second)))
	watchdog(time.Duration(*timeout*float64(time.Second)) + 30*time.Second)
	hostPort := strings.TrimPrefix(*url, "pulsar://")
	attempts := 0
	var lastErr error
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", hostPort, time.Second)
		if err != nil {
			lastErr = err
			time.Sleep(5 * time.Millisecond)
			continue
		}
		conn.Close()
		attempts++
		if err := sendOne(*url, *topic, deadline); err != nil {
			lastErr = err
			time.Sleep(20 * time.Millisecond)
			continue
		}
		emit("FIRST %.1f %d", float64(time.Since(start).Microseconds())/1000, attempts)
		return 0
	}
	emit("FAILED first produce: %v", lastErr)
	return 3
}

func sendOne(url, topic string, deadline time.Time) error {
	client, err := newClient(url)
	if err != nil {
		return err
	}
	defer closeWithin(5*time.Second, client.Close)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	producer, err := client.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	if err != nil {
		return err
	}
	defer closeWithin(5*time.Second, producer.Close)
	_, err = producer.Send(ctx, &pulsar.ProducerMessage{Payload: []byte("first")})
	return err
}

// idle: opens -conns TCP connections, each completing the Pulsar CONNECT handshake and then idle
// apart from answering the broker's PINGs. Prints "READY <connected> <failed> <seconds>" once every
// handshake has finished, holds the connections until stdin closes (or -hold seconds), closes them
// and prints "CLOSED". No official client can hold thousands of connections cheaply (each Go client
// instance runs its own goroutines and pools), and an idle connection needs nothing but the handshake.
func idleConnections(argv []string) int {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6650", "broker host:port")
	conns := fs.Int("conns", 5000, "connections")
	parallel := fs.Int("parallel", 100, "handshakes in flight at once")
	hold := fs.Float64("hold", 120, "seconds to hold the connections at most")
	_ = fs.Parse(argv)
	watchdog(time.Duration(*hold*float64(time.Second)) + 120*time.Second)

	start := time.Now()
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	open := make([]net.Conn, *conns)
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for i := 0; i < *conns; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			conn, err := handshake(*addr)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			ok.Add(1)
			open[i] = conn
			go answerPings(conn)
		}(i)
	}
	wg.Wait()
	emit("READY %d %d %.2f", ok.Load(), failed.Load(), time.Since(start).Seconds())
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "load idle: first error: %v\n", e)
	}
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Duration(*hold * float64(time.Second))):
	}
	alive := 0
	for _, c := range open {
		if c != nil {
			alive++
			c.Close()
		}
	}
	emit("CLOSED %d", alive)
	return 0
}

// Hand-encoded BaseCommand frames (proto/PulsarApi.proto): type = field 1; connect = field 2
// (client_version = 1, protocol_version = 4); pong = field 19. CONNECTED = 3, PING = 18, PONG = 19.
func frame(cmd []byte) []byte {
	b := make([]byte, 8+len(cmd))
	binary.BigEndian.PutUint32(b[0:], uint32(4+len(cmd)))
	binary.BigEndian.PutUint32(b[4:], uint32(len(cmd)))
	copy(b[8:], cmd)
	return b
}

func connectFrame() []byte {
	version := []byte("vela-bench-idle")
	connect := append([]byte{0x0a, byte(len(version))}, version...)
	connect = append(connect, 0x20, 21)
	cmd := append([]byte{0x08, 2, 0x12, byte(len(connect))}, connect...)
	return frame(cmd)
}

var pongFrame = frame([]byte{0x08, 19, 0x9a, 0x01, 0x00})

// readType reads one frame and returns its command type (0 if the frame has no type field first).
func readType(r *bufio.Reader) (uint64, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, err
	}
	body := make([]byte, binary.BigEndian.Uint32(head[:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, err
	}
	if len(body) < 6 || body[4] != 0x08 {
		return 0, nil
	}
	t, n := binary.Uvarint(body[5:])
	if n <= 0 {
		return 0, errors.New("bad command type")
	}
	return t, nil
}

func handshake(addr string) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write(connectFrame()); err != nil {
		conn.Close()
		return nil, err
	}
	t, err := readType(bufio.NewReaderSize(conn, 512))
	if err != nil || t != 3 {
		conn.Close()
		if err == nil {
			err = fmt.Errorf("expected CONNECTED, got command type %d", t)
		}
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

func answerPings(conn net.Conn) {
	r := bufio.NewReaderSize(conn, 512)
	for {
		t, err := readType(r)
		if err != nil {
			return
		}
		if t == 18 {
			if _, err := conn.Write(pongFrame); err != nil {
				return
			}
		}
	}
}

// live: -topics topics (named <topic>-0 … or just <topic> when -topics is 1), each with one producer and
// -consumers consumers of one subscription of -type, all in this process on one client; the
// consumers subscribe first, then the producers send -rate messages per second in all (0: as fast as
// -max-pending allows) for -duration seconds. Every payload carries its send time (unix ns, bytes
// 0–7), so the consumers record end-to-end latency (send → receive) besides the publish latency
// (SendAsync → receipt). With -keys K each message gets the key "key-<n>", n random in [0, K).
// Prints one line "RESULT <json>".
func live(argv []string) int {
	fs := flag.NewFlagSet("live", flag.ExitOnError)
	url := fs.String("url", "pulsar://127.0.0.1:6650", "service URL")
	topic := fs.String("topic", "persistent://public/default/live", "topic, or prefix of the topics")
	topics := fs.Int("topics", 1, "topics, one producer each")
	consumers := fs.Int("consumers", 1, "consumers per topic (one subscription)")
	subType := fs.String("type", "exclusive", "exclusive, shared or key_shared")
	keys := fs.Int("keys", 0, "random keys per message from this many; 0 = no key")
	rate := fs.Float64("rate", 2000, "messages per second over all producers; 0 = as fast as possible")
	duration := fs.Float64("duration", 10, "seconds of sending")
	size := fs.Int("size", 1024, "payload bytes (at least 8)")
	batching := fs.String("batching", "on", "on (client defaults) or off")
	maxPending := fs.Int("max-pending", 1000, "MaxPendingMessages per producer")
	_ = fs.Parse(argv)
	if *topics < 1 || *consumers < 1 || *size < 8 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "load live: need -topics ≥ 1, -consumers ≥ 1, -size ≥ 8, -duration > 0")
		return 2
	}
	watchdog(time.Duration(*duration*float64(time.Second)) + 120*time.Second)
	client, err := newClient(*url)
	if err != nil {
		emit("FAILED client: %v", err)
		return 3
	}
	defer closeWithin(10*time.Second, client.Close)
	types := map[string]pulsar.SubscriptionType{"exclusive": pulsar.Exclusive, "shared": pulsar.Shared, "key_shared": pulsar.KeyShared}
	st, ok := types[*subType]
	if !ok || (st == pulsar.Exclusive && *consumers > 1) {
		fmt.Fprintln(os.Stderr, "load live: -type exclusive|shared|key_shared (exclusive: one consumer)")
		return 2
	}
	names := make([]string, *topics)
	for i := range names {
		names[i] = *topic
		if *topics > 1 {
			names[i] = fmt.Sprintf("%s-%d", *topic, i)
		}
	}
	var e2e, pub histogram
	var received, sent, acked, failed atomic.Int64
	stop := make(chan struct{})
	var cwg sync.WaitGroup
	var closers []func()
	for _, name := range names {
		for c := 0; c < *consumers; c++ {
			consumer, err := client.Subscribe(pulsar.ConsumerOptions{Topic: name, SubscriptionName: "live", Type: st,
				SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest, ReceiverQueueSize: 1000})
			if err != nil {
				emit("FAILED subscribe %s: %v", name, err)
				return 3
			}
			closers = append(closers, consumer.Close)
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				ch := consumer.Chan()
				for {
					select {
					case <-stop:
						return
					case m := <-ch:
						if p := m.Payload(); len(p) >= 8 {
							e2e.record(time.Duration(time.Now().UnixNano() - int64(binary.BigEndian.Uint64(p))))
						}
						received.Add(1)
						consumer.Ack(m)
					}
				}
			}()
		}
	}
	producers := make([]pulsar.Producer, len(names))
	for i, name := range names {
		p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: name, DisableBatching: *batching == "off", MaxPendingMessages: *maxPending})
		if err != nil {
			emit("FAILED producer %s: %v", name, err)
			return 3
		}
		producers[i] = p
	}
	emit("READY")
	start := time.Now()
	end := start.Add(time.Duration(*duration * float64(time.Second)))
	var pwg sync.WaitGroup
	perProducer := *rate / float64(len(producers))
	for i, p := range producers {
		pwg.Add(1)
		go func(i int, p pulsar.Producer) {
			defer pwg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(i), 7))
			payload := make([]byte, *size)
			for n := 0; ; n++ {
				if perProducer > 0 {
					due := start.Add(time.Duration(float64(n) / perProducer * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						time.Sleep(d)
					}
				}
				if !time.Now().Before(end) {
					return
				}
				msg := &pulsar.ProducerMessage{Payload: append([]byte(nil), payload...)}
				if *keys > 0 {
					msg.Key = keyName(uint32(rng.IntN(*keys)))
				}
				t := time.Now()
				binary.BigEndian.PutUint64(msg.Payload, uint64(t.UnixNano()))
				sent.Add(1)
				p.SendAsync(context.Background(), msg, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
					if err != nil {
						failed.Add(1)
						return
					}
					pub.record(time.Since(t))
					acked.Add(1)
				})
			}
		}(i, p)
	}
	pwg.Wait()
	sendS := time.Since(start).Seconds()
	for _, p := range producers {
		p.Flush()
	}
	// Wait (bounded) for the consumers to receive what was acknowledged.
	for wait := time.Now().Add(30 * time.Second); time.Now().Before(wait) && received.Load() < acked.Load(); {
		time.Sleep(20 * time.Millisecond)
	}
	windowS := time.Since(start).Seconds()
	close(stop)
	cwg.Wait()
	for _, p := range producers {
		closers = append(closers, p.Close)
	}
	closeWithin(10*time.Second, closers...)
	ps, es := pub.summary(), e2e.summary()
	res := map[string]any{
		"topics": len(names), "consumers": *consumers, "type": *subType, "rate": *rate, "batching": *batching,
		"sent": sent.Load(), "acked": acked.Load(), "failed": failed.Load(), "received": received.Load(),
		"send_s": sendS, "window_s": windowS,
		"produce_msg_per_s": jsonFloat(float64(acked.Load()) / sendS), "receive_msg_per_s": jsonFloat(float64(received.Load()) / windowS),
		"pub":          map[string]jsonFloat{"p50": jsonFloat(ps.P50), "p95": jsonFloat(pctOf(&pub, 95)), "p99": jsonFloat(ps.P99), "p99_9": jsonFloat(ps.P999), "p99_99": jsonFloat(pctOf(&pub, 99.99)), "max": jsonFloat(ps.Max)},
		"e2e":          map[string]jsonFloat{"p50": jsonFloat(es.P50), "p95": jsonFloat(pctOf(&e2e, 95)), "p99": jsonFloat(es.P99), "p99_9": jsonFloat(es.P999), "p99_99": jsonFloat(pctOf(&e2e, 99.99)), "max": jsonFloat(es.Max)},
		"client_cpu_s": cpuSeconds(),
	}
	b, _ := json.Marshal(res)
	emit("RESULT %s", b)
	return 0
}

// pctOf is the nearest-rank percentile p of h in ms (NaN when empty), capped at the maximum.
func pctOf(h *histogram, p float64) float64 {
	var total int64
	counts := make([]int64, histLen)
	for i := range counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	if total == 0 {
		return math.NaN()
	}
	r := int64(math.Ceil(p / 100 * float64(total)))
	if r < 1 {
		r = 1
	}
	var seen int64
	for i, c := range counts {
		seen += c
		if seen >= r {
			return math.Min(bucketValue(i)/1000, float64(h.maxUs.Load())/1000)
		}
	}
	return float64(h.maxUs.Load()) / 1000
}
