package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
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

// startWithAuth is start, returning the auth store too, with the per-person rate
// limit raised so that the hundreds of requests of the matrix are not refused with
// 429 before the role guard is reached. It does not set feedKey, and it returns
// once the server answers.
func startWithAuth(t *testing.T, j *journal) (*ui.Server, *auth.Store, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := intercept.New(intercepttest.Settings(), nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	intercepttest.Black(t, e, "+85512345678")
	desk := intercept.NewDesk(e, j, intercept.Decoder{}, log)
	book := rules.NewBook(&intercepttest.Journal{}, func(s *rules.Set) { e.SetEvaluator(s) }, nil)
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
	srv := ui.New(ui.Config{Desk: desk, Journal: j, Rules: book, Auth: st, Sessions: auth.NewSessions(0, 0, nil),
		Throttle: auth.NewThrottle(5, time.Minute, nil), Ready: func() (bool, any) { return true, nil }, Log: log,
		UserRate: 100_000})
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
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	// Serve must have taken the listener before the cleanup's Shutdown runs, or
	// Shutdown finds nothing to stop and Serve then serves on forever: one request
	// answered proves it has.
	base := "http://" + ln.Addr().String()
	if status, _, b := send(t, "GET", base+"/healthz", creds{}, nil); status != http.StatusOK {
		t.Fatalf("/healthz: %d %s", status, b)
	}
	return srv, st, base
}

// creds is how a caller proves who it is: a session cookie with its CSRF token, or
// an API key. The zero creds is anonymous.
type creds struct {
	session, csrf string
	key           string
}

// send sends a request with cr's credentials and returns the status, the headers and
// the body.
func send(t *testing.T, method, url string, cr creds, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cr.key != "" {
		req.Header.Set("Authorization", "Bearer "+cr.key)
	}
	if cr.session != "" {
		req.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: cr.session})
	}
	if cr.csrf != "" {
		req.Header.Set(ui.CSRFHeader, cr.csrf)
	}
	resp, b := roundTrip(t, req)
	checkOpenAPI(t, req, body, resp, b)
	return resp.StatusCode, resp.Header, b
}

// sendJSON sends a request, wants status and decodes the answer into out (unless nil).
func sendJSON(t *testing.T, method, url string, cr creds, body string, status int, out any) {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	got, _, ans := send(t, method, url, cr, b)
	if got != status {
		t.Fatalf("%s %s: %d %s, want %d", method, url, got, ans, status)
	}
	if out != nil {
		if err := json.Unmarshal(ans, out); err != nil {
			t.Fatalf("%s %s: answer %s: %v", method, url, ans, err)
		}
	}
}

