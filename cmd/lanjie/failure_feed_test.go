package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// synthFeed makes synthetic transfers and calls with unique ids, valid per DESIGN.md: calls
// from a few foreign numbers to a pool of residents, who then transfer money, so the
// rules fire now and then and orders and warnings are journaled along with events.
type synthFeed struct {
	prefix string
	n      int
	rng    *rand.Rand
	cst    *time.Location
}

func newSynthFeed(prefix string) *synthFeed {
	return &synthFeed{prefix: prefix, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), cst: time.FixedZone("CST", 8*3600)}
}

// batch returns an NDJSON body of size events and their ids.
func (f *synthFeed) batch(size int) ([]byte, []string) {
	var b bytes.Buffer
	ids := make([]string, 0, size)
	at := time.Now().In(f.cst).Format(time.RFC3339Nano)
	for range size {
		f.n++
		id := f.prefix + strconv.Itoa(f.n)
		ids = append(ids, id)
		resident := 10000000 + f.rng.IntN(50000)
		if f.rng.IntN(2) == 0 {
			caller := fmt.Sprintf("+86139%08d", f.rng.IntN(1e8))
			origin := ""
			if f.rng.IntN(20) == 0 {
				caller = fmt.Sprintf("+8551234%04d", f.rng.IntN(20))
				origin = `,"origin":"international_gateway"`
			}
			fmt.Fprintf(&b, `{"id":%q,"kind":"call","at":%q,"operator":"CMCC","caller":%q,"callee":"+86138%08d","duration_s":%d%s}`+"\n",
				id, at, caller, resident, f.rng.IntN(900), origin)
			continue
		}
		fmt.Fprintf(&b, `{"id":%q,"kind":"transfer","at":%q,"bank":"ICBC","payer_account":"622202%010d","payer_phone":"+86138%08d","payee_account":"622848%010d","payee_bank":"ABC","amount":"%d.%02d","payer_balance":"%d.00","channel":"mobile"}`+"\n",
			id, at, resident, resident, f.rng.IntN(200), 1+f.rng.IntN(50000), f.rng.IntN(100), 60000)
	}
	return b.Bytes(), ids
}

// endpoint is the base URL of the child serving now; empty while it is down.
type endpoint struct {
	mu   sync.Mutex
	url  string
	up   chan struct{} // closed once url is set
	down bool
}

func newEndpoint() *endpoint { return &endpoint{up: make(chan struct{}), down: true} }

func (e *endpoint) set(url string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.url = url
	if e.down {
		close(e.up)
		e.down = false
	}
}

func (e *endpoint) clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.down {
		e.url, e.up, e.down = "", make(chan struct{}), true
	}
}

