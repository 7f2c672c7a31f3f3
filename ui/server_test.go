package ui_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/intercept/intercepttest"
	"github.com/lanjie/lanjie/rules"
	"github.com/lanjie/lanjie/ui"
	"github.com/lanjie/lanjie/ui/auth"
	"golang.org/x/crypto/bcrypt"
)

// journal is an in-memory intercept.Journal. fail, when set, is asked before each
// append of records (n counts them, from 1); an error it returns refuses the append.
// Like analytics.Journal, appending no records succeeds without asking.
type journal struct {
	mu    sync.Mutex
	recs  []intercept.Record
	calls int
	fail  func(n int) error
}

var _ intercept.Journal = (*journal)(nil)

func (j *journal) Append(_ context.Context, recs ...intercept.Record) (uint64, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.calls++
	if j.fail != nil {
		if err := j.fail(j.calls); err != nil {
			return 0, err
		}
	}
	for _, r := range recs {
		r.Seq, r.Data = uint64(len(j.recs)+1), slices.Clone(r.Data)
		j.recs = append(j.recs, r)
	}
	return uint64(len(j.recs)), nil
}

// eventIDs returns the ids of the decided events journaled, in order; each post's
// audit entry comes after its events.
func (j *journal) eventIDs(t *testing.T) []string {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	ids := []string{}
	for _, r := range j.recs {
		if r.Type == intercept.RecAudit {
			var a intercept.AuditEntry
			if err := json.Unmarshal(r.Data, &a); err != nil || a.Who == "" || a.Remote == "" || !strings.Contains(a.Detail, "lines") {
				t.Fatalf("record %d: audit entry %s: %v", r.Seq, r.Data, err)
			}
			continue
		}
		if r.Type != intercept.RecDecided {
			t.Fatalf("record %d: type %d, want %d (decided)", r.Seq, r.Type, intercept.RecDecided)
		}
		var dr struct {
			Event    struct{ ID string }
			Decision struct {
				EventID string `json:"event_id"`
			}
		}
		if err := json.Unmarshal(r.Data, &dr); err != nil {
			t.Fatalf("record %d: %v", r.Seq, err)
		}
		if dr.Event.ID != dr.Decision.EventID {
			t.Errorf("record %d: event %q with the decision of %q", r.Seq, dr.Event.ID, dr.Decision.EventID)
		}
		ids = append(ids, dr.Event.ID)
	}
	return ids
}

// errDiskGone is a journal failure: the console cannot keep what it is given.
var errDiskGone = fmt.Errorf("write journal: no space left on device: %w", intercept.ErrUnavailable)

// start serves a server over a real engine with the starter rules and j on a random
// port, with +85512345678 black-listed; ready nil means always ready. It returns the
// base URL.
func start(t testing.TB, j *journal, ready ui.Ready) (*ui.Server, string) {
	t.Helper()
	return startWith(t, intercepttest.Settings(), j, ready)
}