// login signs name in and returns the session cookie and the CSRF token.
func login(t *testing.T, base, name, password string) creds {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": name, "password": password})
	req, err := http.NewRequest("POST", base+"/api/v1/login", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ CSRF string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.CSRF == "" {
		t.Fatalf("login %s: %d, csrf %q, %v", name, resp.StatusCode, out.CSRF, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == ui.SessionCookie && c.Value != "" {
			return creds{session: c.Value, csrf: out.CSRF}
		}
	}
	t.Fatalf("login %s: no %s cookie", name, ui.SessionCookie)
	return creds{}
}

// caller is one principal of the matrix: a person who signs in, a partner system's
// API key, or nobody (role "").
type caller struct {
	role     auth.Role
	org      string
	user     string // a person's name; "" for a key or anonymous
	password string
	keyID    string
	creds    creds
}

func (c *caller) String() string {
	switch {
	case c.role == "":
		return "anonymous"
	case c.org != "":
		return string(c.role) + "/" + c.org
	}
	return string(c.role)
}

// fixture is a console with one caller per role and the objects the routes act on:
// a report's stop-payment of an ABC account, its cutoffs of an unassigned (+855)
// and a CMCC number, its case, a rule, an appeal and a spare key.
type fixture struct {
	base    string
	srv     *ui.Server
	j       *journal
	st      *auth.Store
	callers []*caller
	by      map[auth.Role]*caller

	stop, cutoff, cmccCutoff, caseID, ruleID, appealID, spareKey string
}

// Synthetic targets of the fixture's report, and the user the matrix disables.
const (
	suspectAccount = "6228480000000002"
	suspectNumber  = "+85512345678"
	cmccNumber     = "+8613800000099"
	victimUser     = "mx.victim"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{j: &journal{}, by: map[auth.Role]*caller{}}
	f.srv, f.st, f.base = startWithAuth(t, f.j)
	f.callers = []*caller{
		{role: auth.Hotline, user: "mx.hotline"},
		{role: auth.BankLiaison, org: "ABC", user: "mx.bank"},
		{role: auth.OperatorLiaison, org: "CMCC", user: "mx.operator"},
		{role: auth.Volunteer, user: "mx.volunteer"},
		{role: auth.Analyst, user: "mx.analyst"},
		{role: auth.Admin, user: "admin", password: adminPassword},
		{role: auth.BankSystem, org: "ICBC"},
		{role: auth.OperatorSystem, org: "CMCC"},
		{}, // anonymous
	}
	for _, c := range f.callers {
		switch {
		case c.role == "":
		case c.role == auth.Admin:
			c.creds = login(t, f.base, c.user, c.password)
		case c.user != "":
			c.password = "pw-" + c.user + "-synthetic"
			if _, err := f.st.CreateUser(c.user, c.password, c.role, c.org, "admin"); err != nil {
				t.Fatal(err)
			}
			c.creds = login(t, f.base, c.user, c.password)
		default:
			secret, k, err := f.st.CreateKey("matrix "+string(c.role), c.role, c.org, "admin")
			if err != nil {
				t.Fatal(err)
			}
			c.keyID, c.creds = k.ID, creds{key: secret}
		}
		f.by[c.role] = c
	}
	if _, err := f.st.CreateUser(victimUser, "pw-victim-synthetic", auth.Volunteer, "", "admin"); err != nil {
		t.Fatal(err)
	}
	_, spare, err := f.st.CreateKey("matrix spare", auth.Analyst, "", "admin")
	if err != nil {
		t.Fatal(err)
	}
	f.spareKey = spare.ID

	admin := f.by[auth.Admin].creds
	var d struct {
		CaseID  string `json:"case_id"`
		Actions []intercept.Action
	}
	report := fmt.Sprintf(`{"id":"mx-r-1","kind":"report","at":"2026-11-21T10:00:00+08:00","reporter_phone":"+8613800000001",
		"fraud_type":"impersonating_police","suspect_numbers":[%q,%q],"suspect_accounts":[{"bank":"ABC","account":%q}],
		"amount_lost":"52000.00","narrative":"synthetic report"}`, suspectNumber, cmccNumber, suspectAccount)
	sendJSON(t, "POST", f.base+"/api/v1/decide", admin, report, http.StatusOK, &d)
	f.caseID = d.CaseID
	for _, a := range d.Actions {
		switch {
		case a.Type == intercept.ActStopPayment && a.Bank == "ABC" && a.Account == suspectAccount:
			f.stop = a.OrderID
		case a.Type == intercept.ActCutoff && a.Phone == suspectNumber:
			f.cutoff = a.OrderID
		case a.Type == intercept.ActCutoff && a.Phone == cmccNumber:
			f.cmccCutoff = a.OrderID
		}
	}
	if f.caseID == "" || f.stop == "" || f.cutoff == "" || f.cmccCutoff == "" {
		t.Fatalf("report decided with case %q, actions %+v: want a case, a stop of ABC %s and cutoffs of %s and %s",
			f.caseID, d.Actions, suspectAccount, suspectNumber, cmccNumber)
	}
	var rs []struct{ ID string }
	sendJSON(t, "GET", f.base+"/api/v1/rules", admin, "", http.StatusOK, &rs)
	if len(rs) == 0 {
		t.Fatal("GET /rules: no rules")
	}
	f.ruleID = rs[0].ID
	var a intercept.Appeal
	sendJSON(t, "POST", f.base+"/api/v1/orders/"+f.stop+"/appeals", admin,
		`{"appellant":"Account holder A","statement":"synthetic: the account is mine and the money is wages"}`, http.StatusCreated, &a)
	f.appealID = a.ID
	return f
}

// order returns order id as the admin sees it.
func (f *fixture) order(t *testing.T, id string) intercept.Order {
	t.Helper()
	var o intercept.Order
	sendJSON(t, "GET", f.base+"/api/v1/orders/"+id, f.by[auth.Admin].creds, "", http.StatusOK, &o)
	return o
}

// event returns an event inside c's feed: an ICBC key posts ICBC transfers, a CMCC
// key CMCC calls; everyone else a CT call.
func event(id string, c *caller) string {
	switch c.role {
	case auth.BankSystem:
		return transfer(id, c.org)
	case auth.OperatorSystem:
		return call(id, c.org)
	}
	return call(id, "CT")
}

// transfer is a transfer of bank's on one line.
func transfer(id, bank string) string {
	return oneLine(`{"id":%q,"kind":"transfer","at":"2026-11-21T10:05:00+08:00","bank":%q,"payer_account":"6222020000000001",
		"payer_phone":"+8613800000001","payee_account":"6217000000000003","payee_bank":"CCB","amount":"50.00","channel":"mobile"}`, id, bank)
}

// call is a call on operator's network on one line.
func call(id, operator string) string {
	return oneLine(`{"id":%q,"kind":"call","at":"2026-11-21T10:05:00+08:00","operator":%q,"caller":"+8613900000001",
		"callee":"+8613800000001","duration_s":30}`, id, operator)
}

// request is what the matrix sends c on route r: the path with its parameters naming
// real objects, and a body the handler can read.
func (f *fixture) request(t *testing.T, r ui.Route, c *caller) (path string, body []byte) {
	t.Helper()
	orig := strings.Split(r.Path, "/")
	segs := slices.Clone(orig)
	for i, s := range orig {
		if !strings.HasPrefix(s, ":") {
			continue
		}
		switch p := s[1:] + " of " + orig[i-1]; p {
		case "id of orders":
			segs[i] = f.stop
		case "id of cases":
			segs[i] = f.caseID
		case "id of rules":
			segs[i] = f.ruleID
		case "id of appeals":
			segs[i] = f.appealID
		case "id of imports":
			segs[i] = "IM-none"
		case "id of apikeys":
			segs[i] = f.spareKey
		case "name of users":
			segs[i] = victimUser
			if strings.HasSuffix(r.Path, "/password") {
				segs[i] = c.user // one's own
				if c.user == "" {
					segs[i] = "mx.nobody"
				}
			}
		case "org of webhooks":
			segs[i] = "ABC"
		case "target of lists":
			segs[i] = "number"
		case "value of :target":
			segs[i] = suspectNumber
		default:
			t.Fatalf("%s %s: no object for the parameter %s: teach fixture.request", r.Method, r.Path, p)
		}
	}
	path = strings.Join(segs, "/")
	switch r.Path {
	case "/api/v1/login":
		return path, []byte(fmt.Sprintf(`{"username":%q,"password":%q}`, "mx.volunteer", f.by[auth.Volunteer].password))
	case "/api/v1/users/:name/password":
		return path, []byte(`{"password":"short"}`) // refused as too short: nothing changes
	case "/api/v1/events", "/api/v1/decide":
		return path, []byte(event("mx-"+c.String()+strings.TrimPrefix(r.Path, "/api/v1/"), c))
	}
	if r.Method == "GET" || r.Method == "DELETE" {
		return path, nil
	}
	return path, []byte(`{}`)
}

// refusedByHandler are routes whose handler refuses some roles its guard lets
// through, with a 403 of its own: an API key has no password to change.
var refusedByHandler = map[string][]auth.Role{}

// verdict says what is wrong with answering role's request on route r with status
// and body, or "" if nothing is: a role the route does not list gets the guard's 403
// (nobody 401), a role it lists gets past the guard and is neither refused nor the
// cause of a 5xx.
func verdict(r ui.Route, role auth.Role, status int, body []byte) string {
	var p struct{ Error string }
	_ = json.Unmarshal(body, &p)
	guarded := status == http.StatusForbidden && strings.Contains(p.Error, string(role)+" may not ")
	refused := status == http.StatusUnauthorized || status == http.StatusForbidden
	switch {
	case r.Roles == nil:
		if refused {
			return "open to anyone"
		}
	case role == "":
		if status != http.StatusUnauthorized {
			return "want 401"
		}
	case !slices.Contains(r.Roles, role):
		if !guarded {
			return "want the guard's 403"
		}
	case slices.Contains(refusedByHandler[r.Method+" "+r.Path], role):
		if status != http.StatusForbidden || guarded {
			return "want the handler's 403"
		}
	case refused || status >= 500:
		return "allowed"
	}
	return ""
}

// TestMatrix sends every route every role (and nobody) and checks the role guard:
// a role the route does not list gets 403 (nobody 401), a role it lists gets past.
func TestMatrix(t *testing.T) {
	f := newFixture(t)
	for _, r := range auth.Roles {
		if f.by[r] == nil {
			t.Fatalf("no caller of role %s in the matrix", r)
		}
	}
	routes := f.srv.Routes()
	if len(routes) < 40 {
		t.Fatalf("%d routes: the matrix expects the whole API", len(routes))
	}

	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 1, ' ', 0)
	fmt.Fprint(tw, "route")
	for _, c := range f.callers {
		fmt.Fprintf(tw, "\t%s", c)
	}
	fmt.Fprintln(tw)
	for _, r := range routes {
		fmt.Fprintf(tw, "%s %s", r.Method, r.Path)
		for _, c := range f.callers {
			cr := c.creds
			if r.Path == "/api/v1/logout" && c.user != "" {
				cr = login(t, f.base, c.user, c.password) // end a session of its own, not the matrix's
			}
			path, body := f.request(t, r, c)
			status, _, b := send(t, r.Method, f.base+path, cr, body)
			bad := verdict(r, c.role, status, b)
			mark := ""
			if bad != "" {
				mark = "!"
				t.Errorf("%s %s as %s: %d %s: %s", r.Method, path, c, status, bytes.TrimSpace(b), bad)
			}
			fmt.Fprintf(tw, "\t%d%s", status, mark)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if t.Failed() {
		t.Logf("statuses by route and caller (! marks the wrong ones):\n%s", table.String())
	}
}

// policy is who may call each route, pinned here so that a change to a role set is a
// visible decision: one letter per role in the order of auth.Roles (h hotline,
// b bank liaison, o operator liaison, v volunteer, a analyst, A admin, B bank system,
// O operator system), "-" for a role refused, "anyone" for an open route.
var policy = map[string]string{
	"GET /api/v1/openapi.json":            "anyone",
	"POST /api/v1/login":                  "anyone",
	"POST /api/v1/logout":                 "hbovaABO",
	"GET /api/v1/me":                      "hbovaABO",
	"GET /api/v1/users":                   "-----A--",
	"POST /api/v1/users":                  "-----A--",
	"POST /api/v1/users/:name/password":   "hbovaA--",
	"POST /api/v1/users/:name/disable":    "-----A--",
	"GET /api/v1/apikeys":                 "-----A--",
	"POST /api/v1/apikeys":                "-----A--",
	"DELETE /api/v1/apikeys/:id":          "-----A--",
	"GET /api/v1/webhooks":                "-----A--",
	"PUT /api/v1/webhooks/:org":           "-----A--",
	"GET /api/v1/deliveries":              "hbo--ABO",
	"POST /api/v1/events":                 "h----ABO",
	"POST /api/v1/decide":                 "h----ABO",
	"GET /api/v1/lists/export":            "h---aA--",
	"GET /api/v1/lists/imports/:id":       "----aA--",
	"POST /api/v1/lists/import":           "----aA--",
	"GET /api/v1/lists/:target":           "h---aA--",
	"POST /api/v1/lists/:target":          "h---aA--",
	"GET /api/v1/lists/:target/:value":    "h---aA--",
	"DELETE /api/v1/lists/:target/:value": "h---aA--",
	"GET /api/v1/rules":                   "h---aA--",
	"POST /api/v1/rules":                  "----aA--",
	"POST /api/v1/rules/test":             "----aA--",
	"GET /api/v1/rules/:id":               "h---aA--",
	"PUT /api/v1/rules/:id":               "----aA--",
	"GET /api/v1/rules/:id/history":       "h---aA--",
	"POST /api/v1/rules/:id/mode":         "----aA--",
	"GET /api/v1/orders":                  "hbo-aABO",
	"POST /api/v1/orders":                 "h----A--",
	"GET /api/v1/orders/:id":              "hbo-aABO",
	"GET /api/v1/orders/:id/deliveries":   "hbo--ABO",
	"POST /api/v1/orders/:id/execute":     "-bo--ABO",
	"POST /api/v1/orders/:id/reject":      "-bo--ABO",
	"POST /api/v1/orders/:id/renew":       "h----A--",
	"POST /api/v1/orders/:id/amend":       "h----A--",
	"POST /api/v1/orders/:id/reassign":    "h----A--",
	"POST /api/v1/orders/:id/convert":     "h----A--",
	"POST /api/v1/orders/:id/release":     "hb---A--",
	"POST /api/v1/orders/:id/appeals":     "h----A--",
	"GET /api/v1/appeals":                 "h----A--",
	"POST /api/v1/appeals/:id/decision":   "h----A--",
	"GET /api/v1/cases":                   "h---aA--",
	"GET /api/v1/cases/:id":               "h---aA--",
	"POST /api/v1/cases/:id/assign":       "h----A--",
	"POST /api/v1/cases/:id/note":         "h----A--",
	"POST /api/v1/cases/:id/status":       "h----A--",
	"POST /api/v1/cases/:id/link":         "h----A--",
}

// TestMatrixPolicy checks the roles of every route against policy: the matrix test
// proves the guard enforces Routes, this one that Routes says what was agreed.
func TestMatrixPolicy(t *testing.T) {
	const letters = "hbovaABO"
	if len(auth.Roles) != len(letters) {
		t.Fatalf("%d roles, policy has letters for %d: give the new role a letter", len(auth.Roles), len(letters))
	}
	srv, _, _ := startWithAuth(t, &journal{})
	got := map[string]string{}
	for _, r := range srv.Routes() {
		row := "anyone"
		if r.Roles != nil {
			b := []byte(strings.Repeat("-", len(letters)))
			for i, role := range auth.Roles {
				if slices.Contains(r.Roles, role) {
					b[i] = letters[i]
				}
			}
			row = string(b)
		}
		got[r.Method+" "+r.Path] = row
	}
	if diff := cmp.Diff(policy, got); diff != "" {
		t.Errorf("roles of the routes (-policy +Routes); a new route or a changed role set: update policy:\n%s", diff)
	}
}

// TestScopeFeeds checks that a partner system's key posts only its own feed.
func TestScopeFeeds(t *testing.T) {
	f := newFixture(t)
	icbc, cmcc := f.by[auth.BankSystem].creds, f.by[auth.OperatorSystem].creds
	for _, tc := range []struct {
		name   string
		key    creds
		event  string
		status int
		say    string // in the refusal
	}{
		{"bank key, another bank's transfer", icbc, transfer("sc-1", "ABC"), http.StatusForbidden, `"bank":"ICBC"`},
		{"bank key, a call", icbc, call("sc-2", "CMCC"), http.StatusForbidden, `"bank":"ICBC"`},
		{"bank key, its own transfer", icbc, transfer("sc-3", "ICBC"), http.StatusOK, ""},
		{"operator key, another operator's call", cmcc, call("sc-4", "CU"), http.StatusForbidden, `"operator":"CMCC"`},
		{"operator key, a transfer", cmcc, transfer("sc-5", "CMCC"), http.StatusForbidden, `"operator":"CMCC"`},
		{"operator key, its own call", cmcc, call("sc-6", "CMCC"), http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, b := send(t, "POST", f.base+"/api/v1/decide", tc.key, []byte(tc.event))
			var p struct{ Error string }
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatalf("decide: %d %s: %v", status, b, err)
			}
			if status != tc.status || !strings.Contains(p.Error, tc.say) {
				t.Errorf("decide: %d %s, want %d saying %s", status, b, tc.status, tc.say)
			}
		})
	}

	// In a batch, the lines out of scope are rejected and the others accepted.
	body := strings.Join([]string{transfer("sb-1", "ABC"), transfer("sb-2", "ICBC"), call("sb-3", "CMCC")}, "\n")
	var out batchBody
	sendJSON(t, "POST", f.base+"/api/v1/events", icbc, body, http.StatusOK, &out)
	if out.Accepted != 1 || out.Rejected != 2 || len(out.Results) != 3 {
		t.Fatalf("ICBC batch: %d accepted, %d rejected, %d results; want 1, 2, 3", out.Accepted, out.Rejected, len(out.Results))
	}
	for i, r := range out.Results {
		accepted := r.Decision != nil && r.Error == ""
		if accepted != (i == 1) || (i != 1 && !strings.Contains(r.Error, `"bank":"ICBC"`)) {
			t.Errorf("ICBC batch line %d: decision %v, error %q; want only line 2 accepted, the others refused naming ICBC",
				r.Line, r.Decision != nil, r.Error)
		}
	}
	var ids []string
	for _, id := range f.j.decided(t) {
		if _, local, _ := strings.Cut(id, "/"); strings.HasPrefix(local, "s") {
			ids = append(ids, id) // partners' ids are kept as <org>/<id>
		}
	}
	if diff := cmp.Diff([]string{"ICBC/sc-3", "CMCC/sc-6", "ICBC/sb-2"}, ids); diff != "" {
		t.Errorf("events journaled (-want +got):\n%s", diff)
	}
}

// oneLine formats a JSON object and puts it on one line, as NDJSON wants.
func oneLine(format string, args ...any) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(fmt.Sprintf(format, args...))); err != nil {
		panic("test event: " + err.Error())
	}
	return b.String()
}

