// Load generator for the Vela benchmark, written with the official Go client
// (github.com/apache/pulsar-client-go, pinned in go.mod). bench/run.mjs drives it; it can also be run
// by hand:
//
//	bench/go-load/bin/load produce -url pulsar://localhost:6650 -topic t -count 100000
//	bench/go-load/bin/load consume -url pulsar://localhost:6650 -topic t -count 100000
//
// produce: sends -count messages of -size bytes from -producers producers on one topic, with
// SendAsync and a callback per message that records the publish latency (SendAsync call → receipt
// callback) in a histogram. Batching is on with every batching option at the client default
// (-batching on) or off. Optionally paced at -rate msg/s (the whole process). Sending stops at
// -time-cap seconds; outstanding receipts are waited for -grace seconds more.
//
// With -keys K every message gets a key (the partition key, "key-<n>", n in [0, K)), round-robin
// over the sequence numbers or random (-key-order), and -batcher key selects the client's key-based
// batch builder (one batch per key, what clients use for Key_Shared).
//
// consume: -consumers consumers of one subscription of -type (exclusive, failover, shared,
// key_shared) at Earliest, in this process, subscribed concurrently, one goroutine each, drain
// -count messages (or stop after -idle seconds without a message, or at -time-cap), acknowledging
// every message (Ack: the client groups acks, 1000 or 100 ms). It checks the sequence numbers that
// produce writes into every payload: duplicates, missing ones, order per producer at each consumer;
// and, for keyed messages, that the key matches the payload, which consumers saw each key, and
// per-key order across all consumers (see keyCheck).
//
// Output on stdout: one JSON line with the figures (nothing else is printed there; the client logs
// to stderr at WARN and above). With -sync (what run.mjs uses) produce prints READY once connected
// and waits for a line GO on stdin, so several processes can start together, and the lines are
//
//	READY / START <unix_s> / DONE <unix_s> / RESULT <json>
//
// Payload layout (big-endian): bytes 0–7 sequence number (-seq-base + index within the process),
// bytes 8–11 producer id (-producer-base + index of the producer in the process), bytes 12–15 the
// magic "VLB1"; the rest is random, the same for every message of a process. Keyed messages (-keys)
// carry the magic "VLB2" and two more fields: bytes 16–19 the key number, bytes 20–27 the send time
// (unix ns, taken just before SendAsync; consume derives end-to-end latency from it).
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	mrand "math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	pulsarlog "github.com/apache/pulsar-client-go/pulsar/log"
)

const headerLen = 16
const keyedHeaderLen = 28

var magic = [4]byte{'V', 'L', 'B', '1'}
var keyedMagic = [4]byte{'V', 'L', 'B', '2'}

// keyName is the message key of key number n.
func keyName(n uint32) string { return fmt.Sprintf("key-%d", n) }

