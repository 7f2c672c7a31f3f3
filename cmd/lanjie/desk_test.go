package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/intercept/webhook"
)

// client is a caller of the API: a signed-in person (cookie and CSRF token) or a
// partner system (API key).
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
	key  string
}

func (c *client) call(method, path string, in, out any, want int) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %s %s, want %d", method, path, resp.Status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// receiver is a bank's webhook endpoint: it checks every signature, fails each
// message's first delivery with a 500, and applies each idempotency key once.
type receiver struct {
	mu      sync.Mutex
	secret  []byte
	tries   map[string]int
	applied []string                // the messages taken, in order: "<event> <order id>"
	taken   map[string]OrderMessage // by idempotency key
	bad     []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := webhook.Verify(rc.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
		rc.bad = append(rc.bad, err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	key := r.Header.Get(webhook.IdempotencyHeader)
	rc.tries[key]++
	if rc.tries[key] == 1 {
		w.WriteHeader(http.StatusInternalServerError) // the bank's system hiccups once
		return
	}
	if rc.tries[key] == 2 { // a third delivery of a key would be a duplicate: not applied
		var m OrderMessage
		if err := json.Unmarshal(body, &m); err != nil {
			rc.bad = append(rc.bad, err.Error())
		}
		rc.applied = append(rc.applied, m.Event+" "+m.Order.ID)
		if rc.taken == nil {
			rc.taken = map[string]OrderMessage{}
		}
		rc.taken[key] = m
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rc.mu.Lock()
		got := append([]string(nil), rc.applied...)
		bad := rc.bad
		rc.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("receiver refused deliveries: %v", bad)
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver took %v, want %d messages", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The desk's whole path over HTTP: a report stops the mule account, the bank gets the
// order by signed webhook (a 500 first, the retry second, applied once), then the
// hotline's two amendments of its details, and confirms it with its key; the desk converts the stop into a partial freeze; the holder
// appeals; the grant releases the freeze and the bank hears of it.
func TestStopFreezeAppealRelease(t *testing.T) {
	m, stop := startMain(t, testConfig(t, t.TempDir()))
	defer stop()
	base := "http://" + m.Addr()
	jar, _ := cookiejar.New(nil)
	desk := &client{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	var login struct{ CSRF string }
	desk.call("POST", "/api/v1/login", map[string]string{"username": "admin", "password": testAdminPassword}, &login, 200)
	desk.csrf = login.CSRF

	rc := &receiver{tries: map[string]int{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	var wh struct{ Secret string }
	desk.call("PUT", "/api/v1/webhooks/ABC", map[string]string{"url": hook.URL}, &wh, 200)
	rc.mu.Lock()
	rc.secret = []byte(wh.Secret)
	rc.mu.Unlock()
	var key struct{ Key string }
	desk.call("POST", "/api/v1/apikeys", map[string]string{"name": "ABC core banking", "role": "bank_system", "org": "ABC"}, &key, 201)
	bank := &client{t: t, base: base, hc: &http.Client{Timeout: 10 * time.Second}, key: key.Key}

	report := map[string]any{"id": "r-e2e", "kind": "report", "at": "2026-11-21T10:00:00+08:00", "reporter_phone": "+8613800000001",
		"fraud_type": "impersonating_police", "suspect_accounts": []map[string]string{{"bank": "ABC", "account": "6228480000000002"}},
		"amount_lost": "52000.00"}
	var d intercept.Decision
	desk.call("POST", "/api/v1/decide", report, &d, 200)
	var stopID string
	for _, a := range d.Actions {
		if a.Type == intercept.ActStopPayment {
			stopID = a.OrderID
		}
	}
	if d.Level != intercept.Red || stopID == "" || d.CaseID == "" {
		t.Fatalf("report decision = %+v, want red with a stop and a case", d)
	}

	if got := rc.wait(t, 1); got[0] != "order.pending "+stopID {
		t.Fatalf("bank received %v", got)
	}
	var o intercept.Order
	for deadline := time.Now().Add(10 * time.Second); o.Status != intercept.StatusSent; time.Sleep(20 * time.Millisecond) {
		bank.call("GET", "/api/v1/orders/"+stopID, nil, &o, 200)
		if time.Now().After(deadline) {
			t.Fatalf("order %s is %s after delivery, want sent", stopID, o.Status)
		}
	}
	// The victim knew neither the holder's name nor the time: the hotline completes the
	// stop, then corrects the amount; the bank hears of each amendment, then executes.
	desk.call("POST", "/api/v1/orders/"+stopID+"/amend", map[string]string{"account_name": "李四", "tx_at": "2026-11-21T09:40:00+08:00",
		"reason": "the victim called back"}, &o, 200)
	desk.call("POST", "/api/v1/orders/"+stopID+"/amend", map[string]string{"amount": "50000.00"}, &o, 200)
	if o.AccountName != "李四" || o.Amount != 5_000_000 || o.TxAt.IsZero() || o.Status != intercept.StatusSent {
		t.Fatalf("amended stop = %+v", o)
	}
	if got := rc.wait(t, 3); got[1] != "order.amended "+stopID || got[2] != "order.amended "+stopID {
		t.Fatalf("bank received %v, want the stop and its two amendments", got)
	}
	rc.mu.Lock()
	first, second := rc.taken[stopID+":amended:3"], rc.taken[stopID+":amended:4"] // after pending and sent
	rc.mu.Unlock()
	if first.Version != 3 || first.Order.AccountName != "李四" || first.Order.Amount != 5_200_000 ||
		second.Version != 4 || second.Order.Amount != 5_000_000 {
		t.Fatalf("amendments as the bank got them: %+v / %+v", first, second)
	}
	bank.call("POST", "/api/v1/orders/"+stopID+"/execute", map[string]string{"reference": "ABC-STOP-1"}, &o, 200)
	if o.Status != intercept.StatusExecuted || o.Reference != "ABC-STOP-1" {
		t.Fatalf("executed stop = %+v", o)
	}

	desk.call("POST", "/api/v1/orders/"+stopID+"/convert", map[string]any{"document": "公(刑)冻字[2026]7号", "limit_fen": 5_200_000}, &o, 200)
	var fz intercept.Order
	bank.call("GET", "/api/v1/orders/"+o.Child, nil, &fz, 200)
	if fz.Type != intercept.ActFreeze || fz.Amount != 5_200_000 || fz.CaseID != d.CaseID {
		t.Fatalf("freeze = %+v", fz)
	}
	bank.call("POST", "/api/v1/orders/"+fz.ID+"/execute", map[string]string{"reference": "ABC-FZ-1"}, &fz, 200)

	var ap intercept.Appeal
	desk.call("POST", "/api/v1/orders/"+fz.ID+"/appeals", map[string]string{"appellant": "Li Si", "statement": "salary, not fraud"}, &ap, 201)
	desk.call("POST", "/api/v1/appeals/"+ap.ID+"/decision", map[string]string{"outcome": "granted", "grounds": "payroll records match"}, &ap, 200)
	bank.call("GET", "/api/v1/orders/"+fz.ID, nil, &fz, 200)
	if ap.Status != intercept.AppealGranted || fz.Status != intercept.StatusReleased {
		t.Fatalf("appeal %s, freeze %s: want granted and released", ap.Status, fz.Status)
	}
	want := []string{"order.pending " + stopID, "order.amended " + stopID, "order.amended " + stopID, "order.converted " + stopID,
		"order.pending " + fz.ID, "order.released " + fz.ID}
	got := rc.wait(t, len(want))
	if len(got) != len(want) {
		t.Fatalf("bank received %v, want %v", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("bank never received %q (got %v)", w, got)
		}
	}
	var c struct {
		intercept.Case
		OrderDetails []intercept.Order `json:"order_details"`
	}
	desk.call("GET", "/api/v1/cases/"+d.CaseID, nil, &c, 200)
	if len(c.OrderDetails) != 2 {
		t.Errorf("case links %d orders, want the stop and the freeze", len(c.OrderDetails))
	}
}
