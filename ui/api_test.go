package ui_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/ui"
	"github.com/lanjie/lanjie/ui/auth"
)

// Malformed and oversized requests get the status they mean and a problem body that
// names what is wrong, and change nothing.
func TestMalformedRequests(t *testing.T) {
	j := &journal{}
	_, base := start(t, j, nil)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"not JSON", "POST", "/api/v1/lists/number", `{"list":`, http.StatusBadRequest, "body"},
		{"unknown field", "POST", "/api/v1/lists/number", `{"value":"+85512345670","list":"black","reason":"r","colour":"red"}`, http.StatusBadRequest, "colour"},
		{"two values", "POST", "/api/v1/lists/number", `{"value":"+85512345670","list":"black","reason":"r"} {}`, http.StatusBadRequest, "more than one"},
		{"empty body", "POST", "/api/v1/orders", ``, http.StatusUnprocessableEntity, "JSON object"},
		{"bad list", "POST", "/api/v1/lists/number", `{"value":"+85512345670","list":"purple","reason":"r"}`, http.StatusUnprocessableEntity, "list"},
		{"bad number", "POST", "/api/v1/lists/number", `{"value":"12ab","list":"black","reason":"r"}`, http.StatusUnprocessableEntity, "value"},
		{"no such list", "GET", "/api/v1/lists/email/x", ``, http.StatusNotFound, "number or account"},
		{"order fields", "POST", "/api/v1/orders", `{"type":"stop_payment","account":"12","reason":""}`, http.StatusUnprocessableEntity, "account_name"},
		{"unknown order", "POST", "/api/v1/orders/SP-nope/release", `{"reason":"x"}`, http.StatusNotFound, "SP-nope"},
		{"another op's field", "POST", "/api/v1/orders/SP-nope/renew", `{"reason":"still there","amount":"5.00"}`, http.StatusBadRequest, `unknown field \"amount\"`},
		{"convert with whole_account", "POST", "/api/v1/orders/SP-nope/convert", `{"document":"x","whole_account":true}`, http.StatusBadRequest, `unknown field \"whole_account\"`},
		{"amend with a reference", "POST", "/api/v1/orders/SP-nope/amend", `{"amount":"5.00","reference":"R-1"}`, http.StatusBadRequest, "reference"},
		{"unknown case", "GET", "/api/v1/cases/CS-nope", ``, http.StatusNotFound, "CS-nope"},
		{"white-list 95588", "POST", "/api/v1/lists/number", `{"value":"+8695588","list":"white","reason":"bank service line"}`, http.StatusCreated, "white"},
		{"cut a white number", "POST", "/api/v1/orders", `{"type":"cutoff","phone":"+8695588","reason_code":"spoof","reason":"r"}`, http.StatusConflict, "never cut"},
		{"stop twice", "POST", "/api/v1/orders", `{"type":"stop_payment","bank":"ABC","account":"6228480000000002","account_name":"Zhang San","amount":"52000.00","tx_at":"2026-11-21T09:50:00+08:00","reason":"report"}`, http.StatusCreated, "pending"},
		{"second stop in force", "POST", "/api/v1/orders", `{"type":"stop_payment","bank":"ABC","account":"6228480000000002","account_name":"Zhang San","amount":"52000.00","tx_at":"2026-11-21T09:50:00+08:00","reason":"again"}`, http.StatusConflict, "already under order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := j.len()
			status, b := do(t, tc.method, base+tc.path, "application/json", []byte(tc.body))
			if status != tc.status || !strings.Contains(string(b), tc.says) {
				t.Fatalf("%s %s: %d %s, want %d naming %q", tc.method, tc.path, status, b, tc.status, tc.says)
			}
			if status < 400 {
				return // a change the next cases build on
			}
			var p struct {
				Status int
				Error  string
			}
			if err := json.Unmarshal(b, &p); err != nil || p.Status != status || p.Error == "" {
				t.Fatalf("problem body %s: %v", b, err)
			}
			j.mu.Lock()
			recs := slices.Clone(j.recs[before:])
			j.mu.Unlock()
			for _, r := range recs {
				if r.Type != intercept.RecAudit {
					t.Errorf("a refused request journaled a %d record", r.Type)
				}
			}
		})
	}
	// A body over the server's limit is refused from its headers, before it is read.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n{", feedKey, ui.MaxBody+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte body: %s, want 413", ui.MaxBody+1, resp.Status)
	}
}

// A partner's event ids are its own: two banks may both send "t-1".
func TestPartnerIDsAreNamespaced(t *testing.T) {
	srv, st, base := startWithAuth(t, &journal{})
	_ = srv
	post := func(org, id string) intercept.Decision {
		t.Helper()
		key, _, err := st.CreateKey("core "+org, auth.BankSystem, org, "admin")
		if err != nil {
			t.Fatal(err)
		}
		ev := fmt.Sprintf(`{"id":%q,"kind":"transfer","at":"2026-11-21T10:00:00+08:00","bank":%q,"payer_account":"6222020000000001","payee_account":"6228480000000002","payee_bank":"ABC","amount":"10.00"}`, id, org)
		req, _ := http.NewRequest("POST", base+"/api/v1/decide", strings.NewReader(ev))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d intercept.Decision
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&d) != nil {
			t.Fatalf("decide as %s: %s", org, resp.Status)
		}
		return d
	}
	a, b := post("ICBC", "t-1"), post("CCB", "t-1")
	if a.EventID != "ICBC/t-1" || b.EventID != "CCB/t-1" || b.Duplicate {
		t.Fatalf("ICBC's t-1 decided as %q, CCB's as %q (duplicate %v): want two events", a.EventID, b.EventID, b.Duplicate)
	}
}

