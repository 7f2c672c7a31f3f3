package ui_test

// The document's schemas are checked against the answers the tests really receive:
// do and send hand every exchange to checkOpenAPI, which finds the operation by
// method and path template and validates the status, the content type, the
// declared headers and the body against the response the document declares, and,
// when the server accepted the request, the request's parameters and body too.
//
// The validator is github.com/getkin/kin-openapi rather than a JSON Schema library:
// the document is OpenAPI 3.0, whose schema dialect (nullable, boolean
// exclusiveMinimum, readOnly/writeOnly, discriminator) is not JSON Schema 2020-12,
// and openapi3filter already knows how an operation's responses are keyed by status,
// media type and header, which we would otherwise write and get wrong ourselves.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/ui"
	"github.com/lanjie/lanjie/ui/auth"
)

// schemaRoute is one operation of the document with its path template as a pattern.
type schemaRoute struct {
	pattern *regexp.Regexp
	params  []string // the template's parameter names, in order
	route   *routers.Route
}

// schemaDoc is the document as loaded from ui/openapi.json (the file the server
// embeds) with its operations, most literal template first so that
// /lists/imports/{id} wins over /lists/{target}/{value}.
type schemaDoc struct {
	spec   *openapi3.T
	routes []schemaRoute
}

// loadSchemaDoc loads and validates the document once for the whole package.
var loadSchemaDoc = sync.OnceValues(func() (*schemaDoc, error) {
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromFile("openapi.json")
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	// The examples are checked by TestOpenAPIExamples, so that a bad example
	// does not hide every answer's mismatches.
	if err := spec.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	d := &schemaDoc{spec: spec}
	for path, item := range spec.Paths.Map() {
		expr := "^" + regexp.QuoteMeta(path) + "$"
		var params []string
		for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
			params = append(params, m[1])
			expr = strings.Replace(expr, regexp.QuoteMeta(m[0]), "([^/]+)", 1)
		}
		for method, op := range item.Operations() {
			d.routes = append(d.routes, schemaRoute{regexp.MustCompile(expr), params,
				&routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}})
		}
	}
	slices.SortFunc(d.routes, func(a, b schemaRoute) int {
		return cmp.Or(cmp.Compare(len(a.params), len(b.params)), cmp.Compare(len(b.route.Path), len(a.route.Path)))
	})
	return d, nil
})

// find returns the operation serving method on the (escaped) path and its path
// parameters as sent: the server does not percent-decode them.
func (d *schemaDoc) find(method, path string) (*routers.Route, map[string]string) {
	for _, r := range d.routes {
		if r.route.Method != method {
			continue
		}
		if m := r.pattern.FindStringSubmatch(path); m != nil {
			params := map[string]string{}
			for i, name := range r.params {
				params[name] = m[i+1]
			}
			return r.route, params
		}
	}
	return nil, nil
}

// schemaSeen records, for the whole run, which operations and statuses were
// validated, the exchanges no operation describes, and every distinct mismatch:
// TestMain prints them, since the same mismatch shows in many tests.
var schemaSeen struct {
	sync.Mutex
	validated    map[string]int      // "POST /api/v1/decide 200" -> exchanges
	undocumented map[string]int      // "GET /api/v1/nope 404"
	mismatches   map[string][]string // mismatch -> tests
}

func noteSchema(m *map[string]int, key string) {
	schemaSeen.Lock()
	defer schemaSeen.Unlock()
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[key]++
}

// checkOpenAPI validates one exchange against the document and fails t on each
// way it differs. reqBody is what req carried (its Body is spent by now). An
// exchange no operation describes (an unknown route, the web UI) is only counted.
func checkOpenAPI(t *testing.T, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	d, err := loadSchemaDoc()
	if err != nil {
		reportSchema(t, err.Error()) // not Fatal: do and send may run outside the test's goroutine
		return
	}
	route, params := d.find(req.Method, req.URL.EscapedPath())
	if route == nil {
		noteSchema(&schemaSeen.undocumented, fmt.Sprintf("%s %s %d", req.Method, req.URL.Path, resp.StatusCode))
		return
	}
	op := fmt.Sprintf("%s %s %d", route.Method, route.Path, resp.StatusCode)
	noteSchema(&schemaSeen.validated, op)
	for _, m := range schemaMismatches(req, reqBody, resp, respBody, route, params) {
		reportSchema(t, op+": "+m)
	}
}