// decided returns the ids of the events journaled with their decisions, in order.
func (j *journal) decided(t *testing.T) []string {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	var ids []string
	for _, r := range j.recs {
		if r.Type != intercept.RecDecided {
			continue
		}
		var dr struct{ Event struct{ ID string } }
		if err := json.Unmarshal(r.Data, &dr); err != nil {
			t.Fatalf("record %d: %v", r.Seq, err)
		}
		ids = append(ids, dr.Event.ID)
	}
	return ids
}

// audits returns the audit entries journaled after the first skip records.
func (j *journal) audits(t *testing.T, skip int) []intercept.AuditEntry {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []intercept.AuditEntry
	for _, r := range j.recs[skip:] {
		if r.Type != intercept.RecAudit {
			continue
		}
		var e intercept.AuditEntry
		if err := json.Unmarshal(r.Data, &e); err != nil {
			t.Fatalf("audit record %d %s: %v", r.Seq, r.Data, err)
		}
		out = append(out, e)
	}
	return out
}

func (j *journal) len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.recs)
}

// orderIDs lists the ids and orgs of the orders c sees when asking for ABC's.
func (f *fixture) orderIDs(t *testing.T, c *caller) map[string]string {
	t.Helper()
	var os []intercept.Order
	sendJSON(t, "GET", f.base+"/api/v1/orders?org=ABC", c.creds, "", http.StatusOK, &os)
	m := map[string]string{}
	for _, o := range os {
		m[o.ID] = o.Org
	}
	return m
}