// /metrics counts orders by type and status, as the book holds them.
func TestMetricsOrders(t *testing.T) {
	_, base := start(t, &journal{}, nil)
	postEvents(t, base, ndjson(batchLines(t)))
	status, b := do(t, "GET", base+"/api/v1/orders?limit=1000", "", nil)
	if status != 200 {
		t.Fatalf("orders: %d %s", status, b)
	}
	var orders []intercept.Order
	if err := json.Unmarshal(b, &orders); err != nil || len(orders) == 0 {
		t.Fatalf("orders %s: %v (want some: the batch has a red decision)", b, err)
	}
	want := map[string]float64{}
	for _, o := range orders {
		want[fmt.Sprintf("lanjie_orders{type=%q,status=%q}", o.Type, o.Status)]++
	}
	m := metrics(t, base)
	for name, n := range want {
		if m[name] != n {
			t.Errorf("%s = %v, want %v", name, m[name], n)
		}
	}
}

// While the journal is failing (not ready), changes are refused before they are
// made, so nothing changes unaudited; reads still work.
func TestChangesRefusedWhileJournalFails(t *testing.T) {
	_, base := start(t, &journal{}, func() (bool, any) { return false, map[string]any{"journal_error": "disk full"} })
	status, b := do(t, "POST", base+"/api/v1/lists/number", "application/json", []byte(`{"value":"+85512345671","list":"black","reason":"r"}`))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("list add while the journal fails: %d %s, want 503", status, b)
	}
	status, b = do(t, "GET", base+"/api/v1/lists/number/+85512345671", "", nil)
	if status != http.StatusOK || !strings.Contains(string(b), `"list":"none"`) {
		t.Fatalf("lookup: %d %s, want 200 and not listed", status, b)
	}
}

// A large list file imports in the background; its job shows the progress and the
// bad rows, and the good rows are listed.
func TestListImportAsync(t *testing.T) {
	srv, st, base := startWithAuth(t, &journal{})
	_ = srv
	key, _, err := st.CreateKey("analyst tools", auth.Analyst, "", "admin")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("target,value,list,reason\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "number,+8617000%06d,black,bulk %d\n", i, i)
	}
	b.WriteString("number,12ab,black,bad\n") // line 2502
	call := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	status, out := call("POST", "/api/v1/lists/import?async=1", b.String())
	var job struct {
		ID, Status string
		Progress   intercept.ListImport
	}
	if status != http.StatusAccepted || json.Unmarshal(out, &job) != nil || job.ID == "" {
		t.Fatalf("async import: %d %s", status, out)
	}
	for deadline := time.Now().Add(20 * time.Second); job.Status == "running"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("import still running: %+v", job)
		}
		status, out = call("GET", "/api/v1/lists/imports/"+job.ID, "")
		if status != 200 || json.Unmarshal(out, &job) != nil {
			t.Fatalf("job: %d %s", status, out)
		}
	}
	p := job.Progress
	if job.Status != "done" || p.Rows != 2501 || p.Kept != 2500 || p.Bad != 1 || len(p.Errors) != 1 || p.Errors[0].Line != 2502 {
		t.Fatalf("finished job = %+v", job)
	}
	if status, out = call("GET", "/api/v1/lists/number/+8617000002499", ""); !strings.Contains(string(out), `"list":"black"`) {
		t.Errorf("the last good row is not listed: %d %s", status, out)
	}
}

// A session cookie the console no longer knows (expired, or a restart) does not stand
// in the way of signing in again.
func TestStaleCookieSignsInAgain(t *testing.T) {
	_, base := start(t, &journal{}, nil)
	req, _ := http.NewRequest("POST", base+"/api/v1/login", strings.NewReader(`{"username":"admin","password":"`+adminPassword+`"}`))
	req.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: "gone-after-a-restart"})
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login with a stale cookie: %s, want 200", resp.Status)
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: "gone-after-a-restart"})
	if resp, err = client.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /me with a stale cookie: %s, want 401", resp.Status)
	}
}

// Parallel wrong guesses at one name are throttled like sequential ones: no more than
// the allowed failures reach bcrypt.
func TestParallelLoginGuessesThrottled(t *testing.T) {
	_, base := start(t, &journal{}, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"username":"admin","password":"wrong-guess-%02d"}`, i)
			resp, err := client.Post(base+"/api/v1/login", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != 15 {
		t.Errorf("20 parallel guesses answered %v, want 5 × 401 and 15 × 429", codes)
	}
}

// A feed post is audited in the same append as its events: who, from where, and
// what became of its lines.
func TestFeedPostsAudited(t *testing.T) {
	j := &journal{}
	_, base := start(t, j, nil)
	body := `{"id":"fa-1","kind":"call","at":"2026-11-21T10:30:00+08:00","operator":"CT","caller":"+8613100000001","callee":"+8613100000002"}` + "\n{\"id\":\"fa-2\"}\n"
	if status, b := do(t, "POST", base+"/api/v1/events", "application/x-ndjson", []byte(body)); status != 200 {
		t.Fatalf("post: %d %s", status, b)
	}
	j.mu.Lock()
	last := j.recs[len(j.recs)-1]
	j.mu.Unlock()
	var a intercept.AuditEntry
	if last.Type != intercept.RecAudit || json.Unmarshal(last.Data, &a) != nil {
		t.Fatalf("last record: type %d %s, want the post's audit entry", last.Type, last.Data)
	}
	if !strings.HasPrefix(a.Who, "key:") || a.Action != "POST /api/v1/events" || a.Remote != "127.0.0.1" ||
		a.Detail != "2 lines: 1 decided (1 new), 1 refused" {
		t.Errorf("audit entry = %+v", a)
	}
}
