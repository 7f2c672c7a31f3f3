package ui

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"github.com/lanjie/lanjie/intercept"
)

// latencyBuckets are the upper bounds (µs) of the decision latency histogram.
var latencyBuckets = []int64{5, 10, 25, 50, 100, 250, 500, 1000, 5000}

// stats counts what the server decided, for /metrics.
type stats struct {
	byLevel [4]atomic.Int64
	buckets [10]atomic.Int64 // len(latencyBuckets)+1: the last is +Inf
	sumUS   atomic.Int64
}

func (s *stats) decided(d *intercept.Decision) {
	if d == nil || d.Duplicate {
		return
	}
	s.byLevel[d.Level&3].Add(1)
	i := 0
	for i < len(latencyBuckets) && d.LatencyUS > latencyBuckets[i] {
		i++
	}
	s.buckets[i].Add(1)
	s.sumUS.Add(d.LatencyUS)
}

// Gauges is what cmd adds to /metrics: name → value, names already prefixed; a name
// ending in _total is a counter.
type Gauges func() map[string]float64

// SetGauges adds gauges (journal and shipper lag) and counters (the journal's commits)
// to /metrics.
func (s *Server) SetGauges(g Gauges) { s.gauges = g }

func (s *Server) metrics(c *fiber.Ctx) error {
	var b strings.Builder
	b.WriteString("# HELP lanjie_decisions_total Decisions made, by level.\n# TYPE lanjie_decisions_total counter\n")
	for l := intercept.Green; l <= intercept.Red; l++ {
		fmt.Fprintf(&b, "lanjie_decisions_total{level=%q} %d\n", l, s.stats.byLevel[l].Load())
	}
	b.WriteString("# HELP lanjie_decision_latency_microseconds Time to decide one event.\n# TYPE lanjie_decision_latency_microseconds histogram\n")
	var cum int64
	for i, ub := range latencyBuckets {
		cum += s.stats.buckets[i].Load()
		fmt.Fprintf(&b, "lanjie_decision_latency_microseconds_bucket{le=\"%d\"} %d\n", ub, cum)
	}
	cum += s.stats.buckets[len(latencyBuckets)].Load()
	fmt.Fprintf(&b, "lanjie_decision_latency_microseconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(&b, "lanjie_decision_latency_microseconds_sum %d\nlanjie_decision_latency_microseconds_count %d\n", s.stats.sumUS.Load(), cum)
	b.WriteString("# HELP lanjie_orders Orders by type and current status.\n# TYPE lanjie_orders gauge\n")
	counts := s.desk.Book().CountOrders()
	keys := slices.SortedFunc(maps.Keys(counts), func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
	for _, k := range keys {
		fmt.Fprintf(&b, "lanjie_orders{type=%q,status=%q} %d\n", k[0], k[1], counts[k])
	}
	if s.gauges != nil {
		g := s.gauges()
		for _, name := range slices.Sorted(maps.Keys(g)) {
			typ := "gauge"
			if strings.HasSuffix(name, "_total") {
				typ = "counter"
			}
			fmt.Fprintf(&b, "# TYPE %s %s\n%s %g\n", name, typ, name, g[name])
		}
	}
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4")
	return c.SendString(b.String())
}