// TestScopeOrders checks that a liaison sees and moves only its own org's orders.
func TestScopeOrders(t *testing.T) {
	f := newFixture(t)
	if o := f.order(t, f.stop); o.Org != "ABC" || o.Account != suspectAccount {
		t.Fatalf("stop order: org %s, account %s; want ABC's %s", o.Org, o.Account, suspectAccount)
	}
	if o := f.order(t, f.cutoff); o.Org != "UNASSIGNED" {
		t.Fatalf("cutoff of %s: org %s, want UNASSIGNED (no operator carries +855)", suspectNumber, o.Org)
	}
	if o := f.order(t, f.cmccCutoff); o.Org != "CMCC" {
		t.Fatalf("cutoff of %s: org %s, want CMCC", cmccNumber, o.Org)
	}
	ccb := &caller{role: auth.BankLiaison, org: "CCB", user: "mx.ccb", password: "pw-mx.ccb-synthetic"}
	if _, err := f.st.CreateUser(ccb.user, ccb.password, ccb.role, ccb.org, "admin"); err != nil {
		t.Fatal(err)
	}
	ccb.creds = login(t, f.base, ccb.user, ccb.password)

	// Asking for ABC's orders (?org=ABC) gets one's own org's all the same.
	for _, tc := range []struct {
		who  *caller
		want map[string]string
	}{
		{f.by[auth.BankLiaison], map[string]string{f.stop: "ABC"}},
		{f.by[auth.OperatorLiaison], map[string]string{f.cmccCutoff: "CMCC"}},
		{f.by[auth.OperatorSystem], map[string]string{f.cmccCutoff: "CMCC"}},
		{f.by[auth.BankSystem], map[string]string{}},
		{ccb, map[string]string{}},
	} {
		if diff := cmp.Diff(tc.want, f.orderIDs(t, tc.who)); diff != "" {
			t.Errorf("GET /orders as %s (-want +got):\n%s", tc.who, diff)
		}
	}

	abc := f.by[auth.BankLiaison]
	for _, tc := range []struct {
		who    *caller
		method string
		path   string
		status int
	}{
		{abc, "GET", "/orders/" + f.cutoff, http.StatusNotFound},
		{abc, "GET", "/orders/" + f.cmccCutoff, http.StatusNotFound},
		{abc, "GET", "/orders/" + f.cutoff + "/deliveries", http.StatusNotFound},
		{abc, "POST", "/orders/" + f.cmccCutoff + "/execute", http.StatusNotFound},
		{abc, "GET", "/orders/" + f.stop, http.StatusOK},
		{ccb, "GET", "/orders/" + f.stop, http.StatusNotFound},
		{ccb, "POST", "/orders/" + f.stop + "/execute", http.StatusNotFound},
		{ccb, "POST", "/orders/" + f.stop + "/reject", http.StatusNotFound},
		{f.by[auth.BankSystem], "POST", "/orders/" + f.stop + "/execute", http.StatusNotFound},
		{f.by[auth.OperatorLiaison], "POST", "/orders/" + f.cutoff + "/execute", http.StatusNotFound},
	} {
		var body []byte
		switch {
		case strings.HasSuffix(tc.path, "/execute"):
			body = []byte(`{"reference":"REF-1"}`)
		case strings.HasSuffix(tc.path, "/reject"):
			body = []byte(`{"reason":"not ours"}`)
		}
		if status, _, b := send(t, tc.method, f.base+"/api/v1"+tc.path, tc.who.creds, body); status != tc.status {
			t.Errorf("%s %s as %s: %d %s, want %d", tc.method, tc.path, tc.who, status, b, tc.status)
		}
	}
	if o := f.order(t, f.stop); o.Status != intercept.StatusPending {
		t.Fatalf("stop order after other orgs tried it: %s, want pending", o.Status)
	}

	var o intercept.Order
	sendJSON(t, "POST", f.base+"/api/v1/orders/"+f.stop+"/execute", abc.creds, `{"reference":"ABC-2026-0001"}`, http.StatusOK, &o)
	if o.Status != intercept.StatusExecuted || o.Reference != "ABC-2026-0001" {
		t.Errorf("ABC executes its stop: status %s, reference %q; want executed, ABC-2026-0001", o.Status, o.Reference)
	}
}

