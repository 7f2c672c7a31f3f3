package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIOperation is what the test reads of one operation of the document.
type openAPIOperation struct {
	Roles      *[]string        `json:"x-roles"`
	Parameters []map[string]any `json:"parameters"`
}

// openAPIDocument is what the test reads of the document; raw keeps all of it for
// resolving references.
type openAPIDocument struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
	raw     any
}

// operations returns the document's operations by "METHOD /path".
func (d *openAPIDocument) operations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	out := map[string]openAPIOperation{}
	for path, item := range d.Paths {
		for key, raw := range item {
			if !slices.Contains(openAPIMethods, key) {
				continue // parameters, summary, ... of the path item
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", key, path, err)
			}
			out[strings.ToUpper(key)+" "+path] = op
		}
	}
	return out
}

// resolve follows a local reference ("#/components/...") in the document.
func (d *openAPIDocument) resolve(ref string) (any, error) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("%q: not a reference within the document", ref)
	}
	node := d.raw
	for _, tok := range strings.Split(pointer, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: %q is not inside an object", ref, tok)
		}
		if node, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%q: no %q", ref, tok)
		}
	}
	return node, nil
}

// refs returns every "$ref" value under node.
func refs(node any) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && k == "$ref" {
				out = append(out, s)
			} else {
				out = append(out, refs(v)...)
			}
		}
	case []any:
		for _, v := range n {
			out = append(out, refs(v)...)
		}
	}
	return out
}

// fetchOpenAPI gets the document over the socket, as a developer would.
func fetchOpenAPI(t *testing.T, base string) *openAPIDocument {
	t.Helper()
	status, b := do(t, "GET", base+"/api/v1/openapi.json", "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", status, b)
	}
	var d openAPIDocument
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	if err := json.Unmarshal(b, &d.raw); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.0.") {
		t.Fatalf(`"openapi": %q, want 3.0.x`, d.OpenAPI)
	}
	return &d
}

var (
	fiberParam    = regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	templateParam = regexp.MustCompile(`\{([^}/]+)\}`)
)

// TestOpenAPI checks the document served at /api/v1/openapi.json against the routes
// the server serves, so that it cannot drift from them.
func TestOpenAPI(t *testing.T) {
	srv, base := start(t, &journal{}, nil)
	doc := fetchOpenAPI(t, base)
	ops := doc.operations(t)
	served := map[string][]string{} // "POST /api/v1/orders/{id}/execute" -> roles
	for _, r := range srv.Routes() {
		roles := []string{}
		for _, role := range r.Roles {
			roles = append(roles, string(role))
		}
		served[r.Method+" "+fiberParam.ReplaceAllString(r.Path, "{$1}")] = roles
	}

	t.Run("routes", func(t *testing.T) {
		var missing, extra []string
		for k := range served {
			if _, ok := ops[k]; !ok {
				missing = append(missing, k)
			}
		}
		for _, k := range []string{"GET /healthz", "GET /readyz", "GET /metrics"} { // outside /api/v1
			if _, ok := ops[k]; !ok {
				missing = append(missing, k)
			}
		}
		for k := range ops {
			if _, ok := served[k]; !ok && strings.Contains(k, " /api/v1/") {
				extra = append(extra, k)
			}
		}
		slices.Sort(missing)
		slices.Sort(extra)
		if len(missing) > 0 {
			t.Errorf("served but not in the document:\n  %s", strings.Join(missing, "\n  "))
		}
		if len(extra) > 0 {
			t.Errorf("in the document but not served:\n  %s", strings.Join(extra, "\n  "))
		}
	})

	t.Run("roles", func(t *testing.T) {
		for k, want := range served {
			op, ok := ops[k]
			if !ok {
				continue // reported by routes
			}
			if op.Roles == nil {
				t.Errorf("%s: no x-roles (write [] for a route open to anyone)", k)
				continue
			}
			got := slices.Sorted(slices.Values(*op.Roles))
			slices.Sort(want)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: x-roles (-served +documented):\n%s", k, diff)
			}
		}
	})

	t.Run("path parameters", func(t *testing.T) {
		for k, op := range ops {
			_, path, _ := strings.Cut(k, " ")
			var want []string
			for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
				want = append(want, m[1])
			}
			var got []string
			for _, p := range op.Parameters {
				if ref, ok := p["$ref"].(string); ok {
					r, err := doc.resolve(ref)
					if err != nil {
						t.Errorf("%s: parameter %v", k, err)
						continue
					}
					p, _ = r.(map[string]any)
				}
				if p["in"] != "path" {
					continue
				}
				if p["required"] != true {
					t.Errorf("%s: path parameter %v is not required: true", k, p["name"])
				}
				got = append(got, fmt.Sprint(p["name"]))
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: path parameters (-template +declared):\n%s", k, diff)
			}
		}
	})

	t.Run("refs", func(t *testing.T) {
		all := refs(doc.raw)
		if len(all) == 0 {
			t.Fatal("no $ref in the document: the walk found nothing to check")
		}
		for _, ref := range all {
			if _, err := doc.resolve(ref); err != nil {
				t.Error(err)
			}
		}
	})
}