// get waits until a child serves and returns its URL.
func (e *endpoint) get(ctx context.Context) (string, error) {
	for {
		e.mu.Lock()
		url, up := e.url, e.up
		e.mu.Unlock()
		if url != "" {
			return url, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// feedClient posts batches as fast as the server takes them (or at rate), retrying a
// batch until it is acknowledged (200 with every line accepted), and records what was
// acknowledged.
type feedClient struct {
	ep   *endpoint
	feed *synthFeed
	http *http.Client
	rate int    // events per second at most; 0: as fast as the server takes them
	key  string // the API key sent as a Bearer token

	mu sync.Mutex
	st feedState
}

// feedState is what a feedClient has seen.
type feedState struct {
	posted     map[string]bool   // every id ever sent
	acked      []string          // ids of the acknowledged batches, in order
	decided    map[string]string // acknowledged id: "score/level" of the decision answered
	marks      []ackMark         // when each batch was acknowledged
	posts      int               // requests sent
	failures   int               // requests that were not acknowledged
	duplicates int               // acknowledged lines answered as seen before
	firstErr   string
}

type ackMark struct {
	at time.Time
	n  int
}

func newFeedClient(ep *endpoint, f *synthFeed) *feedClient {
	return &feedClient{ep: ep, feed: f, st: feedState{posted: map[string]bool{}, decided: map[string]string{}},
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}}
}

// batchReply is the part of the answer to POST /api/v1/events the client checks.
type batchReply struct {
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Results  []struct {
		Line     int    `json:"line"`
		Error    string `json:"error"`
		Decision *struct {
			EventID   string `json:"event_id"`
			Score     int    `json:"score"`
			Level     string `json:"level"`
			Duplicate bool   `json:"duplicate"`
		} `json:"decision"`
	} `json:"results"`
}

// run posts until ctx ends. It returns an error only when the server refuses a batch
// for what it is (4xx): a bad batch never becomes good by retrying.
func (c *feedClient) run(ctx context.Context) error {
	next := time.Now()
	for ctx.Err() == nil {
		body, ids := c.feed.batch(100 + c.feed.rng.IntN(401))
		if c.rate > 0 {
			// Pace the feed: this batch is due when the previous ones have had their time.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Until(next)):
			}
			next = next.Add(time.Duration(len(ids)) * time.Second / time.Duration(c.rate))
		}
		c.mu.Lock()
		for _, id := range ids {
			c.st.posted[id] = true
		}
		c.mu.Unlock()
		for {
			r, err := c.post(ctx, body, ids)
			if err != nil {
				return err
			}
			if r != nil {
				c.mu.Lock()
				c.st.acked = append(c.st.acked, ids...)
				c.st.marks = append(c.st.marks, ackMark{time.Now(), len(ids)})
				for _, res := range r.Results {
					d := res.Decision
					c.st.decided[d.EventID] = fmt.Sprintf("%d/%s", d.Score, d.Level)
					if d.Duplicate {
						c.st.duplicates++
					}
				}
				c.mu.Unlock()
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			// The child is down or restarting: retry soon, not in a hot loop.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}

// post sends one batch of events ids: the reply when it was acknowledged, nil when
// not (to be retried), an error when it was refused.
func (c *feedClient) post(ctx context.Context, body []byte, ids []string) (*batchReply, error) {
	base, err := c.ep.get(ctx)
	if err != nil {
		return nil, nil
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, base+"/api/v1/events", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+c.key)
	c.mu.Lock()
	c.st.posts++
	c.mu.Unlock()
	fail := func(why string) (*batchReply, error) {
		c.mu.Lock()
		c.st.failures++
		if c.st.firstErr == "" {
			c.st.firstErr = why
		}
		c.mu.Unlock()
		return nil, nil
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fail(err.Error())
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fail("read reply: " + err.Error())
	}
	switch {
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return nil, fmt.Errorf("batch refused: %s: %.500s", resp.Status, raw)
	case resp.StatusCode != http.StatusOK:
		return fail(resp.Status + ": " + string(raw))
	}
	var r batchReply
	if err := json.Unmarshal(raw, &r); err != nil {
		return fail("decode reply: " + err.Error())
	}
	n := len(ids)
	if r.Accepted != n || r.Rejected != 0 || len(r.Results) != n {
		for _, res := range r.Results {
			if res.Error != "" {
				return nil, fmt.Errorf("line %d of a valid batch rejected: %s", res.Line, res.Error)
			}
		}
		return nil, fmt.Errorf("batch of %d answered accepted %d, rejected %d, %d results", n, r.Accepted, r.Rejected, len(r.Results))
	}
	for i, res := range r.Results {
		if res.Decision == nil || res.Decision.EventID != ids[i] {
			return nil, fmt.Errorf("line %d (%s) answered without its decision: %.300s", i+1, ids[i], raw)
		}
	}
	return &r, nil
}

// state returns a copy of what the client has seen so far.
func (c *feedClient) state() feedState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	st.acked = append([]string(nil), st.acked...)
	st.marks = append([]ackMark(nil), st.marks...)
	return st // posted and decided are shared: read them once the client stopped
}

func (c *feedClient) ackCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.st.acked)
}

// readiness is the part of /readyz the tests read.
type readiness struct {
	Status     int
	OK         bool `json:"ok"`
	JournalSeq uint64
	Connected  bool
	Shipped    uint64
	Behind     uint64
	Err        string
}

// readyz reads base/readyz.
func getReadyz(ctx context.Context, base string) (readiness, error) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return readiness{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return readiness{}, err
	}
	defer resp.Body.Close()
	var body struct {
		OK         bool            `json:"ok"`
		JournalSeq uint64          `json:"journal_seq"`
		ClickHouse json.RawMessage `json:"clickhouse"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return readiness{}, fmt.Errorf("readyz: %w", err)
	}
	var ch struct {
		Connected bool   `json:"connected"`
		Shipped   uint64 `json:"shipped_seq"`
		Behind    uint64 `json:"behind"`
		Error     string `json:"error"`
	}
	if err := json.Unmarshal(body.ClickHouse, &ch); err != nil {
		return readiness{}, fmt.Errorf("readyz clickhouse %s: %w", body.ClickHouse, err)
	}
	return readiness{Status: resp.StatusCode, OK: body.OK, JournalSeq: body.JournalSeq, Connected: ch.Connected,
		Shipped: ch.Shipped, Behind: ch.Behind, Err: ch.Error}, nil
}

// waitReady polls /readyz until cond holds, and returns the last reading.
func waitReady(ctx context.Context, base string, cond func(readiness) bool) (readiness, error) {
	var last readiness
	var lastErr error
	for {
		r, err := getReadyz(ctx, base)
		if err == nil && cond(r) {
			return r, nil
		}
		if err == nil {
			last = r
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("%w (last /readyz: %+v, last error: %v)", ctx.Err(), last, lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
