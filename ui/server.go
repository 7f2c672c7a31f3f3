// Package ui is Lanjie's HTTP face: the JSON API under /api/v1 for feeds and the
// console, and the health and readiness probes.
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/intercept/webhook"
	"github.com/lanjie/lanjie/rules"
	"github.com/lanjie/lanjie/ui/auth"
)

// Ready reports whether the console can take work, and why not; cmd wires the
// journal and the shipper into it.
type Ready func() (ok bool, detail any)

// Config is what the server serves.
type Config struct {
	Desk       *intercept.Desk
	Journal    intercept.Journal // audit records go here
	Rules      *rules.Book
	Auth       *auth.Store
	Sessions   *auth.Sessions
	Throttle   *auth.Throttle // login failures, by user name and by address
	Deliveries Deliveries     // the webhook delivery log; nil: none configured
	Ready      Ready
	Log        *slog.Logger
	KeyRate    int // requests per second one API key may send (0: 100,000)
	UserRate   int // requests per second one person may send (0: 50)
}

// Deliveries is the webhook delivery log, and what re-sends an org's waiting orders
// once its endpoint is set.
type Deliveries interface {
	Log(org string, limit int) []webhook.Record
	Redeliver(org string) int
}

// Server serves the API.
type Server struct {
	app      *fiber.App
	api      fiber.Router
	routes   []Route
	desk     *intercept.Desk
	journal  intercept.Journal
	rules    *rules.Book
	auth     *auth.Store
	sessions *auth.Sessions
	throttle *auth.Throttle
	delivery Deliveries
	ready    Ready
	log      *slog.Logger
	stats    *stats
	gauges   Gauges
	imports  imports

	loginLocks [64]sync.Mutex // by user name: see login
}

// New returns a server over cfg.
func New(cfg Config) *Server {
	s := &Server{desk: cfg.Desk, journal: cfg.Journal, rules: cfg.Rules, auth: cfg.Auth, sessions: cfg.Sessions,
		throttle: cfg.Throttle, delivery: cfg.Deliveries, ready: cfg.Ready, log: cfg.Log, stats: &stats{}}
	if cfg.KeyRate <= 0 {
		cfg.KeyRate = 100_000
	}
	if cfg.UserRate <= 0 {
		cfg.UserRate = 50
	}
	s.app = fiber.New(fiber.Config{
		BodyLimit:             MaxBody,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		// Handlers keep what they read (orders, appeals, rules, webhooks): fiber's
		// zero-copy strings would change under them with the next request.
		Immutable: true,
	})
	s.app.Use(recover.New())
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok\n") })
	s.app.Get("/readyz", s.readyz)
	s.app.Get("/metrics", s.metrics)
	limited := func(max int, keys bool) fiber.Handler {
		return limiter.New(limiter.Config{
			Max: max, Expiration: time.Second, KeyGenerator: rateKey,
			Next: func(c *fiber.Ctx) bool { return (principal(c).Kind == auth.KindKey) != keys },
			LimitReached: func(c *fiber.Ctx) error {
				return fiber.NewError(fiber.StatusTooManyRequests, fmt.Sprintf("more than %d requests a second: slow down", max))
			},
		})
	}
	// The document is public and answered before the group's middleware: a client
	// reading it with a stale key still gets it.
	s.app.Get("/api/v1/openapi.json", s.openapi)
	// audit wraps everything after it, so refusals (unknown keys, CSRF) are audited too.
	s.api = s.app.Group("/api/v1", s.audit, s.authenticate, limited(cfg.KeyRate, true), limited(cfg.UserRate, false))
	s.routes = append(s.routes, Route{Method: fiber.MethodGet, Path: "/api/v1/openapi.json"})
	s.sessionRoutes()
	s.eventRoutes()
	s.listRoutes()
	s.ruleRoutes()
	s.orderRoutes()
	s.caseRoutes()
	return s
}

// MaxBody is the largest request body: a full batch of long events.
const MaxBody = 32 << 20

// App is the fiber app, for tests.
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting and waits for requests in flight, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// problem is the JSON body of every error response.
type problem struct {
	Status int                    `json:"status"`
	Error  string                 `json:"error"`
	Fields []intercept.FieldError `json:"fields,omitempty"`
}

// statusOf maps an error's kind to its HTTP status.
func statusOf(err error) int {
	var fe *fiber.Error
	var ve *intercept.ValidationError
	switch {
	case errors.As(err, &fe):
		return fe.Code
	case errors.As(err, &ve), errors.Is(err, intercept.ErrInvalid):
		return fiber.StatusUnprocessableEntity
	case errors.Is(err, auth.ErrBadCredentials):
		return fiber.StatusUnauthorized
	case errors.Is(err, intercept.ErrNotFound):
		return fiber.StatusNotFound
	case errors.Is(err, intercept.ErrConflict):
		return fiber.StatusConflict
	case errors.Is(err, intercept.ErrForbidden):
		return fiber.StatusForbidden
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, intercept.ErrUnavailable):
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// errorHandler turns error kinds into statuses; only the unexpected are logged.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	status := statusOf(err)
	p := problem{Status: status, Error: err.Error()}
	var ve *intercept.ValidationError
	if errors.As(err, &ve) {
		p.Fields = ve.Fields
	}
	switch {
	case errors.Is(err, intercept.ErrUnavailable):
		s.log.ErrorContext(c.UserContext(), "request_refused", "path", c.Path(), "err", err)
		p.Error = "the console cannot keep new work right now (its journal is unavailable); nothing was accepted, retry later"
	case status == fiber.StatusInternalServerError:
		s.log.ErrorContext(c.UserContext(), "request_failed", "method", c.Method(), "path", c.Path(), "err", err)
		p.Error = "internal error"
	}
	return c.Status(status).JSON(p)
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ok, detail := s.ready()
	if !ok {
		c.Status(fiber.StatusServiceUnavailable)
	}
	return c.JSON(detail)
}
