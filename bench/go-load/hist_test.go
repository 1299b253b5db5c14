package main

import (
	"math"
	"testing"
	"time"
)

// Every value maps to a bucket whose midpoint is within 0.4 % of it, and buckets rise with the value.
func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<24; v += 1 + v/977 {
		b := bucketOf(v)
		if b < prev {
			t.Fatalf("bucket of %d is %d, below %d", v, b, prev)
		}
		prev = b
		if b >= histLen {
			t.Fatalf("bucket of %d is %d, past the end", v, b)
		}
		mid := bucketValue(b)
		if v < 512 && mid != float64(v) {
			t.Fatalf("%d: midpoint %v, want exact", v, mid)
		}
		if rel := math.Abs(mid-float64(v)) / float64(v); v >= 512 && rel > 0.004 {
			t.Fatalf("%d: midpoint %v is %.4f off", v, mid, rel)
		}
	}
	if b := bucketOf(math.MaxUint64); b >= histLen {
		t.Fatalf("max value: bucket %d past the end %d", b, histLen)
	}
}

func TestHistogramPercentiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	s := h.summary()
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p50", s.P50, 500}, {"p99", s.P99, 990}, {"p99.9", s.P999, 999}, {"max", s.Max, 1000}} {
		if math.Abs(c.got-c.want)/c.want > 0.004 {
			t.Errorf("%s = %v ms, want %v", c.name, c.got, c.want)
		}
	}
	if s.Count != 1000 {
		t.Errorf("count %d", s.Count)
	}
}