// startWith is start with the engine's settings.
func startWith(t testing.TB, set intercept.Settings, j *journal, ready ui.Ready) (*ui.Server, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := intercept.New(set, nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	intercepttest.Black(t, e, "+85512345678")
	if ready == nil {
		ready = func() (bool, any) { return true, map[string]any{"ok": true} }
	}
	desk := intercept.NewDesk(e, j, intercept.Decoder{}, log)
	book := rules.NewBook(&intercepttest.Journal{}, func(s *rules.Set) { e.SetEvaluator(s) }, nil) // rule records apart: tests read j
	if err := book.Seed(context.Background(), rules.Starter(), "system"); err != nil {
		t.Fatal(err)
	}
	st, err := auth.Open(filepath.Join(t.TempDir(), "auth.json"), auth.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Bootstrap(adminPassword); err != nil {
		t.Fatal(err)
	}
	if feedKey, _, err = st.CreateKey("hotline intake", auth.Hotline, "", "admin"); err != nil {
		t.Fatal(err)
	}
	srv := ui.New(ui.Config{Desk: desk, Journal: j, Rules: book, Auth: st, Sessions: auth.NewSessions(0, 0, nil),
		Throttle: auth.NewThrottle(5, time.Minute, nil), Ready: ready, Log: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		ln.Close() // a Serve that had not taken the listener yet returns now
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	for i := 0; ; i++ { // serving once it answers
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatalf("server does not answer: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return srv, base
}

var client = &http.Client{Timeout: 30 * time.Second}

// adminPassword is the test console's first admin's; feedKey is a hotline key that
// do sends, set by start.
const adminPassword = "test-admin-password-1"

var feedKey string

// do sends a request and returns the status and the body.
func do(t *testing.T, method, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if feedKey != "" {
		req.Header.Set("Authorization", "Bearer "+feedKey)
	}
	resp, b := roundTrip(t, req)
	checkOpenAPI(t, req, body, resp, b)
	return resp.StatusCode, b
}

// roundTrip sends req and returns the answer and its body, read whole.
func roundTrip(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// batchBody is the answer to POST /api/v1/events.
type batchBody struct {
	Accepted int
	Rejected int
	Results  []struct {
		Line     int
		Decision *intercept.Decision
		Error    string
		Fields   []intercept.FieldError
	}
}

// problem is the body of an error response.
type problem struct {
	Error  string
	Fields []intercept.FieldError
}

// postEvents posts body to /api/v1/events and decodes a 200 answer.
func postEvents(t *testing.T, base string, body []byte) batchBody {
	t.Helper()
	status, b := do(t, "POST", base+"/api/v1/events", "application/x-ndjson", body)
	if status != http.StatusOK {
		t.Fatalf("POST /api/v1/events: %d %s", status, b)
	}
	var out batchBody
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("batch answer %s: %v", b, err)
	}
	return out
}

// postProblem posts body to path, expects status and decodes the error body.
func postProblem(t *testing.T, base, path string, body []byte, status int) problem {
	t.Helper()
	got, b := do(t, "POST", base+path, "application/json", body)
	if got != status {
		t.Fatalf("POST %s: %d %s, want %d", path, got, b, status)
	}
	var p problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	if p.Error == "" {
		t.Errorf("POST %s: %d with no error message: %s", path, got, b)
	}
	return p
}

// line is what a test checks of one result.
type line struct {
	Line      int
	EventID   string
	Level     string
	Duplicate bool
	Fields    []intercept.FieldError
}

func summary(t *testing.T, out batchBody) []line {
	t.Helper()
	var ls []line
	for _, r := range out.Results {
		l := line{Line: r.Line, Fields: r.Fields}
		switch {
		case r.Decision != nil && r.Error != "":
			t.Errorf("line %d: both a decision and the error %q", r.Line, r.Error)
		case r.Decision != nil:
			l.EventID, l.Level, l.Duplicate = r.Decision.EventID, r.Decision.Level.String(), r.Decision.Duplicate
		case r.Error == "":
			t.Errorf("line %d: neither a decision nor an error", r.Line)
		}
		ls = append(ls, l)
	}
	return ls
}

// batchLines are the lines of testdata/batch.ndjson: four events, one of each level,
// three bad lines between them and a duplicate of t-1 at the end.
func batchLines(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/batch.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(b), []byte("\n"))
}

func ndjson(lines [][]byte) []byte { return append(bytes.Join(lines, []byte("\n")), '\n') }

func jsonArray(lines [][]byte) []byte {
	return append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]"...)
}

var wantBatch = []line{
	{Line: 1, EventID: "c-1", Level: "orange"},
	{Line: 2, EventID: "t-1", Level: "red"},
	{Line: 3, Fields: []intercept.FieldError{{Field: "amount", Reason: "more than 2 decimals"}, {Field: "memo", Reason: "unknown field"}}},
	{Line: 4, Fields: []intercept.FieldError{{Field: "callee", Reason: "required"}}},
	{Line: 5, Fields: []intercept.FieldError{{Reason: "must be a JSON object"}}},
	{Line: 6, EventID: "t-2", Level: "yellow"},
	{Line: 7, EventID: "c-2", Level: "green"},
	{Line: 8, EventID: "t-1", Level: "red", Duplicate: true},
}

func TestEventsBatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func([][]byte) []byte
	}{
		{"ndjson", ndjson},
		{"ndjson crlf", func(ls [][]byte) []byte { return bytes.ReplaceAll(ndjson(ls), []byte("\n"), []byte("\r\n")) }},
		{"json array", jsonArray},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &journal{}
			_, base := start(t, j, nil)
			out := postEvents(t, base, tc.body(batchLines(t)))
			if out.Accepted != 5 || out.Rejected != 3 {
				t.Errorf("%d accepted, %d rejected; want 5 and 3", out.Accepted, out.Rejected)
			}
			if diff := cmp.Diff(wantBatch, summary(t, out)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"c-1", "t-1", "t-2", "c-2"}, j.eventIDs(t)); diff != "" {
				t.Errorf("journaled events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventsDuplicates(t *testing.T) {
	j := &journal{}
	_, base := start(t, j, nil)
	ls := batchLines(t)
	first := postEvents(t, base, ndjson(ls))
	t1, dup := first.Results[1].Decision, first.Results[7].Decision
	if t1 == nil || dup == nil || !dup.Duplicate || t1.Duplicate {
		t.Fatalf("t-1 then its duplicate in one batch: %+v, %+v", t1, dup)
	}
	ignore := cmpopts.IgnoreUnexported(intercept.Decision{})
	if diff := cmp.Diff(*t1, *dup, ignore, cmpopts.IgnoreFields(intercept.Decision{}, "Duplicate")); diff != "" {
		t.Errorf("duplicate in the same batch, not the first decision (-first +dup):\n%s", diff)
	}

	// Again in a later batch, after a new event and as a JSON array.
	n1 := []byte(`{"id":"n-1","kind":"call","at":"2026-11-21T10:30:00+08:00","operator":"CT","caller":"+8613100000001","callee":"+8613100000002"}`)
	again := postEvents(t, base, jsonArray([][]byte{n1, ls[1], ls[0]}))
	want := []line{{Line: 1, EventID: "n-1", Level: "green"}, {Line: 2, EventID: "t-1", Level: "red", Duplicate: true}, {Line: 3, EventID: "c-1", Level: "orange", Duplicate: true}}
	if diff := cmp.Diff(want, summary(t, again)); diff != "" {
		t.Errorf("second batch (-want +got):\n%s", diff)
	}
	if again.Accepted != 3 || again.Rejected != 0 {
		t.Errorf("second batch: %d accepted, %d rejected; want 3 and 0", again.Accepted, again.Rejected)
	}
	if d := again.Results[1].Decision; d != nil {
		if diff := cmp.Diff(*t1, *d, ignore, cmpopts.IgnoreFields(intercept.Decision{}, "Duplicate")); diff != "" {
			t.Errorf("duplicate in a later batch, not the first decision (-first +dup):\n%s", diff)
		}
	}
	if diff := cmp.Diff([]string{"c-1", "t-1", "t-2", "c-2", "n-1"}, j.eventIDs(t)); diff != "" {
		t.Errorf("journaled events, each once (-want +got):\n%s", diff)
	}
}

// calls returns n call events with distinct ids, one per line.
func calls(n int) [][]byte {
	ls := make([][]byte, n)
	for i := range ls {
		ev := intercepttest.Call(fmt.Sprintf("bulk-%d", i), intercepttest.T0.Add(time.Duration(i)*time.Second), "+8613200000001", "+8613300000001")
		ls[i], _ = json.Marshal(ev)
	}
	return ls
}

func TestEventsBadBody(t *testing.T) {
	tooMany := calls(ui.MaxBatch + 1)
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		say    string // in the error message
	}{
		{"empty", nil, http.StatusUnprocessableEntity, "no events"},
		{"blank lines", []byte("\n  \r\n\t\n"), http.StatusUnprocessableEntity, "no events"},
		{"empty array", []byte(" [ ] "), http.StatusUnprocessableEntity, "no events"},
		{"truncated array", []byte(`[{"id":"c-1","kind":"call"},`), http.StatusUnprocessableEntity, "JSON array"},
		{"array then junk", []byte(`[{"id":"c-1"}] {"id":"c-2"}`), http.StatusUnprocessableEntity, "JSON array"},
		{"too many ndjson", ndjson(tooMany), http.StatusRequestEntityTooLarge, strconv.Itoa(ui.MaxBatch)},
		{"too many in an array", jsonArray(tooMany), http.StatusRequestEntityTooLarge, strconv.Itoa(ui.MaxBatch)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &journal{}
			_, base := start(t, j, nil)
			p := postProblem(t, base, "/api/v1/events", tc.body, tc.status)
			if !strings.Contains(p.Error, tc.say) {
				t.Errorf("error %q does not say %q", p.Error, tc.say)
			}
			if ids := j.eventIDs(t); len(ids) > 0 {
				t.Errorf("journaled %d events of a refused body", len(ids))
			}
		})
	}
}

// A body that is neither a JSON array nor NDJSON objects is refused as a whole, not
// answered 200 with one rejected "line" per line of it.
func TestEventsNotJSON(t *testing.T) {
	for name, body := range map[string]string{
		"form":                  "id=t-1&kind=transfer&amount=5000\n",
		"csv":                   "id,kind,at\nc-1,call,2026-11-21T10:00:00+08:00\n",
		"one JSON value":        `"c-1"`,
		"pretty-printed object": "{\n  \"id\": \"c-1\",\n  \"kind\": \"call\"\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			j := &journal{}
			_, base := start(t, j, nil)
			p := postProblem(t, base, "/api/v1/events", []byte(body), http.StatusUnprocessableEntity)
			if !strings.Contains(p.Error, "JSON") {
				t.Errorf("error %q does not say what the body should be", p.Error)
			}
		})
	}
}

