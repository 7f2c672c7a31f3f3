// Package ui is Lanjie's HTTP face: the JSON API under /api/v1 for feeds and the
// console, and the health and readiness probes.
package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/lanjie/lanjie/intercept"
)

// MaxBatch is the most events one POST /api/v1/events may carry.
const MaxBatch = 10000

// Ready reports whether the console can take work, and why not; cmd wires the
// journal and the shipper into it.
type Ready func() (ok bool, detail any)

// Server serves the API.
type Server struct {
	app    *fiber.App
	desk   *intercept.Desk
	ready  Ready
	log    *slog.Logger
	stats  *stats
	gauges Gauges
}

// New returns a server over desk.
func New(desk *intercept.Desk, ready Ready, log *slog.Logger) *Server {
	s := &Server{desk: desk, ready: ready, log: log, stats: &stats{}}
	s.app = fiber.New(fiber.Config{
		BodyLimit:             32 << 20,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
	})
	s.app.Use(recover.New())
	s.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok\n") })
	s.app.Get("/readyz", s.readyz)
	s.app.Get("/metrics", s.metrics)
	api := s.app.Group("/api/v1")
	api.Post("/events", s.postEvents)
	api.Post("/decide", s.postDecide)
	return s
}

// App is the fiber app, for tests.
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting and waits for requests in flight, until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// problem is the JSON body of every error response.
type problem struct {
	Error  string                 `json:"error"`
	Fields []intercept.FieldError `json:"fields,omitempty"`
}

// errorHandler turns error kinds into statuses; only the unexpected are logged.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	var fe *fiber.Error
	var ve *intercept.ValidationError
	p := problem{Error: err.Error()}
	switch {
	case errors.As(err, &fe):
		status = fe.Code
	case errors.As(err, &ve):
		status, p.Fields = fiber.StatusUnprocessableEntity, ve.Fields
	case errors.Is(err, intercept.ErrInvalid):
		status = fiber.StatusUnprocessableEntity
	case errors.Is(err, intercept.ErrNotFound):
		status = fiber.StatusNotFound
	case errors.Is(err, intercept.ErrConflict):
		status = fiber.StatusConflict
	case errors.Is(err, intercept.ErrForbidden):
		status = fiber.StatusForbidden
	case errors.Is(err, context.DeadlineExceeded):
		status = fiber.StatusServiceUnavailable
	case errors.Is(err, intercept.ErrUnavailable):
		status = fiber.StatusServiceUnavailable
		s.log.ErrorContext(c.UserContext(), "request_refused", "path", c.Path(), "err", err)
		p.Error = "the console cannot keep new work right now (its journal is unavailable); nothing was accepted, retry later"
	default:
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

// splitBatch returns the events of a body, a JSON array or NDJSON, with the number
// each is known by in results: its place in the array, or its line in the body
// (blank lines count, so the numbers match an editor's).
func splitBatch(body []byte) (lines [][]byte, nums []int, err error) {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(t, &raw); err != nil {
			return nil, nil, fmt.Errorf("body: not a JSON array of events: %v: %w", err, intercept.ErrInvalid)
		}
		for i, r := range raw {
			lines, nums = append(lines, r), append(nums, i+1)
		}
		return lines, nums, nil
	}
	objects := 0
	for n, rest := 1, body; len(rest) > 0; n++ {
		line, after, _ := bytes.Cut(rest, []byte{'\n'})
		if l := bytes.TrimSpace(line); len(l) > 0 {
			lines, nums = append(lines, l), append(nums, n)
			if l[0] == '{' && l[len(l)-1] == '}' {
				objects++
			}
		}
		rest = after
	}
	if len(lines) > 0 && objects == 0 {
		return nil, nil, fmt.Errorf("body: neither a JSON array nor NDJSON (one JSON object per line): %w", intercept.ErrInvalid)
	}
	return lines, nums, nil
}

// batchResponse answers a batch: a result per line, decisions or errors.
type batchResponse struct {
	Accepted int                `json:"accepted"`
	Rejected int                `json:"rejected"`
	Results  []intercept.Result `json:"results"`
}

func (s *Server) postEvents(c *fiber.Ctx) error {
	lines, nums, err := splitBatch(c.Body())
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("body: no events: %w", intercept.ErrInvalid)
	}
	if len(lines) > MaxBatch {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("%d events in one request, the limit is %d", len(lines), MaxBatch))
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 20*time.Second)
	defer cancel()
	res, err := s.desk.Ingest(ctx, lines)
	if err != nil {
		return err
	}
	out := batchResponse{Results: res}
	for i := range res {
		res[i].Line = nums[i]
	}
	for _, r := range res {
		if r.Err() != nil {
			out.Rejected++
		} else {
			out.Accepted++
			s.stats.decided(r.Decision)
		}
	}
	return c.JSON(out)
}

func (s *Server) postDecide(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	res, err := s.desk.Ingest(ctx, [][]byte{c.Body()})
	if err != nil {
		return err
	}
	if err := res[0].Err(); err != nil {
		return err
	}
	s.stats.decided(res[0].Decision)
	return c.JSON(res[0].Decision)
}