// reportSchema fails t with mismatch m, once a test: the matrix sends the same
// request hundreds of times.
func reportSchema(t *testing.T, m string) {
	t.Helper()
	schemaSeen.Lock()
	if schemaSeen.mismatches == nil {
		schemaSeen.mismatches = map[string][]string{}
	}
	first := !slices.Contains(schemaSeen.mismatches[m], t.Name())
	if first {
		schemaSeen.mismatches[m] = append(schemaSeen.mismatches[m], t.Name())
	}
	schemaSeen.Unlock()
	if first {
		t.Errorf("openapi: %s", m)
	}
}

// schemaMismatches returns how the exchange differs from route's operation.
func schemaMismatches(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte,
	route *routers.Route, params map[string]string) []string {
	ref := route.Operation.Responses.Status(resp.StatusCode)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	if ref == nil {
		return []string{undocumentedStatus(route, resp, respBody)}
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc, // the matrix tests check security
		SkipSettingDefaults:   true,
	}
	r := req.Clone(ctx)
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(reqBody)), int64(len(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(respBody)), Options: opts})
	out := describe("response", err)
	if err == nil {
		out = append(out, undocumentedFields(ref.Value, resp, respBody)...)
	}
	if len(ref.Value.Content) == 0 && len(respBody) > 0 && req.Method != http.MethodHead {
		out = append(out, fmt.Sprintf("response: a body (%s) where the document declares none", clip(respBody)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out
	}
	if route.Path == "/api/v1/events" {
		return append(out, eventsMismatches(route, reqBody, respBody)...)
	}
	return append(out, describe("accepted request", openapi3filter.ValidateRequest(ctx, in))...)
}

// eventsMismatches validates the events of an accepted POST /api/v1/events
// against the document's Event. The server reads the body by its shape, not its
// Content-Type (a JSON array, or else NDJSON: one JSON object a line), so this
// does too; and it answers 200 with its bad lines rejected one by one, so the
// request is held to the document only when no line was rejected.
func eventsMismatches(route *routers.Route, body, answer []byte) []string {
	var batch struct{ Rejected *int }
	if json.Unmarshal(answer, &batch) != nil || batch.Rejected == nil || *batch.Rejected > 0 {
		return nil
	}
	mt := route.Operation.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema.Value.Items == nil {
		return []string{"accepted request: no application/json array of events declared"}
	}
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		var v any
		if err := json.Unmarshal(t, &v); err != nil {
			return []string{fmt.Sprintf("accepted request: not JSON: %v", err)}
		}
		return describe("accepted request", mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors()))
	}
	var out []string
	for i, line := range bytes.Split(body, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v any
		err := json.Unmarshal(line, &v)
		if err == nil {
			err = mt.Schema.Value.Items.Value.VisitJSON(v, openapi3.MultiErrors())
		}
		out = append(out, describe(fmt.Sprintf("accepted request line %d", i+1), err)...)
		if len(out) >= 5 {
			return append(out, "accepted request: (later lines not checked)")
		}
	}
	return out
}

// undocumentedStatus describes an answer whose status the operation does not
// declare, saying whether its body would pass as the Problem every error is.
func undocumentedStatus(route *routers.Route, resp *http.Response, body []byte) string {
	m := fmt.Sprintf("status not documented (the document has %s)",
		strings.Join(slices.Sorted(maps.Keys(route.Operation.Responses.Map())), ", "))
	problem := route.Spec.Components.Schemas["Problem"]
	var v any
	switch {
	case resp.StatusCode < 400 || problem == nil:
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &v) != nil:
		m += fmt.Sprintf("; and the body is no Problem: %s %s", resp.Header.Get("Content-Type"), clip(body))
	case problem.Value.VisitJSON(v) != nil:
		m += fmt.Sprintf("; and the body is no Problem: %s", clip(body))
	default:
		m += "; the body is a Problem"
	}
	return m
}

// undocumentedFields returns the members of a JSON answer that its schema does not
// declare. The document leaves additionalProperties open, so the validator lets
// them through, but a client generated from the document would drop them.
func undocumentedFields(declared *openapi3.Response, resp *http.Response, body []byte) []string {
	ct := resp.Header.Get("Content-Type")
	mt := declared.Content.Get(ct)
	if mt == nil || mt.Schema == nil || !strings.Contains(ct, "json") {
		return nil
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil // reported by the validator
	}
	var out []string
	for _, p := range undeclared("", mt.Schema.Value, v) {
		out = append(out, fmt.Sprintf("response body %s: sent, but the schema does not declare it", p))
	}
	return out
}