func usage() {
	fmt.Fprintf(os.Stderr, `usage: load produce|consume|first|idle|live [flags]   (load <mode> -h lists the flags)

See the comment at the top of bench/go-load/main.go and bench/README.md.
`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "produce":
		os.Exit(produce(os.Args[2:]))
	case "consume":
		os.Exit(consume(os.Args[2:]))
	case "first":
		os.Exit(firstProduce(os.Args[2:]))
	case "idle":
		os.Exit(idleConnections(os.Args[2:]))
	case "live":
		os.Exit(live(os.Args[2:]))
	default:
		usage()
	}
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

// out is the only writer of stdout.
var out = bufio.NewWriter(os.Stdout)

func emit(format string, args ...any) {
	fmt.Fprintf(out, format+"\n", args...)
	out.Flush()
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func newClient(url string) (pulsar.Client, error) {
	logger := pulsarlog.NewLoggerWithSlog(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	return pulsar.NewClient(pulsar.ClientOptions{
		URL:               url,
		OperationTimeout:  30 * time.Second,
		ConnectionTimeout: 10 * time.Second,
		// The default 64 MiB would cap what waits in the client below MaxPendingMessages × size with
		// several producers; MaxPendingMessages is meant to be the bound here.
		MemoryLimitBytes: 1 << 30,
		Logger:           logger,
	})
}

// closeWithin closes the client but gives up after d (a dead broker must not hang the process).
func closeWithin(d time.Duration, closers ...func()) {
	done := make(chan struct{})
	go func() {
		for _, c := range closers {
			c()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		fmt.Fprintf(os.Stderr, "load: close did not finish within %v\n", d)
	}
}

// watchdog ends the process if it is still running after d: every run is bounded in time.
func watchdog(d time.Duration) {
	time.AfterFunc(d, func() {
		fmt.Fprintf(os.Stderr, "load: watchdog: still running after %v, exiting\n", d)
		out.Flush()
		os.Exit(4)
	})
}

// ---------------------------------------------------------------------------------------------
// Latency histogram: microseconds, exact below 512 µs, above that 256 buckets per power of two
// (a bucket is at most 0.4 % wide; a value is reported as its bucket's midpoint). Lock-free.

const subBits = 9 // 2^9 = 512 exact values; above, 2^(subBits-1) = 256 buckets per doubling
const histLen = (1 << subBits) + (64-subBits)*(1<<(subBits-1))

type histogram struct {
	counts [histLen]atomic.Int64
	maxUs  atomic.Int64
}

func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	shift := bits.Len64(v) - subBits // ≥ 1; v>>shift is in [256, 512)
	return (1 << subBits) + (shift-1)*(1<<(subBits-1)) + int(v>>shift) - (1 << (subBits - 1))
}

// bucketValue is the midpoint of bucket i, in µs.
func bucketValue(i int) float64 {
	if i < 1<<subBits {
		return float64(i)
	}
	j := i - (1 << subBits)
	shift := j/(1<<(subBits-1)) + 1
	top := uint64(j%(1<<(subBits-1)) + (1 << (subBits - 1)))
	lo := top << shift
	return float64(lo) + float64(uint64(1)<<shift-1)/2
}

func (h *histogram) record(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[bucketOf(uint64(us))].Add(1)
	for {
		m := h.maxUs.Load()
		if us <= m || h.maxUs.CompareAndSwap(m, us) {
			break
		}
	}
}

type latencySummary struct {
	Count  int64      `json:"count"`
	P50    float64    `json:"p50_ms"`
	P99    float64    `json:"p99_ms"`
	P999   float64    `json:"p99_9_ms"`
	Max    float64    `json:"max_ms"`
	Mean   float64    `json:"mean_ms"`
	Sparse [][2]int64 // [bucket midpoint µs (rounded), count], for merging across processes
}

func (h *histogram) summary() latencySummary {
	var s latencySummary
	counts := make([]int64, histLen)
	var sum float64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		s.Count += counts[i]
		if counts[i] > 0 {
			v := bucketValue(i)
			sum += v * float64(counts[i])
			s.Sparse = append(s.Sparse, [2]int64{int64(math.Round(v)), counts[i]})
		}
	}
	if s.Count == 0 {
		nan := math.NaN()
		s.P50, s.P99, s.P999, s.Max, s.Mean = nan, nan, nan, nan, nan
		return s
	}
	// Nearest rank, as bench/run.mjs computes it.
	rank := func(p float64) float64 {
		r := int64(math.Ceil(p / 100 * float64(s.Count)))
		if r < 1 {
			r = 1
		}
		var seen int64
		for i, c := range counts {
			seen += c
			if seen >= r {
				return bucketValue(i) / 1000
			}
		}
		return bucketValue(histLen-1) / 1000
	}
	// A bucket's midpoint can lie above the largest value recorded in it: never report more than the maximum.
	s.Max = float64(h.maxUs.Load()) / 1000
	s.P50, s.P99, s.P999 = math.Min(rank(50), s.Max), math.Min(rank(99), s.Max), math.Min(rank(99.9), s.Max)
	s.Mean = sum / float64(s.Count) / 1000
	return s
}

// JSON cannot hold NaN: such figures become null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

// ---------------------------------------------------------------------------------------------
// produce

type produceResult struct {
	Mode          string     `json:"mode"`
	Batching      string     `json:"batching"`
	Batcher       string     `json:"batcher"`
	Keys          int        `json:"keys"`
	KeyOrder      string     `json:"key_order"`
	Rate          float64    `json:"rate"`
	Producers     int        `json:"producers"`
	MaxPending    int        `json:"max_pending_messages"`
	Size          int        `json:"size"`
	Requested     int        `json:"requested"`
	Sent          int64      `json:"sent"`
	Acked         int64      `json:"acked"`
	Failed        int64      `json:"failed"`
	Missing       int64      `json:"missing_receipts"`
	FirstError    *string    `json:"first_error"`
	TimeCapped    bool       `json:"time_capped"`
	Complete      bool       `json:"complete"`
	StartUnix     float64    `json:"start_unix_s"`
	EndUnix       float64    `json:"end_unix_s"`
	Elapsed       jsonFloat  `json:"elapsed_s"`
	SendLoop      jsonFloat  `json:"send_loop_s"`
	MsgPerS       jsonFloat  `json:"msg_per_s"`
	MBPerS        jsonFloat  `json:"mb_per_s"`
	P50           jsonFloat  `json:"p50_ms"`
	P99           jsonFloat  `json:"p99_ms"`
	P999          jsonFloat  `json:"p99_9_ms"`
	Max           jsonFloat  `json:"max_ms"`
	Mean          jsonFloat  `json:"mean_ms"`
	ClientCPU     jsonFloat  `json:"client_cpu_s"`
	ClientUsPerMs jsonFloat  `json:"client_us_per_msg"`
	Hist          [][2]int64 `json:"hist_us"`
}

func produce(argv []string) int {
	fs := flag.NewFlagSet("produce", flag.ExitOnError)
	url := fs.String("url", "pulsar://localhost:6650", "service URL")
	topic := fs.String("topic", "persistent://public/default/bench-go", "topic")
	count := fs.Int("count", 100_000, "messages to send from this process (all producers together)")
	size := fs.Int("size", 1024, "payload bytes per message (at least 16)")
	producers := fs.Int("producers", 1, "producers on the topic in this process, one goroutine each")
	batching := fs.String("batching", "on", "on: batching with the client's default options (≤ 1000 messages, ≤ 128 KiB, 10 ms); off: one SEND per message")
	batcher := fs.String("batcher", "default", "with -batching on: default (one batch of any keys) or key (KeyBasedBatchBuilder: one batch per key)")
	keys := fs.Int("keys", 0, "distinct message keys (partition key \"key-<n>\"); 0 = no key")
	keyOrder := fs.String("key-order", "rr", "with -keys: rr (key = sequence number mod keys) or random (seeded per producer)")
	maxPending := fs.Int("max-pending", 50_000, "MaxPendingMessages of each producer (SendAsync blocks when it is reached)")
	rate := fs.Float64("rate", 0, "messages per second from this process (split evenly over the producers); 0 = as fast as possible")
	warmup := fs.Int("warmup", 0, "messages sent to <topic>-warmup before the timed window")
	timeCap := fs.Float64("time-cap", 60, "seconds; stop sending after this")
	grace := fs.Float64("grace", 30, "seconds to wait for outstanding receipts after the send loop")
	seqBase := fs.Int64("seq-base", 0, "sequence number of this process's first message")
	producerBase := fs.Int("producer-base", 0, "producer id written into the payload by this process's first producer")
	sync_ := fs.Bool("sync", false, "print READY, wait for GO on stdin, and print START/DONE/RESULT lines (bench/run.mjs)")
	_ = fs.Parse(argv)

	if *size < headerLen || *count < 0 || *producers < 1 || (*batching != "on" && *batching != "off") ||
		(*batcher != "default" && *batcher != "key") || *keys < 0 || (*keyOrder != "rr" && *keyOrder != "random") ||
		(*keys > 0 && *size < keyedHeaderLen) {
		fmt.Fprintln(os.Stderr, "load produce: need -size ≥ 16 (≥ 28 with -keys), -count ≥ 0, -producers ≥ 1, -batching on|off, -batcher default|key, -keys ≥ 0, -key-order rr|random")
		return 2
	}
	watchdog(time.Duration((*timeCap+*grace)*float64(time.Second)) + 90*time.Second)

	client, err := newClient(*url)
	if err != nil {
		emit("FAILED client: %v", err)
		return 3
	}
	options := func(t string) pulsar.ProducerOptions {
		builder := pulsar.DefaultBatchBuilder
		if *batcher == "key" {
			builder = pulsar.KeyBasedBatchBuilder
		}
		return pulsar.ProducerOptions{
			Topic:              t,
			DisableBatching:    *batching == "off",
			BatcherBuilderType: builder,
			MaxPendingMessages: *maxPending,
			// Above the time cap: a slow broker shows up as latency, not as send timeouts.
			SendTimeout: time.Duration((*timeCap + *grace + 10) * float64(time.Second)),
		}
	}
	template := make([]byte, *size)
	_, _ = rand.Read(template)
	copy(template[12:16], magic[:])
	if *keys > 0 {
		copy(template[12:16], keyedMagic[:])
	}
	var keyNames []string
	for n := 0; n < *keys; n++ {
		keyNames = append(keyNames, keyName(uint32(n)))
	}

	if *warmup > 0 {
		warm, err := client.CreateProducer(options(*topic + "-warmup"))
		if err != nil {
			emit("FAILED warm-up producer: %v", err)
			return 3
		}
		var wg sync.WaitGroup
		for i := 0; i < *warmup; i++ {
			wg.Add(1)
			warm.SendAsync(context.Background(), &pulsar.ProducerMessage{Payload: template}, func(pulsar.MessageID, *pulsar.ProducerMessage, error) { wg.Done() })
		}
		_ = warm.FlushWithCtx(context.Background())
		wg.Wait()
		warm.Close()
	}

	ps := make([]pulsar.Producer, *producers)
	for i := range ps {
		if ps[i], err = client.CreateProducer(options(*topic)); err != nil {
			emit("FAILED producer %d: %v", i, err)
			return 3
		}
	}

	if *sync_ {
		emit("READY")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if line != "GO\n" {
			closeWithin(10*time.Second, client.Close)
			return 2
		}
	}

	var (
		hist      histogram
		acked     atomic.Int64
		failed    atomic.Int64
		sent      atomic.Int64
		capped    atomic.Bool
		errOnce   sync.Once
		firstErr  *string
		lastDone  atomic.Int64 // unix ns of the latest callback
		pendingWG sync.WaitGroup
	)
	cpu0 := cpuSeconds()
	t0 := time.Now()
	deadline := t0.Add(time.Duration(*timeCap * float64(time.Second)))
	if *sync_ {
		emit("START %.6f", unixSeconds(t0))
	}

	// Producer k sends the contiguous share [from, to) of this process's sequence numbers.
	var loops sync.WaitGroup
	for k := range ps {
		from := int64(*count) * int64(k) / int64(len(ps))
		to := int64(*count) * int64(k+1) / int64(len(ps))
		loops.Add(1)
		go func(p pulsar.Producer, producerID uint32, from, to int64) {
			defer loops.Done()
			rng := mrand.New(mrand.NewPCG(uint64(producerID)+1, uint64(*seqBase)))
			interval := time.Duration(0)
			if *rate > 0 {
				interval = time.Duration(float64(time.Second) * float64(len(ps)) / *rate)
			}
			for i := from; i < to; i++ {
				n := i - from
				if n&255 == 0 && n > 0 && time.Now().After(deadline) {
					capped.Store(true)
					return
				}
				if interval > 0 {
					// Fixed schedule; a loop that fell behind catches up by sending back to back.
					if wait := time.Until(t0.Add(time.Duration(n) * interval)); wait > 0 {
						time.Sleep(wait)
					}
				}
				payload := make([]byte, len(template))
				copy(payload, template)
				binary.BigEndian.PutUint64(payload[0:8], uint64(*seqBase+i))
				binary.BigEndian.PutUint32(payload[8:12], producerID)
				msg := &pulsar.ProducerMessage{Payload: payload}
				if *keys > 0 {
					k := uint32((*seqBase + i) % int64(*keys))
					if *keyOrder == "random" {
						k = uint32(rng.IntN(*keys))
					}
					msg.Key = keyNames[k]
					binary.BigEndian.PutUint32(payload[16:20], k)
				}
				pendingWG.Add(1)
				sent.Add(1)
				sentAt := time.Now()
				if *keys > 0 {
					binary.BigEndian.PutUint64(payload[20:28], uint64(sentAt.UnixNano()))
				}
				p.SendAsync(context.Background(), msg, func(_ pulsar.MessageID, _ *pulsar.ProducerMessage, err error) {
					now := time.Now()
					if err == nil {
						hist.record(now.Sub(sentAt))
						acked.Add(1)
					} else {
						failed.Add(1)
						errOnce.Do(func() { s := err.Error(); firstErr = &s })
					}
					ns := now.UnixNano()
					for {
						m := lastDone.Load()
						if ns <= m || lastDone.CompareAndSwap(m, ns) {
							break
						}
					}
					pendingWG.Done()
				})
			}
		}(ps[k], uint32(*producerBase+k), from, to)
	}
	loops.Wait()
	sendLoop := time.Since(t0)

	// Send partly filled batches now instead of after the batch delay; the callbacks still count.
	// Receipts are waited for until the time cap plus the grace period, and at least the grace period.
	waitFrom := deadline
	if now := time.Now(); now.After(waitFrom) {
		waitFrom = now
	}
	waitUntil := waitFrom.Add(time.Duration(*grace * float64(time.Second)))
	for _, p := range ps {
		ctx, cancel := context.WithDeadline(context.Background(), waitUntil)
		if err := p.FlushWithCtx(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "load: flush: %v\n", err)
		}
		cancel()
	}
	allDone := make(chan struct{})
	go func() { pendingWG.Wait(); close(allDone) }()
	complete := true
	select {
	case <-allDone:
	case <-time.After(time.Until(waitUntil)):
		complete = false
	}
	tEnd := time.Now()
	cpu1 := cpuSeconds()

	end := time.Unix(0, lastDone.Load())
	if !complete || lastDone.Load() == 0 {
		end = tEnd
	}
	elapsed := end.Sub(t0).Seconds()
	lat := hist.summary()
	nAcked, nFailed, nSent := acked.Load(), failed.Load(), sent.Load()
	res := produceResult{
		Mode: "produce", Batching: *batching, Batcher: *batcher, Keys: *keys, KeyOrder: *keyOrder, Rate: *rate, Producers: len(ps), MaxPending: *maxPending, Size: *size,
		Requested: *count, Sent: nSent, Acked: nAcked, Failed: nFailed, Missing: nSent - nAcked - nFailed,
		FirstError: firstErr, TimeCapped: capped.Load(), Complete: complete,
		StartUnix: unixSeconds(t0), EndUnix: unixSeconds(end),
		Elapsed: jsonFloat(elapsed), SendLoop: jsonFloat(sendLoop.Seconds()),
		MsgPerS: jsonFloat(float64(nAcked) / elapsed), MBPerS: jsonFloat(float64(nAcked) * float64(*size) / elapsed / 1e6),
		P50: jsonFloat(lat.P50), P99: jsonFloat(lat.P99), P999: jsonFloat(lat.P999), Max: jsonFloat(lat.Max), Mean: jsonFloat(lat.Mean),
		ClientCPU: jsonFloat(cpu1 - cpu0), ClientUsPerMs: jsonFloat((cpu1 - cpu0) / float64(nAcked) * 1e6),
		Hist: lat.Sparse,
	}
	if *sync_ {
		emit("DONE %.6f", unixSeconds(end))
	}
	line, _ := json.Marshal(res)
	if *sync_ {
		emit("RESULT %s", line)
	} else {
		emit("%s", line)
	}
	closers := make([]func(), 0, len(ps)+1)
	for _, p := range ps {
		closers = append(closers, p.Close)
	}
	closeWithin(15*time.Second, append(closers, client.Close)...)
	if !complete || nFailed > 0 {
		return 3
	}
	return 0
}

// ---------------------------------------------------------------------------------------------
// consume

type consumeResult struct {
	Mode          string    `json:"mode"`
	Type          string    `json:"type"`
	Consumers     int       `json:"consumers"`
	Expected      int64     `json:"expected"`
	Received      int64     `json:"received"`
	PerConsumer   []int64   `json:"per_consumer"`
	Distinct      int64     `json:"distinct"`
	Duplicates    int64     `json:"duplicates"`
	MissingSeq    int64     `json:"missing"`
	OutOfRange    int64     `json:"out_of_range"`
	BadPayload    int64     `json:"bad_payload"`
	OutOfOrder    int64     `json:"out_of_order"`
	PayloadBytes  int64     `json:"payload_bytes"`
	StopReason    string    `json:"stop_reason"`
	Preload       jsonFloat `json:"preload_s"`
	Subscribe     jsonFloat `json:"subscribe_s"`
	FirstMessage  jsonFloat `json:"first_message_s"`
	StartUnix     float64   `json:"start_unix_s"`
	EndUnix       float64   `json:"end_unix_s"`
	Elapsed       jsonFloat `json:"elapsed_s"`
	MsgPerS       jsonFloat `json:"msg_per_s"`
	MBPerS        jsonFloat `json:"mb_per_s"`
	ClientCPU     jsonFloat `json:"client_cpu_s"`
	FirstMissing  []int64   `json:"first_missing"`
	AckErrors     int64     `json:"ack_errors"`
	FirstAckError *string   `json:"first_ack_error"`
	// Keyed messages (VLB2 payloads) only.
	Keyed           int64     `json:"keyed"`
	KeyMismatch     int64     `json:"key_mismatch"`
	KeysSeen        int64     `json:"keys_seen"`
	KeysMultiConsum int64     `json:"keys_at_several_consumers"`
	KeyMoves        int64     `json:"key_moves"`
	KeyMovesBack    int64     `json:"key_moves_back"`
	KeyMovesEarlier int64     `json:"key_moves_to_earlier_joined"`
	SubscribeSpread jsonFloat `json:"subscribe_spread_s"`
	LastMoveAt      int64     `json:"last_key_move_at"`
	KeyOutOfOrder   int64     `json:"key_out_of_order"`
	FirstKeyOOO     *string   `json:"first_key_out_of_order"`
	BeforeAllJoined int64     `json:"received_before_all_subscribed"`
	E2EP50          jsonFloat `json:"e2e_p50_ms"`
	E2EP99          jsonFloat `json:"e2e_p99_ms"`
	E2EP999         jsonFloat `json:"e2e_p99_9_ms"`
	E2EMax          jsonFloat `json:"e2e_max_ms"`
}

// keyState is what the checker remembers per key: the consumers that got it, in order.
type keyState struct {
	seenBy  uint64 // bit i: consumer i got a message of this key
	last    int8   // consumer of the latest message of this key; -1 none yet
	lastSeq map[uint32]int64
}

// checker is the shared state of all consumer goroutines; each message is checked under the lock
// before it is acknowledged. The order in which messages pass the lock is a valid order of reception:
// a message of a key that Key_Shared moved to another consumer can only be dispatched there after the
// previous owner acknowledged the key's earlier messages, which it does after checking them. So a
// sequence number that goes down for a key (per producer) in check order is a real per-key order
// violation, never an artefact of the goroutines.
type checker struct {
	mu         sync.Mutex
	count      int64
	seqBase    int64
	keys       int
	keyNames   []string
	seen       []uint64             // bitmap over [seq-base, seq-base+count)
	lastSeq    []map[uint32]int64   // per consumer, per producer id: highest sequence number so far
	keyStates  []keyState           // per key number (payload), when -keys is given
	keyMap     map[uint32]*keyState // key numbers ≥ -keys (should not happen)
	r          consumeResult
	allJoined  bool
	joinedAt   []time.Duration // per consumer: when its Subscribe returned (since t0)
	e2e        histogram
	lastAtNs   int64
	firstAtNs  int64
	done       chan struct{}
	doneClosed bool
}

func (c *checker) check(consumerIdx int, payload []byte, key string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.doneClosed {
		return // past -count: the drain is over, the rest does not count
	}
	c.r.Received++
	c.r.PerConsumer[consumerIdx]++
	ns := now.UnixNano()
	c.lastAtNs = ns
	if c.firstAtNs == 0 {
		c.firstAtNs = ns
	}
	if !c.allJoined {
		c.r.BeforeAllJoined++
	}
	c.r.PayloadBytes += int64(len(payload))
	keyed := len(payload) >= keyedHeaderLen && [4]byte(payload[12:16]) == keyedMagic
	if len(payload) < headerLen || !(keyed || [4]byte(payload[12:16]) == magic) {
		c.r.BadPayload++
	} else {
		seq := int64(binary.BigEndian.Uint64(payload[0:8]))
		pid := binary.BigEndian.Uint32(payload[8:12])
		if last, ok := c.lastSeq[consumerIdx][pid]; ok && seq <= last {
			c.r.OutOfOrder++
		} else {
			c.lastSeq[consumerIdx][pid] = seq
		}
		off := seq - c.seqBase
		if off < 0 || off >= c.count {
			c.r.OutOfRange++
		} else if c.seen[off/64]&(1<<(off%64)) != 0 {
			c.r.Duplicates++
		} else {
			c.seen[off/64] |= 1 << (off % 64)
			c.r.Distinct++
		}
		if keyed {
			c.r.Keyed++
			k := binary.BigEndian.Uint32(payload[16:20])
			if sent := int64(binary.BigEndian.Uint64(payload[20:28])); sent > 0 && ns >= sent {
				c.e2e.record(time.Duration(ns - sent))
			}
			var st *keyState
			if int(k) < len(c.keyStates) {
				st = &c.keyStates[k]
				if key != c.keyNames[k] {
					c.r.KeyMismatch++
				}
			} else {
				c.r.KeyMismatch++ // key number outside -keys
				if st = c.keyMap[k]; st == nil {
					st = &keyState{last: -1}
					c.keyMap[k] = st
				}
			}
			bit := uint64(1) << uint(consumerIdx)
			if st.last >= 0 && int(st.last) != consumerIdx {
				c.r.KeyMoves++
				c.r.LastMoveAt = c.r.Received
				if st.seenBy&bit != 0 {
					c.r.KeyMovesBack++ // back to a consumer that had the key before
				}
				// AUTO_SPLIT moves keys only to a consumer that joins; a move to one that joined
				// before the key's previous consumer has no such explanation.
				if c.joinedAt[consumerIdx] < c.joinedAt[st.last] {
					c.r.KeyMovesEarlier++
				}
			}
			st.seenBy |= bit
			st.last = int8(consumerIdx)
			if st.lastSeq == nil {
				st.lastSeq = make(map[uint32]int64, 1)
			}
			if last, ok := st.lastSeq[pid]; ok && seq <= last {
				c.r.KeyOutOfOrder++
				if c.r.FirstKeyOOO == nil {
					s := fmt.Sprintf("key %d: sequence number %d (producer %d) at consumer %d after %d", k, seq, pid, consumerIdx, last)
					c.r.FirstKeyOOO = &s
				}
			} else {
				st.lastSeq[pid] = seq
			}
		}
	}
	if c.r.Received >= c.count && !c.doneClosed {
		c.doneClosed = true
		close(c.done)
	}
}

func parseSubscriptionType(s string) (pulsar.SubscriptionType, bool) {
	switch s {
	case "exclusive":
		return pulsar.Exclusive, true
	case "failover":
		return pulsar.Failover, true
	case "shared":
		return pulsar.Shared, true
	case "key_shared":
		return pulsar.KeyShared, true
	}
	return 0, false
}

func consume(argv []string) int {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	url := fs.String("url", "pulsar://localhost:6650", "service URL")
	topic := fs.String("topic", "persistent://public/default/bench-go", "topic")
	subscription := fs.String("subscription", "bench-drain", "subscription name (at Earliest)")
	subType := fs.String("type", "exclusive", "subscription type: exclusive, failover, shared, key_shared")
	consumers := fs.Int("consumers", 1, "consumers on the subscription in this process (one connection), one goroutine each")
	keys := fs.Int("keys", 0, "the -keys the producer used (key names key-<n>); keys outside count as mismatches")
	count := fs.Int64("count", 100_000, "messages expected: sequence numbers [seq-base, seq-base+count)")
	seqBase := fs.Int64("seq-base", 0, "lowest expected sequence number")
	receiverQueue := fs.Int("receiver-queue", 1000, "ReceiverQueueSize of each consumer")
	timeCap := fs.Float64("time-cap", 60, "seconds; stop receiving after this")
	idle := fs.Float64("idle", 5, "seconds without a message after which to give up")
	sync_ := fs.Bool("sync", false, "print START/DONE/RESULT lines (bench/run.mjs)")
	waitGo := fs.Bool("wait-go", false, "with -sync: subscribe first, print READY, wait for GO on stdin, then START (live runs)")
	preload := fs.Bool("preload", false, "before START: create and close a producer on the topic, so that the broker has loaded it (a broker restarted on a backlog loads the topic on first use)")
	_ = fs.Parse(argv)
	st, ok := parseSubscriptionType(*subType)
	if !ok || *consumers < 1 || *consumers > 64 || *count < 0 || (*consumers > 1 && (st == pulsar.Exclusive)) {
		fmt.Fprintln(os.Stderr, "load consume: need -type exclusive|failover|shared|key_shared, 1 ≤ -consumers ≤ 64 (1 with exclusive), -count ≥ 0")
		return 2
	}
	// Without -wait-go the watchdog covers subscribe + time cap; with it, the wait for GO too.
	watchdog(time.Duration((*timeCap+*idle)*float64(time.Second)) + 120*time.Second)

	client, err := newClient(*url)
	if err != nil {
		emit("FAILED client: %v", err)
		return 3
	}
	c := &checker{
		count: *count, seqBase: *seqBase, keys: *keys,
		seen:    make([]uint64, (*count+63)/64),
		lastSeq: make([]map[uint32]int64, *consumers),
		keyMap:  map[uint32]*keyState{},
		done:    make(chan struct{}),
	}
	c.r.PerConsumer = make([]int64, *consumers)
	for i := range c.lastSeq {
		c.lastSeq[i] = map[uint32]int64{}
	}
	c.keyStates = make([]keyState, *keys)
	c.keyNames = make([]string, *keys)
	for k := range c.keyStates {
		c.keyStates[k].last = -1
		c.keyNames[k] = keyName(uint32(k))
	}
	if *count == 0 {
		c.doneClosed = true
		close(c.done)
	}

	var preloadS float64
	if *preload {
		p0 := time.Now()
		p, err := client.CreateProducer(pulsar.ProducerOptions{Topic: *topic})
		if err != nil {
			emit("FAILED preload producer: %v", err)
			closeWithin(10*time.Second, client.Close)
			return 3
		}
		p.Close()
		preloadS = time.Since(p0).Seconds()
	}
	cpu0 := cpuSeconds()
	t0 := time.Now()
	if *sync_ && !*waitGo {
		emit("START %.6f", unixSeconds(t0))
	}
	// All consumers subscribe at once (one connection): their SUBSCRIBE commands reach the broker
	// back to back, mostly before any of them has sent its first FLOW, so a Key_Shared backlog is
	// usually split over all of them from the first message on.
	cs := make([]pulsar.Consumer, *consumers)
	errs := make([]error, *consumers)
	c.joinedAt = make([]time.Duration, *consumers)
	var subWG sync.WaitGroup
	for i := range cs {
		subWG.Add(1)
		go func(i int) {
			defer subWG.Done()
			cs[i], errs[i] = client.Subscribe(pulsar.ConsumerOptions{
				Topic:                       *topic,
				SubscriptionName:            *subscription,
				Name:                        fmt.Sprintf("bench-%d", i),
				Type:                        st,
				SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest,
				ReceiverQueueSize:           *receiverQueue,
			})
			c.joinedAt[i] = time.Since(t0)
		}(i)
	}
	subWG.Wait()
	closeAll := func() {
		var closers []func()
		for _, cons := range cs {
			if cons != nil {
				closers = append(closers, cons.Close) // Close flushes the grouped acks
			}
		}
		closeWithin(15*time.Second, append(closers, client.Close)...)
	}
	for i, err := range errs {
		if err != nil {
			emit("FAILED subscribe consumer %d: %v", i, err)
			closeAll()
			return 3
		}
	}
	c.mu.Lock()
	c.allJoined = true
	c.mu.Unlock()
	subscribed := time.Since(t0)
	minJ, maxJ := c.joinedAt[0], c.joinedAt[0]
	for _, j := range c.joinedAt {
		minJ, maxJ = min(minJ, j), max(maxJ, j)
	}
	c.r.SubscribeSpread = jsonFloat((maxJ - minJ).Seconds())

	if *waitGo {
		if *sync_ {
			emit("READY")
		}
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if line != "GO\n" {
			closeAll()
			return 2
		}
		t0 = time.Now()
		cpu0 = cpuSeconds()
		if *sync_ {
			emit("START %.6f", unixSeconds(t0))
		}
	}
	deadline := t0.Add(time.Duration(*timeCap * float64(time.Second)))
	idleD := time.Duration(*idle * float64(time.Second))

	stop := make(chan struct{})
	var ackErrors atomic.Int64
	var ackErrOnce sync.Once
	var firstAckErr *string
	var loops sync.WaitGroup
	for i, cons := range cs {
		loops.Add(1)
		go func(i int, cons pulsar.Consumer) {
			defer loops.Done()
			ch := cons.Chan()
			for {
				select {
				case <-stop:
					return
				case cm := <-ch:
					c.check(i, cm.Payload(), cm.Key(), time.Now())
					if err := cons.Ack(cm.Message); err != nil && !errors.Is(err, context.Canceled) {
						ackErrors.Add(1)
						ackErrOnce.Do(func() { s := err.Error(); firstAckErr = &s })
					}
				}
			}
		}(i, cons)
	}

	reason := "count"
	tick := time.NewTicker(50 * time.Millisecond)
wait:
	for {
		select {
		case <-c.done:
			break wait
		case now := <-tick.C:
			if now.After(deadline) {
				reason = "time cap"
				break wait
			}
			c.mu.Lock()
			last := c.lastAtNs
			c.mu.Unlock()
			since := t0
			if last > 0 {
				since = time.Unix(0, last)
			}
			if now.Sub(since) > idleD {
				reason = fmt.Sprintf("nothing for %g s", *idle)
				break wait
			}
		}
	}
	tick.Stop()
	cpu1 := cpuSeconds()
	close(stop)
	loops.Wait()

	c.mu.Lock()
	c.doneClosed = true
	r := c.r
	lastAt := t0
	if c.lastAtNs > 0 {
		lastAt = time.Unix(0, c.lastAtNs)
	}
	firstAtNs := c.firstAtNs
	c.mu.Unlock()

	r.Mode = "consume"
	r.Type = *subType
	r.Consumers = *consumers
	r.StopReason = reason
	r.Expected = *count
	r.MissingSeq = *count - r.Distinct
	for off := int64(0); off < *count && len(r.FirstMissing) < 10; off++ {
		if c.seen[off/64]&(1<<(off%64)) == 0 {
			r.FirstMissing = append(r.FirstMissing, *seqBase+off)
		}
	}
	for k := range c.keyStates {
		if ks := &c.keyStates[k]; ks.seenBy != 0 {
			r.KeysSeen++
			if bits.OnesCount64(ks.seenBy) > 1 {
				r.KeysMultiConsum++
			}
		}
	}
	for _, ks := range c.keyMap {
		r.KeysSeen++
		if bits.OnesCount64(ks.seenBy) > 1 {
			r.KeysMultiConsum++
		}
	}
	r.AckErrors = ackErrors.Load()
	r.FirstAckError = firstAckErr
	elapsed := lastAt.Sub(t0).Seconds()
	r.Subscribe = jsonFloat(subscribed.Seconds())
	r.Preload = jsonFloat(preloadS)
	r.FirstMessage = jsonFloat(math.NaN())
	if firstAtNs > 0 {
		r.FirstMessage = jsonFloat(time.Unix(0, firstAtNs).Sub(t0).Seconds())
	}
	e2e := c.e2e.summary()
	r.E2EP50, r.E2EP99, r.E2EP999, r.E2EMax = jsonFloat(e2e.P50), jsonFloat(e2e.P99), jsonFloat(e2e.P999), jsonFloat(e2e.Max)
	r.StartUnix = unixSeconds(t0)
	r.EndUnix = unixSeconds(lastAt)
	r.Elapsed = jsonFloat(elapsed)
	r.MsgPerS = jsonFloat(float64(r.Received) / elapsed)
	r.MBPerS = jsonFloat(float64(r.PayloadBytes) / elapsed / 1e6)
	r.ClientCPU = jsonFloat(cpu1 - cpu0)
	if *sync_ {
		emit("DONE %.6f", r.EndUnix)
	}
	line, _ := json.Marshal(r)
	if *sync_ {
		emit("RESULT %s", line)
	} else {
		emit("%s", line)
	}
	closeAll()
	if r.Received != *count || r.Duplicates > 0 || r.MissingSeq > 0 || r.BadPayload > 0 || r.OutOfRange > 0 || r.KeyMismatch > 0 || r.AckErrors > 0 {
		return 3
	}
	// One active consumer receives in publish order; with several (Shared, Key_Shared) messages of
	// different keys may reach a consumer out of publish order (replay, look-ahead): only reported.
	if r.OutOfOrder > 0 && (st == pulsar.Exclusive || st == pulsar.Failover) {
		return 3
	}
	if st == pulsar.KeyShared && (r.KeyOutOfOrder > 0 || r.KeyMovesBack > 0 || r.KeyMovesEarlier > 0) {
		return 3
	}
	return 0
}