// Line numbers are those of the body, so a client can find the line that failed even
// when the body has blank lines.
func TestEventsLineNumbersCountBlankLines(t *testing.T) {
	_, base := start(t, &journal{}, nil)
	ls := batchLines(t)
	body := ndjson([][]byte{ls[0], {}, ls[2]}) // c-1, a blank line, t-bad
	got := summary(t, postEvents(t, base, body))
	want := []line{{Line: 1, EventID: "c-1", Level: "orange"}, {Line: 3, Fields: wantBatch[2].Fields}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestEventsMaxBatch(t *testing.T) {
	j := &journal{}
	_, base := start(t, j, nil)
	out := postEvents(t, base, jsonArray(calls(ui.MaxBatch)))
	if out.Accepted != ui.MaxBatch || out.Rejected != 0 || len(out.Results) != ui.MaxBatch {
		t.Errorf("%d events: %d accepted, %d rejected, %d results", ui.MaxBatch, out.Accepted, out.Rejected, len(out.Results))
	}
	if last := out.Results[len(out.Results)-1]; last.Line != ui.MaxBatch {
		t.Errorf("last result is line %d, want %d", last.Line, ui.MaxBatch)
	}
	if n := len(j.eventIDs(t)); n != ui.MaxBatch {
		t.Errorf("journaled %d events, want %d", n, ui.MaxBatch)
	}
}

// A journal that fails refuses the whole batch: 503 for an outage, 500 for anything
// else, and nothing acknowledged or counted.
func TestJournalFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
	}{
		{"unavailable", errDiskGone, http.StatusServiceUnavailable},
		{"deadline", fmt.Errorf("journal append: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{"unexpected", errors.New("journal: bug"), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &journal{fail: func(int) error { return tc.err }}
			_, base := start(t, j, nil)
			status, b := do(t, "POST", base+"/api/v1/events", "application/x-ndjson", ndjson(batchLines(t)))
			if status != tc.status {
				t.Fatalf("batch: %d %s, want %d", status, b, tc.status)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("error body %s: %v", b, err)
			}
			if _, ok := got["error"]; !ok || got["results"] != nil || got["accepted"] != nil {
				t.Errorf("batch refused with %s, want only an error", b)
			}
			postProblem(t, base, "/api/v1/decide", []byte(`{"id":"n-1","kind":"call","at":"2026-11-21T10:30:00+08:00","operator":"CT","caller":"+8613100000001","callee":"+8613100000002"}`), tc.status)
			if m := metrics(t, base); m[`lanjie_decision_latency_microseconds_count`] != 0 {
				t.Errorf("decisions never acknowledged are counted in /metrics: %v", m)
			}
			if ids := j.eventIDs(t); len(ids) > 0 {
				t.Errorf("journaled %v", ids)
			}
		})
	}
}

