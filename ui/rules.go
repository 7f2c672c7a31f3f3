package ui

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/rules"
)

func (s *Server) ruleRoutes() {
	s.handle(fiber.MethodGet, "/rules", readers, func(c *fiber.Ctx) error { return c.JSON(s.rules.Rules()) })
	s.handle(fiber.MethodPost, "/rules", analysts, s.createRule)
	s.handle(fiber.MethodPost, "/rules/test", analysts, s.testRule)
	s.handle(fiber.MethodGet, "/rules/:id", readers, s.getRule)
	s.handle(fiber.MethodPut, "/rules/:id", analysts, s.updateRule)
	s.handle(fiber.MethodGet, "/rules/:id/history", readers, s.ruleHistory)
	s.handle(fiber.MethodPost, "/rules/:id/mode", analysts, s.setRuleMode)
}

func (s *Server) getRule(c *fiber.Ctx) error {
	r, err := s.rules.Get(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) ruleHistory(c *fiber.Ctx) error {
	h, err := s.rules.History(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(h)
}

// ruleError answers a rule that does not compile: 422 with its line and column.
func ruleError(err error) error {
	var ce *rules.CompileError
	if errors.As(err, &ce) {
		return &intercept.ValidationError{What: "rule", Fields: []intercept.FieldError{{Field: "expr", Reason: ce.Error()}}}
	}
	return err
}

func (s *Server) createRule(c *fiber.Ctx) error {
	var r rules.Rule
	if err := bind(c, &r); err != nil {
		return err
	}
	r, err := s.rules.Create(c.UserContext(), r, who(c))
	if err != nil {
		return ruleError(err)
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// updateRule saves a new version. If-Match (or "version" in the body) names the
// version the analyst edited: someone else's save in between is a 409.
func (s *Server) updateRule(c *fiber.Ctx) error {
	var r rules.Rule
	if err := bind(c, &r); err != nil {
		return err
	}
	expect := r.Version
	if m := c.Get(fiber.HeaderIfMatch); m != "" {
		if _, err := fmt.Sscan(m, &expect); err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "If-Match: want the rule's version number")
		}
	}
	r, err := s.rules.Update(c.UserContext(), c.Params("id"), r, expect, who(c))
	if err != nil {
		return ruleError(err)
	}
	return c.JSON(r)
}

func (s *Server) setRuleMode(c *fiber.Ctx) error {
	var req struct {
		Mode    rules.Mode `json:"mode"`
		Version int        `json:"version,omitempty"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	r, err := s.rules.SetMode(c.UserContext(), c.Params("id"), req.Mode, req.Version, who(c))
	if err != nil {
		return ruleError(err)
	}
	return c.JSON(r)
}

// ruleTest is POST /rules/test: a rule (or just an expression) and a sample event.
type ruleTest struct {
	Rule  rules.Rule      `json:"rule"`
	Event json.RawMessage `json:"event"`
}

// testRule compiles a rule and runs it on one event against the live state, changing
// nothing; compile errors come back positioned, in the result.
func (s *Server) testRule(c *fiber.Ctx) error {
	var req ruleTest
	if err := bind(c, &req); err != nil {
		return err
	}
	if len(req.Event) == 0 {
		return &intercept.ValidationError{What: "rule test", Fields: []intercept.FieldError{{Field: "event", Reason: "required: a sample event"}}}
	}
	ev, err := s.desk.Decoder().Decode(req.Event)
	if err != nil {
		return err
	}
	res, err := s.rules.Test(s.desk.Engine().State(), req.Rule, &ev)
	if err != nil {
		return err
	}
	return c.JSON(res)
}