// undeclared returns the JSON pointers of the members of v that s does not declare,
// reading allOf parts together and oneOf/anyOf by the branch v matches. A schema
// that declares no properties, or any additionalProperties, is a free-form map.
func undeclared(at string, s *openapi3.Schema, v any) []string {
	if s == nil {
		return nil
	}
	parts := []*openapi3.Schema{s}
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		for _, r := range p.AllOf {
			parts = append(parts, r.Value)
		}
		for _, r := range slices.Concat(p.OneOf, p.AnyOf) {
			if r.Value.VisitJSON(v) == nil {
				parts = append(parts, r.Value)
				break
			}
		}
	}
	var out []string
	switch v := v.(type) {
	case []any:
		for _, p := range parts {
			if p.Items != nil {
				for i, e := range v {
					out = append(out, undeclared(fmt.Sprintf("%s/%d", at, i), p.Items.Value, e)...)
				}
				break
			}
		}
	case map[string]any:
		props, open := map[string]*openapi3.Schema{}, false
		for _, p := range parts {
			for k, r := range p.Properties {
				props[k] = r.Value
			}
			ap := p.AdditionalProperties
			open = open || (ap.Has != nil && *ap.Has) || ap.Schema != nil
		}
		if open || len(props) == 0 {
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if ps, ok := props[k]; ok {
				out = append(out, undeclared(at+"/"+k, ps, v[k])...)
			} else {
				out = append(out, at+"/"+k)
			}
		}
	}
	return out
}

// describe flattens a validation error into one line per schema failure, each
// naming the JSON path, what the document says and what was sent.
func describe(prefix string, err error) []string {
	if err == nil {
		return nil
	}
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []string
		for _, e := range e {
			out = append(out, describe(prefix, e)...)
		}
		return out
	case *openapi3filter.ResponseError:
		if e.Err == nil {
			return []string{prefix + ": " + e.Reason}
		}
		return describe(prefix+" "+strings.TrimPrefix(e.Reason, "response "), e.Err)
	case *openapi3filter.RequestError:
		p := prefix
		if e.Parameter != nil {
			p += fmt.Sprintf(" %s parameter %q", e.Parameter.In, e.Parameter.Name)
		} else if e.RequestBody != nil {
			p += " body"
		}
		if e.Err == nil {
			return []string{p + ": " + e.Reason}
		}
		return describe(p, e.Err)
	case *openapi3.SchemaError:
		if o, ok := e.Origin.(openapi3.MultiError); ok && e.SchemaField == "" {
			return describe(prefix, o)
		}
		ptr := "/" + strings.Join(e.JSONPointer(), "/")
		reason := e.Reason
		if reason == "" {
			reason = fmt.Sprintf("does not match %q", e.SchemaField)
		}
		if e.Origin != nil {
			reason += " (" + e.Origin.Error() + ")"
		}
		v, _ := json.Marshal(e.Value)
		return []string{fmt.Sprintf("%s %s: %s; sent %s", prefix, ptr, reason, clip(v))}
	}
	return []string{prefix + ": " + err.Error()}
}

// clip shortens b for a message.
func clip(b []byte) string {
	if len(b) > 160 {
		return string(b[:160]) + "…"
	}
	return string(b)
}

// TestMain prints, after the run, the mismatches between the document and the
// answers (each once, with the tests that saw it) and, with -v, what was validated.
func TestMain(m *testing.M) {
	code := m.Run()
	schemaSeen.Lock()
	defer schemaSeen.Unlock()
	if len(schemaSeen.mismatches) > 0 {
		fmt.Printf("\n%d distinct OpenAPI mismatches:\n", len(schemaSeen.mismatches))
		for _, k := range slices.Sorted(maps.Keys(schemaSeen.mismatches)) {
			fmt.Printf("  %s\n      in %s\n", k, strings.Join(schemaSeen.mismatches[k], ", "))
		}
	}
	if testing.Verbose() {
		ops := map[string]bool{}
		for k := range schemaSeen.validated {
			ops[k[:strings.LastIndexByte(k, ' ')]] = true
		}
		fmt.Printf("\nvalidated %d operation/status pairs over %d operations:\n", len(schemaSeen.validated), len(ops))
		for _, k := range slices.Sorted(maps.Keys(schemaSeen.validated)) {
			fmt.Printf("  %-55s %d\n", k, schemaSeen.validated[k])
		}
		fmt.Printf("\nnot described by any operation:\n")
		for _, k := range slices.Sorted(maps.Keys(schemaSeen.undocumented)) {
			fmt.Printf("  %-55s %d\n", k, schemaSeen.undocumented[k])
		}
	}
	os.Exit(code)
}