// TestCSRF checks that a session's state-changing requests need its CSRF token.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	hot := f.by[auth.Hotline].creds
	other := f.by[auth.Analyst].creds
	entry := func(n string) string {
		return fmt.Sprintf(`{"value":"+861380000%s","list":"gray","reason":"synthetic: csrf test"}`, n)
	}
	for _, tc := range []struct {
		name   string
		cr     creds
		method string
		body   string
		status int
		value  string // the number posted: listed after, or not
	}{
		{"POST without the token", creds{session: hot.session}, "POST", entry("0701"), http.StatusForbidden, "+8613800000701"},
		{"POST with a wrong token", creds{session: hot.session, csrf: hot.csrf + "x"}, "POST", entry("0702"), http.StatusForbidden, "+8613800000702"},
		{"POST with another session's token", creds{session: hot.session, csrf: other.csrf}, "POST", entry("0703"), http.StatusForbidden, "+8613800000703"},
		{"POST with the token", hot, "POST", entry("0704"), http.StatusCreated, "+8613800000704"},
		{"GET without the token", creds{session: hot.session}, "GET", "", http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/v1/lists/number"
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			status, _, b := send(t, tc.method, f.base+path, tc.cr, body)
			if status != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, path, status, b, tc.status)
			}
			if status == http.StatusForbidden && !strings.Contains(string(b), ui.CSRFHeader) {
				t.Errorf("refusal %s does not name %s", b, ui.CSRFHeader)
			}
			if tc.value == "" {
				return
			}
			var got struct{ List string }
			sendJSON(t, "GET", f.base+path+"/"+tc.value, hot, "", http.StatusOK, &got)
			if want := map[bool]string{true: "gray", false: "none"}[status == http.StatusCreated]; got.List != want {
				t.Errorf("%s after a %d: list %q, want %q", tc.value, status, got.List, want)
			}
		})
	}
}

