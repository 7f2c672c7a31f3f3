package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lanjie/lanjie/intercept"
	"github.com/lanjie/lanjie/intercept/webhook"
	"github.com/lanjie/lanjie/ui/auth"
)

var releasers = []auth.Role{auth.Hotline, auth.Admin, auth.BankLiaison}

func (s *Server) orderRoutes() {
	s.handle(fiber.MethodGet, "/orders", slices.Concat(deskAndOrgs, []auth.Role{auth.Analyst}), s.listOrders)
	s.handle(fiber.MethodPost, "/orders", desk, s.issueOrder)
	s.handle(fiber.MethodGet, "/orders/:id", slices.Concat(deskAndOrgs, []auth.Role{auth.Analyst}), s.getOrder)
	s.handle(fiber.MethodGet, "/orders/:id/deliveries", deskAndOrgs, s.orderDeliveries)
	for _, op := range []string{"execute", "reject"} {
		s.handle(fiber.MethodPost, "/orders/:id/"+op, orgActors, s.orderOp(op))
	}
	for _, op := range []string{"renew", "convert", "reassign", "amend"} {
		s.handle(fiber.MethodPost, "/orders/:id/"+op, desk, s.orderOp(op))
	}
	s.handle(fiber.MethodPost, "/orders/:id/release", releasers, s.orderOp("release"))
	s.handle(fiber.MethodPost, "/orders/:id/appeals", desk, s.fileAppeal)
	s.handle(fiber.MethodGet, "/appeals", desk, s.listAppeals)
	s.handle(fiber.MethodPost, "/appeals/:id/decision", desk, s.decideAppeal)
}

func (s *Server) listOrders(c *fiber.Ctx) error {
	f := intercept.OrderFilter{Org: c.Query("org"), Type: intercept.ActionType(c.Query("type")), Status: c.Query("status"),
		CaseID: c.Query("case"), Target: c.Query("target"), Overdue: c.QueryBool("overdue"), Limit: min(c.QueryInt("limit", 100), 1000)}
	if scope := orgScope(c); scope != "" {
		f.Org = scope // a liaison or a partner system sees its own org's orders only
	}
	out := s.desk.Book().Orders(f)
	if out == nil {
		out = []intercept.Order{}
	}
	return c.JSON(out)
}

// scopedOrder returns order id if the caller may see it: another org's is not found.
func (s *Server) scopedOrder(c *fiber.Ctx) (intercept.Order, error) {
	o, err := s.desk.Book().Order(c.Params("id"))
	if err == nil {
		if scope := orgScope(c); scope != "" && o.Org != scope {
			return intercept.Order{}, fmt.Errorf("order %s: %w", o.ID, intercept.ErrNotFound)
		}
	}
	return o, err
}

func (s *Server) getOrder(c *fiber.Ctx) error {
	o, err := s.scopedOrder(c)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) issueOrder(c *fiber.Ctx) error {
	var req intercept.IssueRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	o, err := s.desk.Issue(c.UserContext(), req, who(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(o)
}

// orderOp moves an order: execute and reject by its org (the liaison or the org's
// system confirming back), renew, convert, reassign and amend by the desk, release by the desk or
// the bank (a number's restore needs the desk's approval).
func (s *Server) orderOp(op string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req intercept.OrderOp
		if len(c.Body()) > 0 {
			if err := bind(c, &req); err != nil {
				return err
			}
			if err := onlyFields(c.Body(), op); err != nil {
				return err
			}
		}
		req.Op, req.Who = op, who(c)
		if op == "release" && principal(c).Role == auth.BankLiaison {
			// A bank releases its own stops; a legal freeze is lifted by the desk.
			if o, err := s.scopedOrder(c); err == nil && o.Type != intercept.ActStopPayment {
				return fmt.Errorf("a bank liaison releases stop-payments only; %s is a %s: the desk releases it: %w", o.ID, o.Type, intercept.ErrForbidden)
			}
		}
		o, err := s.desk.ActOnOrder(c.UserContext(), c.Params("id"), orgScope(c), req)
		if err != nil {
			return err
		}
		return c.JSON(o)
	}
}

// opFields are the fields each order operation reads ("op" is ignored by all): the one
// OrderOp body is decoded strictly, so a field another operation reads is refused
// too, rather than dropped (a bank's "amount" sent with an execute would be lost).
var opFields = map[string][]string{
	"execute":  {"reference"},
	"reject":   {"reason"},
	"renew":    {"reason", "document", "limit_fen", "whole_account"},
	"convert":  {"document", "limit_fen"},
	"release":  {"reason"},
	"reassign": {"operator", "reason"},
	"amend":    {"account_name", "amount", "tx_at", "reason"},
}

// onlyFields refuses, as an unknown field (400), a field of body that op does not read.
func onlyFields(body []byte, op string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "body: "+err.Error())
	}
	for k := range m {
		if k != "op" && !slices.Contains(opFields[op], k) {
			return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("body: unknown field %q: %s reads %s", k, op, strings.Join(opFields[op], ", ")))
		}
	}
	return nil
}

func (s *Server) orderDeliveries(c *fiber.Ctx) error {
	o, err := s.scopedOrder(c)
	if err != nil {
		return err
	}
	out := []webhook.Record{}
	if s.delivery != nil {
		for _, r := range s.delivery.Log(o.Org, 10000) {
			if strings.HasPrefix(r.Key, o.ID+":") {
				out = append(out, r)
			}
		}
	}
	return c.JSON(out)
}

type appealRequest struct {
	Appellant string `json:"appellant"`
	Contact   string `json:"contact,omitempty"`
	Statement string `json:"statement"`
}

func (s *Server) fileAppeal(c *fiber.Ctx) error {
	var req appealRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	a, err := s.desk.FileAppeal(c.UserContext(), intercept.AppealChange{OrderID: c.Params("id"), Appellant: req.Appellant,
		Contact: req.Contact, Statement: req.Statement, Who: who(c)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) listAppeals(c *fiber.Ctx) error {
	out := s.desk.Book().Appeals(c.Query("order"), c.Query("status"), min(c.QueryInt("limit", 100), 1000))
	if out == nil {
		out = []intercept.Appeal{}
	}
	return c.JSON(out)
}

func (s *Server) decideAppeal(c *fiber.Ctx) error {
	var req struct {
		Outcome string `json:"outcome"` // granted or denied
		Grounds string `json:"grounds"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	a, err := s.desk.DecideAppeal(c.UserContext(), intercept.AppealChange{AppealID: c.Params("id"), Outcome: req.Outcome,
		Grounds: req.Grounds, Who: who(c)})
	if err != nil {
		return err
	}
	return c.JSON(a)
}