// TestOpenAPISchemaCheck feeds checkOpenAPI's machinery made-up exchanges, so that
// a check that silently passes everything is caught.
func TestOpenAPISchemaCheck(t *testing.T) {
	d, err := loadSchemaDoc()
	if err != nil {
		t.Fatal(err)
	}
	const problem = `{"status":%d,"error":"synthetic"}`
	for _, tc := range []struct {
		name, method, path, reqBody string
		status                      int
		ct, body, want              string // want: a part of the one mismatch, "" for none
	}{
		{"problem", "POST", "/api/v1/decide", "", 422, "application/json", fmt.Sprintf(problem, 422), ""},
		{"undocumented status", "POST", "/api/v1/decide", "", 418, "application/json", fmt.Sprintf(problem, 418), "status not documented"},
		{"wrong content type", "GET", "/api/v1/me", "", 200, "text/html", "<p>", "Content-Type"},
		{"missing required", "POST", "/api/v1/decide", "", 422, "application/json", `{"status":422}`, `/error: property "error" is missing`},
		{"wrong type", "POST", "/api/v1/decide", "", 422, "application/json", `{"status":"422","error":"x"}`, "/status: value must be an integer"},
		{"undeclared member", "POST", "/api/v1/decide", "", 422, "application/json", `{"status":422,"error":"x","hint":"y"}`, "/hint: sent, but the schema does not declare it"},
		{"body where none", "POST", "/api/v1/logout", "", 204, "", "{}", "where the document declares none"},
		{"accepted bad request", "POST", "/api/v1/orders/SP-1/execute", `{"reference":7}`, 200, "application/json", "null", "accepted request body /reference"},
		{"accepted bad event line", "POST", "/api/v1/events", `{"kind":"call"}`, 200, "application/json",
			`{"accepted":1,"rejected":0,"results":[]}`, "accepted request line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			route, params := d.find(tc.method, tc.path)
			if route == nil {
				t.Fatalf("%s %s: no operation", tc.method, tc.path)
			}
			req, err := http.NewRequest(tc.method, "http://console"+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			if tc.ct != "" {
				resp.Header.Set("Content-Type", tc.ct)
			}
			got := schemaMismatches(req, []byte(tc.reqBody), resp, []byte(tc.body), route, params)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("mismatches %q, want none", got)
			case tc.want != "" && len(got) == 0:
				t.Errorf("no mismatch, want one with %q", tc.want)
			case tc.want != "" && !slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, tc.want) }):
				t.Errorf("mismatches %q, want one with %q", got, tc.want)
			}
		})
	}
}