// After the journal refused a batch, sending it again is refused too while the
// journal is down, and journaled once it is back: the decisions of the refused batch
// were never acknowledged, so they are not duplicates to answer from memory.
func TestRetryAfterJournalFailure(t *testing.T) {
	body := ndjson(batchLines(t)[:2]) // c-1, t-1
	t.Run("journal still down", func(t *testing.T) {
		// As analytics.Journal: a failure is sticky.
		j := &journal{fail: func(int) error { return errDiskGone }}
		_, base := start(t, j, nil)
		postProblem(t, base, "/api/v1/events", body, http.StatusServiceUnavailable)
		postProblem(t, base, "/api/v1/events", body, http.StatusServiceUnavailable)
		postProblem(t, base, "/api/v1/decide", batchLines(t)[0], http.StatusServiceUnavailable)
	})
	t.Run("journal back", func(t *testing.T) {
		j := &journal{fail: func(n int) error {
			if n == 1 {
				return errDiskGone
			}
			return nil
		}}
		_, base := start(t, j, nil)
		postProblem(t, base, "/api/v1/events", body, http.StatusServiceUnavailable)
		out := postEvents(t, base, body)
		want := []line{{Line: 1, EventID: "c-1", Level: "orange"}, {Line: 2, EventID: "t-1", Level: "red"}}
		if diff := cmp.Diff(want, summary(t, out)); diff != "" {
			t.Errorf("retried batch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"c-1", "t-1"}, j.eventIDs(t)); diff != "" {
			t.Errorf("journaled after the retry (-want +got):\n%s", diff)
		}
	})
}

func TestDecide(t *testing.T) {
	j := &journal{}
	_, base := start(t, j, nil)
	status, b := do(t, "POST", base+"/api/v1/decide", "application/json", batchLines(t)[0])
	if status != http.StatusOK {
		t.Fatalf("decide c-1: %d %s", status, b)
	}
	var d intercept.Decision
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("decision %s: %v", b, err)
	}
	if d.EventID != "c-1" || d.Kind != "call" || d.Level != intercept.Orange || len(d.Matched) == 0 || d.Duplicate {
		t.Errorf("decide c-1: %s, want a first orange decision of call c-1 with the rules matched", b)
	}
	if diff := cmp.Diff([]string{"c-1"}, j.eventIDs(t)); diff != "" {
		t.Errorf("journaled (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name string
		body string
		want []intercept.FieldError
	}{
		{"bad fields", `{"id":"t-9","kind":"transfer","at":"2026-11-21T10:40:00+08:00","bank":"ICBC","payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":"12.345","memo":"x"}`,
			[]intercept.FieldError{{Field: "amount", Reason: "more than 2 decimals"}, {Field: "memo", Reason: "unknown field"}}},
		{"missing fields", `{}`,
			[]intercept.FieldError{{Field: "id", Reason: "required"}, {Field: "kind", Reason: "required"}, {Field: "at", Reason: "required"}}},
		{"not an object", `[1]`, []intercept.FieldError{{Reason: "must be a JSON object"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := postProblem(t, base, "/api/v1/decide", []byte(tc.body), http.StatusUnprocessableEntity)
			if diff := cmp.Diff(tc.want, p.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]string{"c-1"}, j.eventIDs(t)); diff != "" {
		t.Errorf("journaled after bad events (-want +got):\n%s", diff)
	}
}

func TestHealthz(t *testing.T) {
	_, base := start(t, &journal{}, nil)
	status, b := do(t, "GET", base+"/healthz", "", nil)
	if status != http.StatusOK || string(b) != "ok\n" {
		t.Errorf("/healthz: %d %q", status, b)
	}
}

func TestReadyz(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ok     bool
		detail map[string]any
		status int
	}{
		{"ready", true, map[string]any{"ok": true, "journal_seq": 7.0}, http.StatusOK},
		{"journal failed", false, map[string]any{"ok": false, "journal_error": "journal unavailable: disk full"}, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, base := start(t, &journal{}, func() (bool, any) { return tc.ok, tc.detail })
			status, b := do(t, "GET", base+"/readyz", "", nil)
			if status != tc.status {
				t.Errorf("/readyz: %d, want %d", status, tc.status)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("/readyz body %s: %v", b, err)
			}
			if diff := cmp.Diff(tc.detail, got); diff != "" {
				t.Errorf("/readyz detail (-want +got):\n%s", diff)
			}
		})
	}
}

// metrics returns the samples of /metrics by name with labels.
func metrics(t *testing.T, base string) map[string]float64 {
	t.Helper()
	status, b := do(t, "GET", base+"/metrics", "", nil)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, b)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("/metrics line %q: not a sample", l)
		}
		if _, dup := m[l[:i]]; dup {
			t.Errorf("/metrics: %s twice", l[:i])
		}
		m[l[:i]] = v
	}
	return m
}