// TestScopeRevokedKey checks that a key revoked by an admin is refused at once.
func TestScopeRevokedKey(t *testing.T) {
	f := newFixture(t)
	bank := f.by[auth.BankSystem]
	sendJSON(t, "GET", f.base+"/api/v1/orders", bank.creds, "", http.StatusOK, nil)
	sendJSON(t, "DELETE", f.base+"/api/v1/apikeys/"+bank.keyID, f.by[auth.Admin].creds, "", http.StatusNoContent, nil)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/orders", ""},
		{"POST", "/decide", transfer("rk-1", "ICBC")},
	} {
		status, _, b := send(t, r.method, f.base+"/api/v1"+r.path, bank.creds, []byte(r.body))
		if status != http.StatusUnauthorized {
			t.Errorf("%s %s with a revoked key: %d %s, want 401", r.method, r.path, status, b)
		}
	}
	if ids := f.j.decided(t); slices.Contains(ids, "rk-1") {
		t.Errorf("a revoked key's event was journaled: %v", ids)
	}
}

// TestThrottleLogin checks that the sixth wrong password in a minute is answered
// 429 with Retry-After, and that the right password is refused as well until then.
func TestThrottleLogin(t *testing.T) {
	f := newFixture(t)
	try := func(password string) (int, http.Header) {
		body, _ := json.Marshal(map[string]string{"username": "admin", "password": password})
		status, h, _ := send(t, "POST", f.base+"/api/v1/login", creds{}, body)
		return status, h
	}
	for i := 1; i <= 5; i++ {
		if status, _ := try("wrong-password-" + strconv.Itoa(i)); status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i, status)
		}
	}
	for _, password := range []string{"wrong-password-6", adminPassword} {
		status, h := try(password)
		secs, err := strconv.Atoi(h.Get("Retry-After"))
		if status != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 61 {
			t.Errorf("after 5 failures: %d, Retry-After %q; want 429 and 1 to 61 seconds", status, h.Get("Retry-After"))
		}
	}
	// A session already open is not affected.
	sendJSON(t, "GET", f.base+"/api/v1/me", f.by[auth.Admin].creds, "", http.StatusOK, nil)
}

