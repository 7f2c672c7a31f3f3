package ui

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/ui/auth"
)

// SessionCookie names the browser session's cookie; CSRFHeader carries the session's
// CSRF token on every state-changing request a browser makes.
const (
	SessionCookie = "lanjie_session"
	CSRFHeader    = "X-CSRF-Token"
)

// Route is one API route and the roles allowed on it (nil: anyone, even signed out).
// The role matrix test and the OpenAPI document are checked against Routes.
type Route struct {
	Method, Path string
	Roles        []auth.Role
}

// Role sets used by the routes. Admin may do everything.
var (
	anyone      []auth.Role
	signedIn    = auth.Roles
	people      = []auth.Role{auth.Hotline, auth.BankLiaison, auth.OperatorLiaison, auth.Volunteer, auth.Analyst, auth.Admin}
	desk        = []auth.Role{auth.Hotline, auth.Admin}
	deskAndOrgs = []auth.Role{auth.Hotline, auth.Admin, auth.BankLiaison, auth.OperatorLiaison, auth.BankSystem, auth.OperatorSystem}
	orgActors   = []auth.Role{auth.Admin, auth.BankLiaison, auth.OperatorLiaison, auth.BankSystem, auth.OperatorSystem}
	feeds       = []auth.Role{auth.Hotline, auth.Admin, auth.BankSystem, auth.OperatorSystem}
	readers     = []auth.Role{auth.Hotline, auth.Admin, auth.Analyst}
	listWriters = []auth.Role{auth.Hotline, auth.Admin, auth.Analyst}
	analysts    = []auth.Role{auth.Analyst, auth.Admin}
	admins      = []auth.Role{auth.Admin}
)

// handle registers a route under /api/v1 allowed to roles, and records it.
func (s *Server) handle(method, path string, roles []auth.Role, h fiber.Handler) {
	s.routes = append(s.routes, Route{Method: method, Path: "/api/v1" + path, Roles: roles})
	d := cmp.Or(deadlines[path], defaultDeadline)
	guard := func(c *fiber.Ctx) error {
		if roles != nil {
			p, ok := c.Locals("principal").(auth.Principal)
			if !ok {
				return fiber.NewError(fiber.StatusUnauthorized, "sign in (POST /api/v1/login) or send an API key as Authorization: Bearer …")
			}
			if !slices.Contains(roles, p.Role) {
				return fmt.Errorf("%s may not %s %s: %w", p.Role, method, path, intercept.ErrForbidden)
			}
		}
		if err := decodeBody(c); err != nil {
			return err
		}
		// One context per request, made here rather than in a middleware and again in
		// the handler, with no timer unless the handler waits on it.
		ctx := withDeadline(c.UserContext(), time.Now().Add(d))
		defer ctx.stop()
		c.SetUserContext(ctx)
		return h(c)
	}
	s.api.Add(method, path, guard)
}

// Routes returns every API route with the roles allowed on it.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// authenticate finds who is calling: an API key (Authorization: Bearer) or a browser
// session (cookie, with the CSRF header on state-changing requests). A request with
// neither goes on anonymous; routes that need someone refuse it.
func (s *Server) authenticate(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return fiber.NewError(fiber.StatusUnauthorized, "Authorization: want Bearer and an API key")
		}
		p, err := s.auth.VerifyKey(strings.TrimSpace(secret))
		if err != nil {
			return fiber.NewError(fiber.StatusUnauthorized, "unknown or revoked API key")
		}
		c.Locals("principal", p)
		return c.Next()
	}
	if tok := c.Cookies(SessionCookie); tok != "" {
		sess, ok := s.sessions.Get(tok)
		if !ok {
			// Expired, or the console restarted: the caller goes on signed out (and
			// may sign in again); routes that need someone answer 401.
			c.ClearCookie(SessionCookie)
			return c.Next()
		}
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			if got := c.Get(CSRFHeader); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
				return fmt.Errorf("missing or wrong %s header (the token login returned): %w", CSRFHeader, intercept.ErrForbidden)
			}
		}
		c.Locals("principal", sess.Principal)
		c.Locals("session", tok)
	}
	return c.Next()
}

// principal returns who is calling; routes with roles only run with one.
func principal(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals("principal").(auth.Principal)
	return p
}

// who names the caller in records: a user's name or "key:<id>".
func who(c *fiber.Ctx) string {
	p := principal(c)
	if p.Kind == auth.KindKey {
		return "key:" + p.KeyID
	}
	return p.Name
}

// orgScope is the org the caller is confined to, "" for desk-wide roles.
func orgScope(c *fiber.Ctx) string {
	if p := principal(c); p.Role.NeedsOrg() {
		return p.Org
	}
	return ""
}

// Every API request runs with a context that ends after its route's deadline: a
// decision is wanted while the caller is still on the phone, a batch of 10,000 takes
// longer, everything else gets defaultDeadline.
var deadlines = map[string]time.Duration{"/decide": 5 * time.Second, "/events": 20 * time.Second}

const defaultDeadline = 25 * time.Second

// audit journals every state-changing request before its response goes out: who,
// what, when, from where. Feed posts that reach the desk are audited by it, in the
// same append as their events; those refused before (no key, a forbidden role, a
// malformed body) are audited here.
//
// A change is refused up front while the journal is known to be failing, so nothing
// changes unaudited; if the audit append fails after the change was made (a failure
// that began during the request), the caller still gets the change's answer and the
// failure is logged.
func (s *Server) audit(c *fiber.Ctx) error {
	m, path := c.Method(), c.Path()
	if m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions || path == "/api/v1/rules/test" {
		return c.Next()
	}
	feed := path == "/api/v1/events" || path == "/api/v1/decide"
	if !feed {
		if ok, _ := s.ready(); !ok {
			return fmt.Errorf("audit trail: %w", intercept.ErrUnavailable)
		}
	}
	err := c.Next()
	if feed && (err == nil || c.Locals("principal") != nil && statusOf(err) != fiber.StatusForbidden) {
		return err // reached the desk, which audited it with its events (or the journal failed)
	}
	status := c.Response().StatusCode()
	if err != nil {
		status = statusOf(err)
	}
	if status == fiber.StatusTooManyRequests && path != "/api/v1/login" {
		return err // a flood over the rate limit must not flood the journal too
	}
	p := principal(c)
	name := who(c)
	if name == "" {
		name = "anonymous"
	}
	if path == "/api/v1/login" {
		n, _ := c.Locals("login").(string) // set by login once it read the body
		name = "login:" + n
	}
	e := intercept.AuditEntry{At: time.Now(), Who: name, Role: string(p.Role), Action: m + " " + c.Route().Path,
		Target: strings.TrimPrefix(path, "/api/v1"), Detail: fmt.Sprintf("status %d", status), Remote: c.IP()}
	data, jerr := json.Marshal(e)
	if jerr == nil {
		_, jerr = s.journal.Append(c.UserContext(), intercept.Record{Type: intercept.RecAudit, Data: data})
	}
	if jerr != nil {
		s.log.ErrorContext(c.UserContext(), "audit_failed", "action", e.Action, "who", e.Who, "status", status, "err", jerr)
	}
	return err
}

// rateKey is what per-caller rate limits count by.
func rateKey(c *fiber.Ctx) string {
	if p, ok := c.Locals("principal").(auth.Principal); ok {
		if p.Kind == auth.KindKey {
			return "key:" + p.KeyID
		}
		return "user:" + p.Name
	}
	return "ip:" + c.IP()
}