func TestMetrics(t *testing.T) {
	srv, base := start(t, &journal{}, nil)
	srv.SetGauges(func() map[string]float64 {
		return map[string]float64{"lanjie_journal_seq": 42, "lanjie_journal_commits_total": 7}
	})
	postEvents(t, base, ndjson(batchLines(t))) // one of each level, a duplicate, three bad
	postEvents(t, base, ndjson(batchLines(t))) // all duplicates or bad: counted once
	postProblem(t, base, "/api/v1/decide", []byte(`{}`), http.StatusUnprocessableEntity)
	status, b := do(t, "POST", base+"/api/v1/decide", "application/json", []byte(`{"id":"n-1","kind":"call","at":"2026-11-21T10:30:00+08:00","operator":"CT","caller":"+8613100000001","callee":"+8613100000002"}`))
	if status != http.StatusOK {
		t.Fatalf("decide: %d %s", status, b)
	}

	m := metrics(t, base)
	got := map[string]float64{}
	for _, name := range []string{
		`lanjie_decisions_total{level="green"}`,
		`lanjie_decisions_total{level="yellow"}`,
		`lanjie_decisions_total{level="orange"}`,
		`lanjie_decisions_total{level="red"}`,
		`lanjie_decision_latency_microseconds_bucket{le="+Inf"}`,
		`lanjie_decision_latency_microseconds_count`,
		`lanjie_journal_seq`,
		`lanjie_journal_commits_total`,
	} {
		got[name] = m[name]
	}
	want := map[string]float64{
		`lanjie_decisions_total{level="green"}`:                  2, // c-2 and n-1
		`lanjie_decisions_total{level="yellow"}`:                 1,
		`lanjie_decisions_total{level="orange"}`:                 1,
		`lanjie_decisions_total{level="red"}`:                    1,
		`lanjie_decision_latency_microseconds_bucket{le="+Inf"}`: 5,
		`lanjie_decision_latency_microseconds_count`:             5,
		`lanjie_journal_seq`:                                     42,
		`lanjie_journal_commits_total`:                           7,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/metrics (-want +got):\n%s", diff)
	}
	if _, b := do(t, "GET", base+"/metrics", "", nil); !strings.Contains(string(b), "# TYPE lanjie_journal_commits_total counter\nlanjie_journal_commits_total 7\n") {
		t.Error("/metrics: lanjie_journal_commits_total not typed a counter")
	}
	var prev float64
	for _, le := range []string{"5", "10", "25", "50", "100", "250", "500", "1000", "5000", "+Inf"} {
		v, ok := m[`lanjie_decision_latency_microseconds_bucket{le="`+le+`"}`]
		if !ok || v < prev {
			t.Errorf("latency bucket le=%s: %v (present %v), below the one before (%v)", le, v, ok, prev)
		}
		prev = v
	}
}