// TestOpenAPIExamples checks every example of the document against its schema: a
// partner copies them.
func TestOpenAPIExamples(t *testing.T) {
	d, err := loadSchemaDoc()
	if err != nil {
		t.Fatal(err)
	}
	check := func(where string, s *openapi3.SchemaRef, example any) {
		if s == nil || s.Value == nil || example == nil {
			return
		}
		for _, m := range describe("example", s.Value.VisitJSON(example, openapi3.MultiErrors())) {
			t.Errorf("%s: %s", where, m)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(d.spec.Components.Schemas)) {
		s := d.spec.Components.Schemas[name]
		check("#/components/schemas/"+name, s, s.Value.Example)
	}
	for _, r := range d.routes {
		op := r.route.Method + " " + r.route.Path
		if rb := r.route.Operation.RequestBody; rb != nil {
			for ct, mt := range rb.Value.Content {
				check(op+" request "+ct, mt.Schema, mt.Example)
			}
		}
		for status, resp := range r.route.Operation.Responses.Map() {
			for ct, mt := range resp.Value.Content {
				check(op+" "+status+" "+ct, mt.Schema, mt.Example)
			}
		}
	}
}

// reportStops has a report naming three ICBC accounts (6222020000000n01..n03, n a
// digit) decided red, and returns its three stop-payments.
func reportStops(t *testing.T, f *fixture, cr creds, prefix string, n int) []string {
	t.Helper()
	var d struct{ Actions []intercept.Action }
	acct := func(i int) string { return fmt.Sprintf(`{"bank":"ICBC","account":"6222020000000%d%02d"}`, n, i) }
	sendJSON(t, "POST", f.base+"/api/v1/decide", cr, oneLine(`{"id":"%s-r-1","kind":"report","at":"2026-11-21T11:00:00+08:00",
		"reporter_phone":"+861380000000%d","fraud_type":"impersonating_police","suspect_accounts":[%s,%s,%s],"amount_lost":"9000.00","narrative":"synthetic"}`,
		prefix, n+1, acct(1), acct(2), acct(3)), http.StatusOK, &d)
	var stops []string
	for _, a := range d.Actions {
		if a.Type == intercept.ActStopPayment && a.Bank == "ICBC" {
			stops = append(stops, a.OrderID)
		}
	}
	if len(stops) != 3 {
		t.Fatalf("report decided with actions %+v: want three stop-payments at ICBC", d.Actions)
	}
	return stops
}

// TestOpenAPIPartnerFlow walks a partner bank's integration, so that the answers
// it relies on are certainly held to the document by send: its system posts its
// transfers as NDJSON and as a JSON array, asks /decide, lists its orders,
// executes one and rejects another, and meets each problem it can meet.
func TestOpenAPIPartnerFlow(t *testing.T) {
	f := newFixture(t)
	admin, icbc := f.by[auth.Admin].creds, f.by[auth.BankSystem].creds
	stops := reportStops(t, f, admin, "of", 1)
	var batch strings.Builder
	for i := range ui.MaxBatch + 1 {
		fmt.Fprintf(&batch, `{"id":"of-big-%d"}`+"\n", i)
	}
	op := func(verb, id, body string) [3]string {
		return [3]string{"POST", "/api/v1/orders/" + id + "/" + verb, body}
	}
	for _, s := range []struct {
		name string
		cr   creds
		req  [3]string // method, path, body
		want int
	}{
		{"events as NDJSON", icbc, [3]string{"POST", "/api/v1/events", transfer("of-t-1", "ICBC") + "\n" + transfer("of-t-2", "ICBC") + "\n"}, 200},
		{"events as a JSON array", icbc, [3]string{"POST", "/api/v1/events", "[" + transfer("of-t-3", "ICBC") + "," + transfer("of-t-4", "ICBC") + "]"}, 200},
		{"events with bad and foreign lines", icbc, [3]string{"POST", "/api/v1/events", `{"id":"of-bad","kind":"transfer"}` + "\n" + transfer("of-t-5", "ABC") + "\n"}, 200},
		{"events anonymously", creds{}, [3]string{"POST", "/api/v1/events", transfer("of-t-6", "ICBC")}, 401},
		{"events over the batch limit", icbc, [3]string{"POST", "/api/v1/events", batch.String()}, 413},
		{"decide", icbc, [3]string{"POST", "/api/v1/decide", transfer("of-t-7", "ICBC")}, 200},
		{"decide again", icbc, [3]string{"POST", "/api/v1/decide", transfer("of-t-7", "ICBC")}, 200},
		{"decide another's event", icbc, [3]string{"POST", "/api/v1/decide", call("of-c-1", "CMCC")}, 403},
		{"decide missing fields", icbc, [3]string{"POST", "/api/v1/decide", `{"id":"of-t-8","kind":"transfer"}`}, 422},
		{"me", icbc, [3]string{"GET", "/api/v1/me", ""}, 200},
		{"orders", icbc, [3]string{"GET", "/api/v1/orders", ""}, 200},
		{"pending orders of the org", icbc, [3]string{"GET", "/api/v1/orders?org=ICBC&status=pending&limit=10", ""}, 200},
		{"order", icbc, [3]string{"GET", "/api/v1/orders/" + stops[0], ""}, 200},
		{"order deliveries", icbc, [3]string{"GET", "/api/v1/orders/" + stops[0] + "/deliveries", ""}, 200},
		{"deliveries", icbc, [3]string{"GET", "/api/v1/deliveries", ""}, 200},
		{"execute", icbc, op("execute", stops[0], `{"reference":"ICBC-STOP-20261121-0001"}`), 200},
		{"execute again", icbc, op("execute", stops[0], `{"reference":"ICBC-STOP-20261121-0001"}`), 409},
		{"reject", icbc, op("reject", stops[1], `{"reason":"account name does not match"}`), 200},
		{"execute with an unknown field", icbc, op("execute", stops[2], `{"reference":"R-1","bogus":true}`), 400},
		{"execute without a reference", icbc, op("execute", stops[2], `{"reference":""}`), 422},
		{"execute another org's order", icbc, op("execute", f.stop, `{"reference":"R-2"}`), 404},
		{"order of another org", icbc, [3]string{"GET", "/api/v1/orders/" + f.stop, ""}, 404},
		{"issue an order", icbc, [3]string{"POST", "/api/v1/orders", `{}`}, 403},
	} {
		method, path, body := s.req[0], s.req[1], s.req[2]
		var b []byte
		if body != "" {
			b = []byte(body)
		}
		if status, _, ans := send(t, method, f.base+path, s.cr, b); status != s.want {
			t.Errorf("%s: %s %s: %d %s, want %d", s.name, method, path, status, clip(ans), s.want)
		}
	}
	for i := 1; i <= 6; i++ { // the sixth wrong password in a minute is throttled
		body, _ := json.Marshal(map[string]string{"username": "mx.analyst", "password": "wrong-" + strconv.Itoa(i)})
		want := http.StatusUnauthorized
		if i == 6 {
			want = http.StatusTooManyRequests
		}
		if status, _, ans := send(t, "POST", f.base+"/api/v1/login", creds{}, body); status != want {
			t.Errorf("wrong password %d: %d %s, want %d", i, status, clip(ans), want)
		}
	}
}

// TestOpenAPIEdges reaches the answers the middleware gives before any handler
// runs (body limit, rate limit, credentials, CSRF, a failing journal), which every
// operation under /api/v1 can give.
func TestOpenAPIEdges(t *testing.T) {
	_, base := start(t, &journal{}, nil)
	admin := login(t, base, "admin", adminPassword)
	for _, s := range []struct {
		name         string
		cr           creds
		method, path string
		body         []byte
		want         int
	}{
		{"unknown key on an open route", creds{key: "lj_unknown"}, "GET", "/api/v1/openapi.json", nil, 200}, // public: answered before authentication
		{"sign in again without the CSRF token", creds{session: admin.session}, "POST", "/api/v1/login",
			[]byte(`{"username":"admin","password":"` + adminPassword + `"}`), 403},
	} {
		if status, _, ans := send(t, s.method, base+s.path, s.cr, s.body); status != s.want {
			t.Errorf("%s: %s %s: %d %s, want %d", s.name, s.method, s.path, status, clip(ans), s.want)
		}
	}
	tooLarge(t, base, "/api/v1/decide")
	tooLarge(t, base, "/api/v1/orders/SP-none/execute") // the limit is the server's, before any route
	limited := 0
	for range 60 { // a person may send 50 requests a second
		if status, _, _ := send(t, "GET", base+"/api/v1/lists/imports/IM-none", admin, nil); status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Errorf("60 requests at once: none refused with 429")
	}

	_, down := start(t, &journal{}, func() (bool, any) { return false, map[string]any{"journal_error": "disk full"} })
	body := []byte(`{"username":"admin","password":"` + adminPassword + `"}`)
	if status, _, ans := send(t, "POST", down+"/api/v1/login", creds{}, body); status != http.StatusServiceUnavailable {
		t.Errorf("sign in while the journal fails: %d %s, want 503", status, clip(ans))
	}
}

// tooLarge announces a body over ui.MaxBody to path and checks the answer, which
// comes before the body is read: sending the body itself, the client would be cut
// off mid-write and see no answer.
func tooLarge(t *testing.T, base, path string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{", path, req.URL.Host, feedKey, ui.MaxBody+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkOpenAPI(t, req, nil, resp, b)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("%s with a body over %d bytes: %d %s, want 413", path, ui.MaxBody, resp.StatusCode, clip(b))
	}
}

// TestOpenAPIDeskFlow has the desk's admin make one successful call of each
// operation the other tests only see refused, so that every 2xx answer the
// document declares is held to it once.
func TestOpenAPIDeskFlow(t *testing.T) {
	f := newFixture(t)
	admin := f.by[auth.Admin].creds
	stops := reportStops(t, f, admin, "od", 2)
	var rule map[string]any
	sendJSON(t, "GET", f.base+"/api/v1/rules/"+f.ruleID, admin, "", http.StatusOK, &rule)
	rule["weight"] = 11
	updated, _ := json.Marshal(rule)
	rule["id"] = "openapi_desk_rule"
	delete(rule, "version")
	created, _ := json.Marshal(rule)
	tried, _ := json.Marshal(map[string]any{"rule": rule, "event": json.RawMessage(call("od-c-1", "CT"))})
	orders, cases := "/api/v1/orders/", "/api/v1/cases/"+f.caseID
	var cut intercept.Order
	sendJSON(t, "POST", f.base+"/api/v1/orders", admin, `{"type":"cutoff","phone":"+85512340999","reason_code":"scam_calls","reason":"report"}`, http.StatusCreated, &cut)
	for _, s := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/v1/users", `{"name":"od.user","password":"pw-od-user-synthetic","role":"volunteer"}`, 201},
		{"POST", "/api/v1/users/od.user/password", `{"password":"pw-od-user-synthetic-2"}`, 204},
		{"POST", "/api/v1/apikeys", `{"name":"ICBC transfer feed","role":"bank_system","org":"ICBC"}`, 201},
		{"PUT", "/api/v1/webhooks/ICBC", `{"url":"https://icbc.example/lanjie"}`, 200},
		{"POST", "/api/v1/rules/test", string(tried), 200},
		{"POST", "/api/v1/rules", string(created), 201},
		{"PUT", "/api/v1/rules/" + f.ruleID, string(updated), 200},
		{"POST", "/api/v1/rules/" + f.ruleID + "/mode", `{"mode":"shadow"}`, 200},
		{"POST", orders + stops[0] + "/execute", `{"reference":"ICBC-STOP-20261121-0002"}`, 200},
		{"POST", orders + stops[0] + "/renew", `{}`, 200},
		{"POST", orders + stops[1] + "/amend", `{"account_name":"张三","amount":"52000.00","tx_at":"2026-11-21T09:50:00+08:00","reason":"the victim called back"}`, 200},
		{"POST", orders + stops[1] + "/convert", `{"document":"(2026)公冻字第0042号","limit_fen":5200000}`, 200},
		{"POST", orders + stops[2] + "/release", `{"reason":"funds returned to the victim"}`, 200},
		{"POST", orders + cut.ID + "/reassign", `{"operator":"CMCC","reason":"the calls enter through CMCC's gateway"}`, 200},
		{"POST", "/api/v1/appeals/" + f.appealID + "/decision", `{"outcome":"denied","grounds":"synthetic: the account took the victim's money"}`, 200},
		{"POST", cases + "/assign", `{"assignee":"admin"}`, 200},
		{"POST", cases + "/note", `{"text":"called the victim back"}`, 200},
		{"POST", cases + "/status", `{"status":"follow_up"}`, 200}, // assigning made it working
		{"POST", cases + "/link", fmt.Sprintf(`{"orders":[%q]}`, stops[0]), 200},
	} {
		if status, _, ans := send(t, s.method, f.base+s.path, admin, []byte(s.body)); status != s.want {
			t.Errorf("%s %s: %d %s, want %d", s.method, s.path, status, clip(ans), s.want)
		}
	}
	const csv = "target,value,list,reason\nnumber,+85512345601,black,scam calls reported\n"
	sendCSV(t, f.base+"/api/v1/lists/import", admin, csv, http.StatusOK)
	sendCSV(t, f.base+"/api/v1/lists/import", admin, csv+"number,not-a-number,black,r\n", http.StatusMultiStatus)
	var job struct{ ID string }
	if err := json.Unmarshal(sendCSV(t, f.base+"/api/v1/lists/import?async=1", admin, csv, http.StatusAccepted), &job); err != nil || job.ID == "" {
		t.Fatalf("async import: job %+v, %v", job, err)
	}
	sendJSON(t, "GET", f.base+"/api/v1/lists/imports/"+job.ID, admin, "", http.StatusOK, nil)
}

// sendCSV is send with a CSV body, wanting status; it returns the answer.
func sendCSV(t *testing.T, url string, cr creds, body string, status int) []byte {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set(ui.CSRFHeader, cr.csrf)
	req.AddCookie(&http.Cookie{Name: ui.SessionCookie, Value: cr.session})
	resp, b := roundTrip(t, req)
	checkOpenAPI(t, req, []byte(body), resp, b)
	if resp.StatusCode != status {
		t.Errorf("POST %s: %d %s, want %d", url, resp.StatusCode, clip(b), status)
	}
	return b
}