// TestAudit checks that every state-changing request, refused or not, is journaled
// with who made it, what and from where, and that reads are not.
func TestAudit(t *testing.T) {
	f := newFixture(t)
	skip, before := f.j.len(), time.Now()
	hot, abc, vol, bank := f.by[auth.Hotline], f.by[auth.BankLiaison], f.by[auth.Volunteer], f.by[auth.BankSystem]
	entry := `{"value":"+8613800000801","list":"black","reason":"synthetic: audit test"}`
	sendJSON(t, "POST", f.base+"/api/v1/lists/number", hot.creds, entry, http.StatusCreated, nil)
	sendJSON(t, "GET", f.base+"/api/v1/orders", abc.creds, "", http.StatusOK, nil)
	sendJSON(t, "POST", f.base+"/api/v1/orders/"+f.stop+"/execute", abc.creds, `{"reference":"ABC-2026-0002"}`, http.StatusOK, nil)
	sendJSON(t, "POST", f.base+"/api/v1/lists/number", vol.creds, entry, http.StatusForbidden, nil)
	sendJSON(t, "POST", f.base+"/api/v1/lists/number", bank.creds, entry, http.StatusForbidden, nil)
	sendJSON(t, "DELETE", f.base+"/api/v1/lists/number/+8613800000801", hot.creds, "", http.StatusNoContent, nil)
	after := time.Now()

	local := "127.0.0.1"
	want := []intercept.AuditEntry{
		{Who: hot.user, Role: "hotline", Action: "POST /api/v1/lists/:target", Target: "/lists/number", Detail: "status 201", Remote: local},
		{Who: abc.user, Role: "bank_liaison", Action: "POST /api/v1/orders/:id/execute", Target: "/orders/" + f.stop + "/execute", Detail: "status 200", Remote: local},
		{Who: vol.user, Role: "volunteer", Action: "POST /api/v1/lists/:target", Target: "/lists/number", Detail: "status 403", Remote: local},
		{Who: "key:" + bank.keyID, Role: "bank_system", Action: "POST /api/v1/lists/:target", Target: "/lists/number", Detail: "status 403", Remote: local},
		{Who: hot.user, Role: "hotline", Action: "DELETE /api/v1/lists/:target/:value", Target: "/lists/number/+8613800000801", Detail: "status 204", Remote: local},
	}
	got := f.j.audits(t, skip)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(intercept.AuditEntry{}, "At")); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
	for _, e := range got {
		if e.At.Before(before.Add(-time.Second)) || e.At.After(after.Add(time.Second)) {
			t.Errorf("audit of %s at %s, outside the test (%s to %s)", e.Action, e.At, before, after)
		}
	}
}
